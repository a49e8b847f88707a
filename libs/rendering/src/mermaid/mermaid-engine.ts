import { readFileSync } from 'node:fs';
import type { Page } from 'puppeteer';
import { DEFAULT_MERMAID_LAYOUT, DEFAULT_MERMAID_LOOK } from '@flowsmith/contracts';
import type { MermaidLayout, MermaidLook, RenderFailure } from '@flowsmith/contracts';
import type { BrowserPool } from '../browser/browser-pool';
import { EngineParseOptions, EngineRenderOptions, EngineResult, EngineSvg, RenderEngine } from '../engine';
import type { ThemeDefinition } from '../themes';
import { diagramConfig } from './diagram-config';
import { mermaidDiagramType } from './diagram-types';
import { mermaidPageScript } from './mermaid-page-script';
import { FAST_ASSIGN_SCRIPT, PAGE_HTML, patchMermaidBundle } from './page-script';

const bundles: { patched?: string; labelsOnly?: string } = {};

/**
 * Loads mermaid, DOMPurify and our page script (page/mermaid-page.ts, bundled: mermaid-page-script.ts)
 * into a fresh page, inline (the page may fetch nothing). The bundle
 * carries every patch of MERMAID_PATCHES (page-script.ts); `withoutSpeedPatches` leaves out the
 * speed patches and the scripts they call, for the spec that proves they change no output.
 */
export async function setupMermaidPage(page: Page, options: { withoutSpeedPatches?: boolean } = {}): Promise<void> {
  const speed = !options.withoutSpeedPatches;
  const source = () => readFileSync(require.resolve('mermaid/dist/mermaid.min.js'), 'utf8');
  const bundle = speed ? (bundles.patched ??= patchMermaidBundle(source())) : (bundles.labelsOnly ??= patchMermaidBundle(source(), { speed: false }));
  const pageScript = await mermaidPageScript();
  await page.setContent(PAGE_HTML, { waitUntil: 'load' });
  if (speed) await page.addScriptTag({ content: FAST_ASSIGN_SCRIPT });
  await page.addScriptTag({ content: bundle });
  await page.addScriptTag({ path: require.resolve('dompurify/dist/purify.min.js') });
  await page.evaluate(pageScript);
}

/**
 * Keys a diagram's own `%%{init}%%` directive may not change, beyond mermaid's defaults
 * (securityLevel, secure, startOnLoad, maxTextSize, suppressErrorRendering, maxEdges): whatever
 * decides how labels are built, which fonts load, and how output is sanitized.
 */
const SECURE_KEYS = ['secure', 'handDrawnSeed', 'securityLevel', 'startOnLoad', 'maxTextSize', 'maxEdges', 'suppressErrorRendering', 'htmlLabels', 'themeCSS', 'fontFamily', 'altFontFamily', 'dompurifyConfig', 'deterministicIds', 'deterministicIDSeed', 'arrowMarkerAbsolute', 'elk'];

// The defaults live in libs/contracts/src/rendering.ts, where the gateway documents them too.
export { DEFAULT_MERMAID_LAYOUT, DEFAULT_MERMAID_LOOK };
/** rough.js's seed for the handDrawn look: 0 would draw from Math.random, and cache keys assume the same bytes every time. */
export const HAND_DRAWN_SEED = 1;

/**
 * Mermaid's configuration sections of the diagram types whose renderer lays out with `layout`
 * (dagre or ELK): the unified renderer's types. Not the others: mindmap takes any top-level
 * `layout` as its own (and drops cose-bilkent for it), swimlane has a layout of its own.
 */
export const LAYOUT_SECTIONS = ['flowchart', 'agentflow', 'class', 'state', 'er', 'requirement', 'usecase'] as const;

export interface MermaidRenderChoices {
  layout?: MermaidLayout;
  look?: MermaidLook;
}

/**
 * The whole mermaid configuration of a render. `layout` goes to LAYOUT_SECTIONS and `look` to the
 * top level, where mermaid 12 reads them before its per-type defaults (neo and ELK for several
 * types; config.ts resolveAppearance). A choice the caller made is a secure key: a diagram's own
 * `%%{init}%%` or frontmatter cannot change it (mermaid strips secure keys from directives at
 * every depth). When the caller made none, the diagram's own choice wins over our default.
 */
