import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Page } from 'puppeteer';
import type { RenderFailure } from '@flowsmith/contracts';
import type { BrowserPool } from '../browser/browser-pool';
import { EngineParseOptions, EngineRenderOptions, EngineResult, EngineSvg, RenderEngine } from '../engine';
import { PAGE_HTML } from '../mermaid/page-script';
import { themePalette, type ThemeDefinition } from '../themes';
import { inspectBpmn } from './bpmn-source';
import { PAGE_SCRIPT } from './page-script';

/** A theme as the page script draws it: bpmn-js's renderer and text options, and our recolouring. */
interface BpmnStyle {
  renderer: { defaultFillColor: string; defaultStrokeColor: string; defaultLabelColor: string };
  text: { defaultStyle: { fontFamily: string; fontSize: number } };
  colors: { line: string; group: string; note: string };
  keepColors: boolean;
}

interface PageRenderOptions extends BpmnStyle {
  autoLayout: boolean;
  /** Prefix of the SVG's ids: the same for the same source and theme, distinct between diagrams inlined in one page. */
  idPrefix: string;
}

/**
 * A theme in bpmn-js terms. BPMN DI fixes shape sizes for bpmn-js's 12 px labels, so the font is
 * the theme's at three quarters of its size (12 px for the usual 16). Explicit element colours
 * are kept in light themes only.
 */
function bpmnStyle(theme: ThemeDefinition): BpmnStyle {
  const palette = themePalette(theme);
  return {
    renderer: { defaultFillColor: palette.nodeFill, defaultStrokeColor: palette.nodeStroke, defaultLabelColor: palette.text },
    text: { defaultStyle: { fontFamily: palette.fontFamily, fontSize: Math.round(palette.fontSize * 0.75) } },
    colors: { line: palette.line, group: palette.groupFill, note: palette.noteStroke },
    keepColors: palette.tone === 'light',
  };
}

/**
 * bpmn-auto-layout ships as CommonJS that requires bpmn-moddle and min-dash, which are ESM only.
 * In the page it runs as a factory: min-dash's bundle becomes a plain object, and bpmn-moddle is
 * the viewer's own moddle, passed in by the page script.
 */
function autoLayoutScript(): string {
  const layoutPath = require.resolve('bpmn-auto-layout');
  const minDash = readFileSync(require.resolve('min-dash', { paths: [dirname(layoutPath)] }), 'utf8');
  const exported = /\nexport\s*\{([\w\s,]+)\};?\s*(\/\/# sourceMappingURL=\S*\s*)?$/.exec(minDash);
  if (!exported) throw new Error("min-dash's bundle has an unexpected shape; update autoLayoutScript");
  const minDashObject = `(() => {\n${minDash.slice(0, exported.index)}\nreturn {${exported[1]}};\n})()`;
  return `window.__fsAutoLayout = (BpmnModdle) => {
  const modules = { 'min-dash': ${minDashObject}, 'bpmn-moddle': { BpmnModdle } };
  const require = (name) => { if (!modules[name]) throw new Error('bpmn-auto-layout requires ' + name); return modules[name]; };
  const exports = {};
  ${readFileSync(layoutPath, 'utf8').replace(/\/\/# sourceMappingURL=\S*\s*$/, '')}
  return exports.layoutProcess;
};`;
}

let scripts: { viewer: string; autoLayout: string } | undefined;

/** Loads bpmn-js's viewer and bpmn-auto-layout into a fresh page, inline (the page may fetch nothing). */
export async function setupBpmnPage(page: Page): Promise<void> {
  scripts ??= { viewer: readFileSync(require.resolve('bpmn-js/dist/bpmn-viewer.production.min.js'), 'utf8'), autoLayout: autoLayoutScript() };
  await page.setContent(PAGE_HTML, { waitUntil: 'load' });
  await page.addScriptTag({ content: scripts.viewer });
  await page.addScriptTag({ content: scripts.autoLayout });
  await page.evaluate(PAGE_SCRIPT);
}

interface PageFailure {
  ok: false;
  message: string;
}

type PageApi = {
  __flowsmithBpmn: {
    parse(xml: string, autoLayout: boolean): Promise<{ ok: true } | PageFailure>;
    render(xml: string, options: PageRenderOptions): Promise<{ ok: true; svg: string; viewBox: [number, number, number, number] } | PageFailure>;
  };
};

function pageFailure(result: PageFailure): RenderFailure {
  return { code: 'parse_failed', message: `The BPMN source did not import: ${result.message}` };
}

export class BpmnEngine implements RenderEngine {
  readonly format = 'bpmn' as const;
  /**
   * bpmn-js draws from the model, never from markup in the source: labels become text nodes, and
   * the page lets out only CSS colours and plain element ids (page-script.ts). The SVG step still
   * runs after it (about 16 ms on 20 elements): defence in depth, as for every engine without DOMPurify.
   */
  readonly sanitizesOutput = false;

  constructor(
    private readonly pool: BrowserPool,
    private readonly timeoutMs: number,
  ) {}

  /** Checks in Node, then parses with bpmn-moddle in the page (and lays out a source without DI). */
  async parse(source: string, options: EngineParseOptions = {}): Promise<EngineResult<{ diagramType: string }>> {
    const inspected = inspectBpmn(source);
    if (!inspected.ok) return inspected;
    const { diagramType, autoLayout } = inspected.value;
    const result = await this.pool.withPage(
      'bpmn',
      (page) => page.evaluate((xml, layout) => (globalThis as unknown as PageApi).__flowsmithBpmn.parse(xml, layout), source, autoLayout),
      this.timeoutMs,
      options,
    );
    return result.ok ? { ok: true, value: { diagramType } } : { ok: false, error: pageFailure(result) };
  }

  async render(source: string, theme: ThemeDefinition, renderOptions: EngineRenderOptions = {}): Promise<EngineResult<EngineSvg>> {
    const inspected = inspectBpmn(source);
    if (!inspected.ok) return inspected;
    const { diagramType, autoLayout } = inspected.value;
    const idPrefix = `bpmn-${createHash('sha256').update(theme.id).update('\n').update(source).digest('hex').slice(0, 8)}`;
    const options: PageRenderOptions = { ...bpmnStyle(theme), autoLayout, idPrefix };
    const result = await this.pool.withPage(
      'bpmn',
      (page) => page.evaluate((xml, request) => (globalThis as unknown as PageApi).__flowsmithBpmn.render(xml, request), source, options),
      this.timeoutMs,
      renderOptions,
    );
    if (!result.ok) return { ok: false, error: pageFailure(result) };
    return { ok: true, value: { svg: result.svg, diagramType, viewBox: result.viewBox } };
  }
}
