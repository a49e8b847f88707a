import { readFileSync } from 'node:fs';
import type { Page } from 'puppeteer';
import type { RenderFailure } from '@flowsmith/contracts';
import type { BrowserPool } from '../browser/browser-pool';
import { EngineParseOptions, EngineRenderOptions, EngineResult, EngineSvg, RenderEngine } from '../engine';
import type { ThemeDefinition } from '../themes';
import { mermaidDiagramType } from './diagram-types';
import { FAST_ASSIGN_SCRIPT, FAST_DEFINE_SCRIPT, PAGE_HTML, PAGE_SCRIPT, patchMermaidBundle } from './page-script';

let mermaidBundle: string | undefined;

/** Loads mermaid and DOMPurify into a fresh page, inline (the page may fetch nothing). */
export async function setupMermaidPage(page: Page, options: { stockMermaid?: boolean } = {}): Promise<void> {
  if (options.stockMermaid) {
    // Unpatched mermaid: only for the spec that proves the patches change no output.
    await page.setContent(PAGE_HTML, { waitUntil: 'load' });
    await page.addScriptTag({ path: require.resolve('mermaid/dist/mermaid.min.js') });
    await page.addScriptTag({ path: require.resolve('dompurify/dist/purify.min.js') });
    await page.evaluate(PAGE_SCRIPT);
    return;
  }
  mermaidBundle ??= patchMermaidBundle(readFileSync(require.resolve('mermaid/dist/mermaid.min.js'), 'utf8'));
  await page.setContent(PAGE_HTML, { waitUntil: 'load' });
  await page.addScriptTag({ content: FAST_DEFINE_SCRIPT });
  await page.addScriptTag({ content: FAST_ASSIGN_SCRIPT });
  await page.addScriptTag({ content: mermaidBundle });
  await page.addScriptTag({ path: require.resolve('dompurify/dist/purify.min.js') });
  await page.evaluate(PAGE_SCRIPT);
}

/**
 * Keys a diagram's own `%%{init}%%` directive may not change, beyond mermaid's defaults
 * (securityLevel, secure, startOnLoad, maxTextSize, suppressErrorRendering, maxEdges): whatever
 * decides how labels are built, which fonts load, and how output is sanitized.
 */
const SECURE_KEYS = ['secure', 'securityLevel', 'startOnLoad', 'maxTextSize', 'maxEdges', 'suppressErrorRendering', 'htmlLabels', 'themeCSS', 'fontFamily', 'altFontFamily', 'dompurifyConfig', 'deterministicIds', 'deterministicIDSeed', 'arrowMarkerAbsolute', 'elk'];

export function mermaidConfig(theme: ThemeDefinition | null) {
  return {
    startOnLoad: false,
    securityLevel: 'strict',
    secure: SECURE_KEYS,
    // Labels as SVG <text>, not HTML in <foreignObject>: librsvg draws only the former (RECIPES.md).
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
    ...(theme ? { themeVariables: theme.mermaid.themeVariables, themeCSS: theme.mermaid.themeCSS ?? '', fontFamily: theme.mermaid.themeVariables.fontFamily } : {}),
  };
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
          mermaidConfig(theme),
        ) as Promise<{ ok: true; svg: string; diagramType: string; viewBox: [number, number, number, number] | null } | PageFailure>,
      this.timeoutMs,
      options,
    );
    if (!result.ok) return { ok: false, error: parseFailure(result) };
    if (!result.viewBox) throw new Error('mermaid produced an SVG without a viewBox');
    return { ok: true, value: { svg: result.svg, diagramType: mermaidDiagramType(result.diagramType), viewBox: result.viewBox } };
  }
}
