import { createHash } from 'node:crypto';
import type { Page } from 'puppeteer';
import type { BrowserPool } from '../browser/browser-pool';
import type { EngineParseOptions, EngineRenderOptions, EngineResult, EngineSvg, RenderEngine } from '../engine';
import { FONT_STACK, themePalette, type ThemeDefinition } from '../themes';
import { excalidrawPageScript } from './excalidraw-page-script';
import { EXCALIDRAW_LIMITS, parseExcalidraw } from './excalidraw-source';
import type { ExcalidrawPageApi, PageTheme } from './page/page-types';

/** The page may load nothing and run no script but ours: no network, images or fonts to fetch. */
const PAGE_HTML = `<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'none'; font-src 'none'; connect-src 'none'; worker-src 'none'">
</head><body></body></html>`;

/** Loads Excalidraw's export (the bundled page, excalidraw-page-script.ts) into a fresh page, inline. */
export async function setupExcalidrawPage(page: Page): Promise<void> {
  // Read once, built once on first use when running from the sources; a failed build is tried again by the next page.
  const script = await excalidrawPageScript();
  await page.setContent(PAGE_HTML, { waitUntil: 'load' });
  await page.addScriptTag({ content: script });
}

/**
 * Installed faces that stand in for Excalidraw's own fonts: Comic Neue
 * (Debian's fonts-comic-neue) for the hand-drawn ones (Excalifont, Virgil, Comic Shanns), Noto Sans
 * for the plain ones (Nunito, Helvetica, Liberation Sans, Lilita One in bold), Noto Sans Mono for
 * Cascadia; the themes' stack after each for the characters they lack. Installed faces, not
 * Excalidraw's embedded ones: the SVG step removes every data: URL from a style sheet, and the
 * PNGs and portable SVGs are drawn with what fontconfig lists.
 */
export const EXCALIDRAW_FONTS: PageTheme['fonts'] = {
  hand: `"Comic Neue", ${FONT_STACK}`,
  sans: FONT_STACK,
  mono: `"Noto Sans Mono", ${FONT_STACK}`,
};

/** The SVG step refuses larger SVGs (svg/sanitize-svg.ts): such a scene is too large to draw here. */
const MAX_SVG_BYTES = 2 * 1024 * 1024;

/**
 * Excalidraw scenes (`.excalidraw`, JSON), drawn by Excalidraw's own SVG export
 * (@excalidraw/utils, rough.js included) in a warm Chromium page. The scene is parsed and checked
 * in Node first (excalidraw-source.ts: JSON with line and column, shape, limits, images), so a
 * hostile file never reaches the browser whole. Themes (page/excalidraw-page.ts, colourElements):
 * the scene keeps its own colours, through Excalidraw's own dark mode (inverted, hue kept) on a
 * dark theme; its default ink takes the theme's text colour, and every text is made to read 4.5:1
 * and every stroke 3:1 where it lies. The canvas is transparent (finishSvg paints a dark theme's).
 */
export class ExcalidrawEngine implements RenderEngine {
  readonly format = 'excalidraw' as const;
  /**
   * The export draws from the scene's elements: texts become text nodes, colours are normalized,
   * links and Excalidraw's font sheet are dropped and ids renamed in the page (page/excalidraw-page.ts).
   * The SVG step still runs after it: defence in depth.
   */
  readonly sanitizesOutput = false;

  constructor(
    private readonly pool: BrowserPool,
    private readonly timeoutMs: number,
  ) {}

  async parse(source: string, _options?: EngineParseOptions): Promise<EngineResult<{ diagramType: string }>> {
    const parsed = parseExcalidraw(source);
    return parsed.ok ? { ok: true, value: { diagramType: 'excalidraw' } } : parsed;
  }

  async render(source: string, theme: ThemeDefinition, options: EngineRenderOptions = {}): Promise<EngineResult<EngineSvg>> {
    const parsed = parseExcalidraw(source);
    if (!parsed.ok) return parsed;
    const palette = themePalette(theme);
    const pageTheme: PageTheme = {
      dark: theme.tone === 'dark',
      canvas: palette.background,
      text: palette.text,
      line: palette.line,
      fonts: EXCALIDRAW_FONTS,
      idPrefix: `ex${createHash('sha256').update(source).update(theme.id).digest('hex').slice(0, 8)}`,
      padding: EXCALIDRAW_LIMITS.padding,
      maxSvgChars: MAX_SVG_BYTES,
    };
    const result = await this.pool.withPage(
      'excalidraw',
      (page) => page.evaluate((scene, spec) => (globalThis as unknown as { __flowsmithExcalidraw: ExcalidrawPageApi }).__flowsmithExcalidraw.render(scene, spec), parsed.value, pageTheme),
      this.timeoutMs,
      options,
    );
    const tooLarge = () => ({ ok: false as const, error: { code: 'output_too_large' as const, message: `excalidraw: the drawing is larger than the ${MAX_SVG_BYTES / 1024 / 1024} MB of SVG a render may make.` } });
    if (!result.ok) return result.tooLarge ? tooLarge() : { ok: false, error: { code: 'parse_failed', message: `excalidraw: the scene could not be drawn: ${result.message}` } };
    if (Buffer.byteLength(result.svg) > MAX_SVG_BYTES) return tooLarge();
    return { ok: true, value: { svg: result.svg, diagramType: 'excalidraw', viewBox: result.viewBox } };
  }
}
