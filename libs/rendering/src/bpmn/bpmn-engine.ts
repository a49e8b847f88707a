import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Page } from 'puppeteer';
import type { RenderFailure } from '@flowsmith/contracts';
import type { BrowserPool } from '../browser/browser-pool';
import { EngineParseOptions, EngineRenderOptions, EngineResult, EngineSvg, RenderEngine } from '../engine';
import { PAGE_HTML } from '../mermaid/page-script';
import { themePalette, type ThemeDefinition } from '../themes';
import { inspectBpmn } from './bpmn-source';
import { bpmnPageScript } from './bpmn-page-script';
import type { BpmnPageApi, BpmnStyle, PageFailure, PageRenderOptions } from './page/page-types';

/**
 * A theme in bpmn-js terms. BPMN DI fixes shape and label sizes for bpmn-js's 12 px labels, and
 * bpmn-js wraps a label to its DI width, so the font is the theme's at three quarters of its size
 * (12 px for the usual 16), and a monospace font (blueprint's) a twelfth smaller again: its glyphs
 * are about that much wider than Noto Sans's, and at full size a modeler's label boxes broke words
 * ("investigato rs"). Explicit element colours are kept in light themes only.
 */
function bpmnStyle(theme: ThemeDefinition): BpmnStyle {
  const palette = themePalette(theme);
  const monospace = /\bmonospace\s*$/.test(palette.fontFamily);
  return {
    renderer: { defaultFillColor: palette.nodeFill, defaultStrokeColor: palette.nodeStroke, defaultLabelColor: palette.text },
    text: { defaultStyle: { fontFamily: palette.fontFamily, fontSize: Math.round(palette.fontSize * 0.75 * (monospace ? 11 / 12 : 1)) } },
    colors: { line: palette.line, group: palette.groupFill, note: palette.noteStroke },
    keepColors: palette.tone === 'light',
  };
}

let viewerScript: string | undefined;

/** Loads bpmn-js's viewer into a fresh page, inline (the page may fetch nothing). */
export async function setupBpmnPage(page: Page): Promise<void> {
  viewerScript ??= readFileSync(require.resolve('bpmn-js/dist/bpmn-viewer.production.min.js'), 'utf8');
  const pageScript = await bpmnPageScript();
  await page.setContent(PAGE_HTML, { waitUntil: 'load' });
  await page.addScriptTag({ content: viewerScript });
  await page.evaluate(pageScript);
}

type PageApi = { __flowsmithBpmn: BpmnPageApi };

function pageFailure(result: PageFailure): RenderFailure {
  return { code: 'parse_failed', message: `The BPMN source did not import: ${result.message}` };
}

export class BpmnEngine implements RenderEngine {
  readonly format = 'bpmn' as const;
  /**
   * bpmn-js draws from the model, never from markup in the source: labels become text nodes, and
   * the page lets out only CSS colours and plain element ids (page/bpmn-page.ts). The SVG step still
   * runs after it (about 16 ms on 20 elements): defence in depth, as for every engine without DOMPurify.
   */
  readonly sanitizesOutput = false;

  constructor(
    private readonly pool: BrowserPool,
    private readonly timeoutMs: number,
  ) {}

  /** Checks in Node (laying out a source without DI there), then parses with bpmn-moddle in the page. */
  async parse(source: string, options: EngineParseOptions = {}): Promise<EngineResult<{ diagramType: string }>> {
    const inspected = inspectBpmn(source);
    if (!inspected.ok) return inspected;
    const { diagramType, xml } = inspected.value;
    const result = await this.pool.withPage(
      'bpmn',
      (page) => page.evaluate((document) => (globalThis as unknown as PageApi).__flowsmithBpmn.parse(document), xml),
      this.timeoutMs,
      options,
    );
    return result.ok ? { ok: true, value: { diagramType } } : { ok: false, error: pageFailure(result) };
  }

  async render(source: string, theme: ThemeDefinition, renderOptions: EngineRenderOptions = {}): Promise<EngineResult<EngineSvg>> {
    const inspected = inspectBpmn(source);
    if (!inspected.ok) return inspected;
    const { diagramType, xml } = inspected.value;
    const idPrefix = `bpmn-${createHash('sha256').update(theme.id).update('\n').update(source).digest('hex').slice(0, 8)}`;
    const options: PageRenderOptions = { ...bpmnStyle(theme), idPrefix };
    const result = await this.pool.withPage(
      'bpmn',
      (page) => page.evaluate((document, request) => (globalThis as unknown as PageApi).__flowsmithBpmn.render(document, request), xml, options),
      this.timeoutMs,
      renderOptions,
    );
    if (!result.ok) return { ok: false, error: pageFailure(result) };
    return { ok: true, value: { svg: result.svg, diagramType, viewBox: result.viewBox } };
  }
}
