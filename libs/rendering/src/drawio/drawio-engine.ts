import { readFileSync } from 'node:fs';
import type { Page } from 'puppeteer';
import type { BrowserPool } from '../browser/browser-pool';
import { EngineRenderOptions, EngineResult, EngineSvg, RenderEngine } from '../engine';
import { ThemeDefinition, themePalette } from '../themes';
import { drawioPageScripts } from './drawio-page-script';
import { decodeDrawio, DRAWIO_LIMITS, validateDrawio } from './drawio-source';
import type { DrawioPageApi, PageTheme } from './page/page-types';

/** The page may load nothing and run no script but ours: no network, images or fonts to fetch. */
const PAGE_HTML = `<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'none'; font-src 'none'; connect-src 'none'">
</head><body></body></html>`;

let mxClient: string | undefined;

/** Loads mxGraph, draw.io's shapes and the render script (page/, bundled: drawio-page-script.ts) into a fresh page, inline (the page may fetch nothing). */
export async function setupDrawioPage(page: Page): Promise<void> {
  mxClient ??= readFileSync(require.resolve('mxgraph/javascript/mxClient.min.js'), 'utf8');
  const scripts = await drawioPageScripts();
  await page.setContent(PAGE_HTML, { waitUntil: 'load' });
  await page.addScriptTag({ content: scripts.prelude });
  await page.addScriptTag({ content: mxClient });
  await page.addScriptTag({ content: scripts.shapes });
  await page.addScriptTag({ content: scripts.page });
}

interface DrawioWindow {
  __flowsmithDrawio: DrawioPageApi;
}

/**
 * draw.io (diagrams.net) files, drawn by mxGraph in a warm Chromium page. The source is decoded
 * and checked in Node first (drawio-source.ts): pages, compression, and the limits that keep a
 * hostile file from reaching the browser. Themes (page/drawio-page.ts, themedColour): colours the
 * author left to draw.io come from the theme's palette; light themes keep the author's own
 * colours, dark themes keep their hue and mirror their lightness, as draw.io's dark mode does.
 */
export class DrawioEngine implements RenderEngine {
  readonly format = 'drawio' as const;
  /**
   * mxGraph draws from the model, never from markup in the source: labels become text nodes, the
   * page lets out only normalized colours, plain font names and `#id` references, and ends with an
   * allowlist of its own (page/drawio-page.ts). The SVG step still runs after it: defence in depth.
   */
  readonly sanitizesOutput = false;

  constructor(
    private readonly pool: BrowserPool,
    private readonly timeoutMs: number,
  ) {}

  async parse(source: string): Promise<EngineResult<{ diagramType: string }>> {
    const checked = validateDrawio(source);
    return checked.ok ? { ok: true, value: { diagramType: 'drawio' } } : checked;
  }

  async render(source: string, theme: ThemeDefinition, options: EngineRenderOptions = {}): Promise<EngineResult<EngineSvg>> {
    const decoded = decodeDrawio(source, options.page);
    if (!decoded.ok) return decoded;
    const pageTheme: PageTheme = { dark: theme.tone === 'dark', palette: themePalette(theme) };
    const result = await this.pool.withPage(
      'drawio',
      (page) =>
        page.evaluate(
          (model, spec, limit) => (globalThis as unknown as DrawioWindow).__flowsmithDrawio.render(model, spec, limit),
          decoded.value.model,
          pageTheme,
          DRAWIO_LIMITS.extent,
        ),
      this.timeoutMs,
      options,
    );
    if (!result.ok) return { ok: false, error: { code: 'parse_failed', message: result.message } };
    return { ok: true, value: { svg: result.svg, diagramType: 'drawio', viewBox: result.viewBox } };
  }
}
