import type { EngineSvg } from '../engine';
import { FONT_STACK, ThemeDefinition } from '../themes';
import { RASTER_DATA_URI } from './sanitize-svg';

export interface FinishOptions {
  watermark: boolean;
  /** RenderInput.background: `theme` (or absent), `transparent` or `#rrggbb`. */
  background?: string;
}

export interface FinishedSvg {
  svg: string;
  width: number;
  height: number;
}

const WATERMARK_BAND = 18;
const KEPT_ROOT_ATTRIBUTES = /^(id|class|role|aria-roledescription|aria-labelledby|aria-describedby|preserveAspectRatio)$/;

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * The last step of every engine: one root element with a fixed size (so rasterizers and <img>
 * agree on it), the theme's background painted in for dark themes, and for anonymous output a
 * small watermark in a band below the drawing, so it never covers the diagram.
 */
export function finishSvg(engine: EngineSvg, theme: ThemeDefinition, options: FinishOptions): FinishedSvg {
  const open = /<svg\b[^>]*>/i.exec(engine.svg);
  const close = engine.svg.lastIndexOf('</svg>');
  if (!open || close < open.index) throw new Error('The engine produced no <svg> root element');
  const body = engine.svg.slice(open.index + open[0].length, close);

  const [x, y, w, h] = engine.viewBox;
  const height = h + (options.watermark ? WATERMARK_BAND : 0);
  const kept: string[] = [];
  for (const match of open[0].matchAll(/([\w:-]+)\s*=\s*"([^"]*)"/g)) {
    if (KEPT_ROOT_ATTRIBUTES.test(match[1])) kept.push(`${match[1]}="${match[2]}"`);
  }
  const pixelWidth = Math.max(1, Math.ceil(w));
  const pixelHeight = Math.max(1, Math.ceil(height));
  const root =
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ${kept.join(' ')} ` +
    `viewBox="${x} ${y} ${w} ${height}" width="${pixelWidth}" height="${pixelHeight}" xml:space="preserve">`;

  // The theme's canvas is painted into dark themes' SVGs (a light one is at home on white);
  // `background` asks for none, or for a colour of its own, in any theme.
  const fill = options.background === 'transparent' ? null : options.background && options.background !== 'theme' ? options.background : theme.tone === 'dark' ? theme.background : null;
  const background = fill ? `<rect x="${x}" y="${y}" width="${w}" height="${height}" fill="${escapeAttribute(fill)}"/>` : '';
  const watermark = options.watermark
    ? `<text x="${x + w - 6}" y="${y + height - 5}" text-anchor="end" font-family="${escapeAttribute(FONT_STACK)}" font-size="10" ` +
      `fill="${theme.watermark}" fill-opacity="0.75" class="flowsmith-watermark">Made with Flowsmith</text>`
    : '';
  return { svg: `${root}${background}${body}${watermark}</svg>`, width: pixelWidth, height: pixelHeight };
}

/**
 * The finished drawing at a size asked for (render options `width`, `height`): the root's width
 * and height change, its viewBox stays, so the vector drawing scales as a whole. A width or a
 * height alone keeps the aspect; both fit it inside them.
 */
export function resizeFinished(finished: FinishedSvg, width?: number, height?: number): FinishedSvg {
  if (!width && !height) return finished;
  const factor = Math.min(width ? width / finished.width : Infinity, height ? height / finished.height : Infinity);
  const w = Math.max(1, Math.round(finished.width * factor));
  const h = Math.max(1, Math.round(finished.height * factor));
  const svg = finished.svg.replace(/^(<svg\b[^>]*?)\swidth="[^"]*"\sheight="[^"]*"/, `$1 width="${w}" height="${h}"`);
  return { svg, width: w, height: h };
}

export class UnsafeSvgError extends Error {
  constructor(readonly finding: string) {
    super(`The rendered SVG failed the safety check: ${finding}`);
    this.name = 'UnsafeSvgError';
  }
}

const UNSAFE_ELEMENTS = /^<\s*(script|foreignObject|iframe|object|embed|animate|set|handler|listener)\b/i;
const HREF = /\s(?:xlink:)?href\s*=\s*(["'])(.*?)\1/gi;
/** Attribute values, blanked before looking for handler names: `font-family="x onmouseover=y"` is only text. */
const QUOTED_VALUES = /"[^"]*"|'[^']*'/g;
const UNSAFE_IN_TAG: Array<[RegExp, string]> = [
  [/javascript\s*:/i, 'a javascript: URL'],
  [/\s(?:xlink:)?href\s*=\s*["'](?!#)/i, 'a reference outside the document'],
  [/url\(\s*["']?(?!#)/i, 'a CSS url() outside the document'],
];
const UNSAFE_IN_STYLE: Array<[RegExp, string]> = [
  [/@import/i, 'a CSS @import'],
  [/url\(\s*["']?(?!#)/i, 'a CSS url() outside the document'],
  [/image-set\s*\(|(?:^|[^-\w])src\s*\(/i, 'a CSS image-set() or src() reference'],
  [/javascript\s*:/i, 'a javascript: URL in CSS'],
  [/expression\s*\(|-moz-binding|behavior\s*:/i, 'scriptable CSS'],
];

/**
 * The one data: URL besides pictures a served SVG may hold: the WOFF2 font subsets of
 * svg/embed-fonts.ts, in the one `<style class="flowsmith-fonts">` of `@font-face` rules it puts
 * right after the root tag, and nowhere else. A source cannot produce it: its CSS url()s are gone
 * before this (svg/sanitize-svg.ts, mermaid/page/mermaid-page.ts), and the rest of the SVG is checked as before.
 */
const EMBEDDED_FONTS = /^(<svg\b[^>]*>)<style class="flowsmith-fonts">(?:@font-face\{font-family:fs-[a-z0-9-]+;font-weight:[1-9]\d\d;font-style:(?:normal|italic|oblique);src:url\(data:font\/woff2;base64,[A-Za-z0-9+/]+={0,2}\) format\("woff2"\)\})+<\/style>/;

/** What in an SVG could run or fetch: elements, attributes and style sheets; text is only text. */
function findUnsafe(svg: string): string | null {
  svg = svg.replace(EMBEDDED_FONTS, '$1');
  for (let tag of svg.match(/<[^>]*>/g) ?? []) {
    const element = UNSAFE_ELEMENTS.exec(tag);
    if (element) return `a <${element[1]}> element`;
    if (/^<\s*image\b/i.test(tag)) {
      // An <image> may only show a picture embedded in the file itself.
      const hrefs = [...tag.matchAll(HREF)];
      if (hrefs.length !== 1 || !RASTER_DATA_URI.test(hrefs[0][2])) return 'an <image> that is not an embedded picture';
      tag = tag.replace(hrefs[0][0], '');
    }
    if (/\son[a-z]+\s*=/i.test(tag.replace(QUOTED_VALUES, '""'))) return 'an event handler attribute';
    for (const [pattern, finding] of UNSAFE_IN_TAG) if (pattern.test(tag)) return finding;
  }
  for (const match of svg.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)) {
    for (const [pattern, finding] of UNSAFE_IN_STYLE) if (pattern.test(match[1])) return finding;
  }
  return null;
}

/**
 * Defence in depth after the in-page sanitizer: an SVG that still holds anything able to run or
 * fetch is never served; the render fails instead.
 */
export function assertSafeSvg(svg: string): void {
  const finding = findUnsafe(svg);
  if (finding) throw new UnsafeSvgError(finding);
}

/** The same check as a predicate, for tests and audits of any SVG that leaves the API. */
export function isSafeSvg(svg: string): boolean {
  return findUnsafe(svg) === null;
}
