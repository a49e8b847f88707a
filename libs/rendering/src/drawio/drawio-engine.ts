import { readFileSync } from 'node:fs';
import type { Page } from 'puppeteer';
import type { BrowserPool } from '../browser/browser-pool';
import { EngineRenderOptions, EngineResult, EngineSvg, RenderEngine } from '../engine';
import { ThemeDefinition, ThemePalette, themePalette } from '../themes';
import { decodeDrawio, DRAWIO_LIMITS, validateDrawio } from './drawio-source';
import { PAGE_HTML, PAGE_SCRIPT, PRELUDE_SCRIPT } from './page-script';
import { SHAPES_SCRIPT } from './shapes-script';

let mxClient: string | undefined;

/** Loads mxGraph, draw.io's shapes and the render script into a fresh page, inline (the page may fetch nothing). */
export async function setupDrawioPage(page: Page): Promise<void> {
  mxClient ??= readFileSync(require.resolve('mxgraph/javascript/mxClient.min.js'), 'utf8');
  await page.setContent(PAGE_HTML, { waitUntil: 'load' });
  await page.addScriptTag({ content: PRELUDE_SCRIPT });
  await page.addScriptTag({ content: mxClient });
  await page.addScriptTag({ content: SHAPES_SCRIPT });
  await page.addScriptTag({ content: PAGE_SCRIPT });
}

interface PageTheme {
  dark: boolean;
  palette: ThemePalette;
}

type PageResult = { ok: true; svg: string; viewBox: [number, number, number, number] } | { ok: false; message: string };

interface DrawioWindow {
  __flowsmithDrawio: { render(model: string, theme: PageTheme, limit: number): PageResult };
}

/**
 * draw.io (diagrams.net) files, drawn by mxGraph in a warm Chromium page. The source is decoded
 * and checked in Node first (drawio-source.ts): pages, compression, and the limits that keep a
 * hostile file from reaching the browser. Themes (page-script.ts, themedColour): colours the
 * author left to draw.io come from the theme's palette; light themes keep the author's own
 * colours, dark themes keep their hue and mirror their lightness, as draw.io's dark mode does.
 */
export class DrawioEngine implements RenderEngine {
  readonly format = 'drawio' as const;
  /**
   * mxGraph draws from the model, never from markup in the source: labels become text nodes, the
   * page lets out only normalized colours, plain font names and `#id` references, and ends with an
   * allowlist of its own (page-script.ts). The SVG step still runs after it: defence in depth.
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