export function mermaidConfig(theme: ThemeDefinition | null, choices: MermaidRenderChoices = {}, defaultLayout: MermaidLayout = DEFAULT_MERMAID_LAYOUT): Record<string, unknown> {
  const config: Record<string, unknown> = {
    startOnLoad: false,
    securityLevel: 'strict',
    secure: [...SECURE_KEYS, ...(choices.layout ? ['layout'] : []), ...(choices.look ? ['look'] : [])],
    // Labels as SVG <text>, not HTML in <foreignObject>, which many SVG viewers and editors do not
    // draw and the sanitizer removes (docs/mermaid.md, "Labels").
    htmlLabels: false,
    flowchart: { htmlLabels: false, useMaxWidth: false },
    sequence: { useMaxWidth: false },
    class: { htmlLabels: false, useMaxWidth: false },
    state: { useMaxWidth: false },
    er: { useMaxWidth: false },
    gantt: { useMaxWidth: false },
    journey: { useMaxWidth: false },
    pie: { useMaxWidth: false },
    timeline: { useMaxWidth: false },
    mindmap: { useMaxWidth: false },
    gitGraph: { useMaxWidth: false },
    deterministicIds: true,
    maxTextSize: 110_000,
    maxEdges: 2000,
    suppressErrorRendering: true,
    logLevel: 5,
    theme: 'base',
    look: choices.look ?? DEFAULT_MERMAID_LOOK,
    handDrawnSeed: HAND_DRAWN_SEED,
  };
  // Per-type settings (diagram-config.ts) extend a section here rather than replace it.
  for (const [key, value] of Object.entries(diagramConfig(theme))) {
    const current = config[key];
    config[key] = isPlainObject(current) && isPlainObject(value) ? { ...current, ...value } : value;
  }
  const layout = choices.layout ?? defaultLayout;
  for (const key of LAYOUT_SECTIONS) config[key] = { ...(config[key] as object | undefined), layout };
  if (theme) Object.assign(config, { themeVariables: theme.mermaid.themeVariables, themeCSS: theme.mermaid.themeCSS ?? '', fontFamily: theme.mermaid.themeVariables.fontFamily });
  return config;
}

/**
 * The layout a source asks for by its keyword: `flowchart-elk` is a flowchart laid out by ELK
 * (mermaid's detector sets it), a choice of the diagram's own like a directive's, so it beats our
 * default and not the caller's. Mermaid's detector reads the source after its frontmatter and
 * directives; so does this.
 */
export function sourceLayout(source: string): MermaidLayout | undefined {
  const body = source.replace(/^\s*---\r?\n[\s\S]*?\r?\n---[^\S\r\n]*(\r?\n|$)/, '').replace(/^(\s*(%%[^\n]*)?\r?\n)*/, '');
  return /^\s*flowchart-elk/.test(body) ? 'elk' : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface PageFailure {
  ok: false;
  message: string;
  line?: number;
  column?: number;
}

/**
 * The parser's own words, made to read well in JSON: jison's "Expecting ..." line (its context and
 * caret lines are for monospace consoles), or langium's message without its prefix.
 */
function parserMessage(raw: string): string {
  const lines = raw.split('\n').map((line) => line.trim()).filter(Boolean);
  const expecting = lines.find((line) => /^Expecting /.test(line));
  let text = expecting ?? lines.find((line) => !/^Parse error on line \d+:?$/.test(line)) ?? lines[0] ?? 'unknown error';
  text = text.replace(/^Parsing failed:\s*/, '').replace(/^Parse error on line \d+:\s*/, '');
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

function parseFailure(result: PageFailure): RenderFailure {
  const where = result.line ? ` (line ${result.line}${result.column ? `, column ${result.column}` : ''})` : '';
  if (/maximum text size|maxTextSize/i.test(result.message)) {
    return { code: 'parse_failed', message: `The source is too large for mermaid to parse${where}.` };
  }
  return { code: 'parse_failed', message: `The source did not parse as mermaid${where}: ${parserMessage(result.message)}`, line: result.line, column: result.column };
}

export class MermaidEngine implements RenderEngine {
  readonly format = 'mermaid' as const;
  readonly sanitizesOutput = true;

  constructor(
    private readonly pool: BrowserPool,
    private readonly timeoutMs: number,
  ) {}

  async parse(source: string, options: EngineParseOptions = {}): Promise<EngineResult<{ diagramType: string }>> {
    const result = await this.pool.withPage(
      'mermaid',
      (page) =>
        page.evaluate(
          (text, config) => (globalThis as unknown as { __flowsmith: { parse: (s: string, c: unknown) => Promise<unknown> } }).__flowsmith.parse(text, config),
          source,
          mermaidConfig(null),
        ) as Promise<{ ok: true; diagramType: string } | PageFailure>,
      this.timeoutMs,
      options,
    );
    if (!result.ok) return { ok: false, error: parseFailure(result) };
    return { ok: true, value: { diagramType: mermaidDiagramType(result.diagramType) } };
  }

  async render(source: string, theme: ThemeDefinition, options: EngineRenderOptions = {}): Promise<EngineResult<EngineSvg>> {
    const result = await this.pool.withPage(
      'mermaid',
      (page) =>
        page.evaluate(
          (text, config) => (globalThis as unknown as { __flowsmith: { render: (s: string, c: unknown) => Promise<unknown> } }).__flowsmith.render(text, config),
          source,
          mermaidConfig(theme, { layout: options.layout, look: options.look }, sourceLayout(source)),
        ) as Promise<{ ok: true; svg: string; diagramType: string; viewBox: [number, number, number, number] | null } | PageFailure>,
      this.timeoutMs,
      options,
    );
    if (!result.ok) return { ok: false, error: parseFailure(result) };
    // The page derives a box when mermaid writes none (PAGE_SCRIPT's measuredBox): none even so is a drawing with nothing in it.
    if (!result.viewBox) throw new Error('mermaid produced an SVG without a viewBox, and nothing drawn to measure one from');
    return { ok: true, value: { svg: result.svg, diagramType: mermaidDiagramType(result.diagramType), viewBox: result.viewBox } };
  }
}
