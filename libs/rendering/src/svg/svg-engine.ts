import type { RenderFailure } from '@flowsmith/contracts';
import type { EngineResult, EngineSvg, RenderEngine } from '../engine';
import type { ThemeDefinition } from '../themes';
import { sanitizeSvg, SvgRootSize, SvgSourceError } from './sanitize-svg';

/** CSS pixels per unit of SVG lengths. */
const UNITS: Record<string, number> = { '': 1, px: 1, pt: 4 / 3, pc: 16, mm: 96 / 25.4, cm: 96 / 2.54, in: 96, em: 16, ex: 8 };
/** A drawing larger than this on a side is refused: no output format could hold it. */
const MAX_SIDE = 20_000;

function length(value: string | undefined): number | null {
  const match = value && /^\s*([\d.]+(?:e[+-]?\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  if (!match || !(match[2].toLowerCase() in UNITS)) return null;
  const px = Number(match[1]) * UNITS[match[2].toLowerCase()];
  return Number.isFinite(px) && px > 0 ? px : null;
}

function viewBoxOf(value: string | undefined): [number, number, number, number] | null {
  const parts = value?.trim().split(/[\s,]+/).map(Number);
  if (!parts || parts.length !== 4 || parts.some((n) => !Number.isFinite(n)) || parts[2] <= 0 || parts[3] <= 0) return null;
  return parts as [number, number, number, number];
}

/**
 * The size a drawing asks for: its width and height in absolute units, else its viewBox, with a
 * missing side taken from the viewBox's aspect ratio.
 */
export function svgSize(root: SvgRootSize): { width: number; height: number; viewBox: [number, number, number, number] } {
  const viewBox = viewBoxOf(root.viewBox);
  let width = length(root.width);
  let height = length(root.height);
  if (viewBox) {
    if (width && !height) height = (width * viewBox[3]) / viewBox[2];
    if (height && !width) width = (height * viewBox[2]) / viewBox[3];
    width ??= viewBox[2];
    height ??= viewBox[3];
  }
  if (!width || !height) throw new SvgSourceError('The SVG has no size: give its root element a viewBox, or a width and a height.');
  if (width > MAX_SIDE || height > MAX_SIDE) throw new SvgSourceError(`The SVG is ${Math.round(width)}×${Math.round(height)} px; at most ${MAX_SIDE} px on a side.`);
  return { width, height, viewBox: viewBox ?? [0, 0, width, height] };
}

const NAMED: Record<string, string> = { black: '#000000', white: '#ffffff', red: '#ff0000', green: '#008000', blue: '#0000ff', gray: '#808080', grey: '#808080', yellow: '#ffff00', orange: '#ffa500', navy: '#000080', silver: '#c0c0c0' };

function luminance(colour: string): number | null {
  let hex = NAMED[colour.toLowerCase()] ?? colour;
  if (/^#[0-9a-f]{3}$/i.test(hex)) hex = `#${[...hex.slice(1)].map((c) => c + c).join('')}`;
  const rgb = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex) ?? /^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)/i.exec(colour);
  if (!rgb) return null;
  const [r, g, b] = rgb.slice(1, 4).map((c) => (c.length === 2 && hex.startsWith('#') ? Number.parseInt(c, 16) : Number(c)) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * Whether a drawing is light, and so needs inverting on a dark canvas: a background rectangle
 * drawn first decides; otherwise the mean lightness of its ink (SVG's default fill is black, so a
 * drawing that names no colour at all is dark ink meant for paper).
 */
export function isLightDrawing(svg: string, viewBox: [number, number, number, number]): boolean {
  const first = /<(rect|path|circle|ellipse|polygon|text|line|polyline|use|image)\b([^>]*)>/i.exec(svg);
  if (first?.[1].toLowerCase() === 'rect') {
    const attrs = first[2];
    const w = Number(/\swidth="([\d.]+)"/.exec(attrs)?.[1] ?? (/\swidth="100%"/.test(attrs) ? viewBox[2] : 0));
    const h = Number(/\sheight="([\d.]+)"/.exec(attrs)?.[1] ?? (/\sheight="100%"/.test(attrs) ? viewBox[3] : 0));
    const fill = /\sfill="([^"]+)"/.exec(attrs)?.[1] ?? /fill:\s*([^;"]+)/.exec(attrs)?.[1];
    const l = fill ? luminance(fill.trim()) : null;
    if (w * h >= 0.9 * viewBox[2] * viewBox[3] && l !== null) return l > 0.5;
  }
  // Text decides where there is text (it must stay legible): SVG's default fill is black.
  const texts = [...svg.matchAll(/<text\b([^>]*)>/gi)].map((match) => luminance(/\sfill="([^"]+)"/.exec(match[1])?.[1] ?? /fill:\s*([^;"]+)/.exec(match[1])?.[1]?.trim() ?? 'black'));
  const inks = texts.filter((l): l is number => l !== null);
  if (!inks.length) {
    for (const match of svg.matchAll(/(?:fill|stroke|stop-color|color)\s*(?:=\s*"|:\s*)(#[0-9a-f]{3,6}\b|rgba?\([^)]*\)|[a-z]+)/gi)) {
      const l = luminance(match[1]);
      if (l !== null) inks.push(l);
    }
  }
  if (!inks.length) return true;
  return inks.reduce((sum, l) => sum + l, 0) / inks.length < 0.5;
}

/** Inverts lightness and turns hues back around, as browsers' dark readers do: blue stays blue. */
const INVERT_FILTER =
  '<filter id="flowsmith-invert" color-interpolation-filters="sRGB" x="0" y="0" width="1" height="1">' +
  '<feColorMatrix type="matrix" values="-1 0 0 0 1 0 -1 0 0 1 0 0 -1 0 1 0 0 0 1 0"/><feColorMatrix type="hueRotate" values="180"/></filter>';

/** WCAG relative luminance of a #rrggbb colour. */
function relativeLuminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Lightest canvas a drawing goes straight onto in a dark theme; past it, it gets a plate (darkPlate). */
const PLATE_ABOVE = 0.03;
/** A plate's luminance at most: near black, between the dark and midnight canvases (0.014, 0.009). */
const PLATE_LUMINANCE = 0.01;

/**
 * What a drawing lies on in a dark theme. There a drawing is a dark-mode picture: either made so
 * (light ink, kept as it is) or a paper drawing inverted (its white paper turned black, its
 * contrasts against the paper kept against black). On a near-black canvas (dark, midnight) it goes
 * straight on the canvas; on a lighter one (blueprint's blue, luminance 0.075) its colours would lose
 * up to half their contrast (the corpus's light-blue badge, 3.2:1 on white and 5.7:1 on near black,
 * came out 2.7:1 on the blue), so it gets a plate of the canvas colour darkened to near black: the
 * dark paper it is drawn for, in the theme's hue. Null for no plate.
 */
export function darkPlate(theme: ThemeDefinition): string | null {
  if (theme.tone !== 'dark' || !/^#[0-9a-f]{6}$/i.test(theme.background) || relativeLuminance(theme.background) <= PLATE_ABOVE) return null;
  const rgb = [1, 3, 5].map((i) => Number.parseInt(theme.background.slice(i, i + 2), 16));
  for (let keep = 0.95; keep > 0; keep -= 0.05) {
    const hex = `#${rgb.map((c) => Math.round(c * keep).toString(16).padStart(2, '0')).join('')}`;
    if (relativeLuminance(hex) <= PLATE_LUMINANCE) return hex;
  }
  return '#000000';
}

/**
 * A sanitized SVG at the size it asks for: its root, keeping its own viewBox and aspect, becomes a
 * nested `<svg>` of that size in CSS pixels (`inner`), to be placed in a root whose viewBox is
 * `0 0 width height`. Engines whose SVG is sized in points or inches (Graphviz, TeX) come out at
 * their real size this way, where the viewBox alone would read points as pixels.
 */
export function sizedDrawing(svg: string, root: SvgRootSize): { inner: string; width: number; height: number } {
  const size = svgSize(root);
  const width = Math.round(size.width * 100) / 100;
  const height = Math.round(size.height * 100) / 100;
  const open = /<svg\b[^>]*>/i.exec(svg);
  if (!open) throw new SvgSourceError('The drawing has no <svg> root element.');
  // A root left with no content (everything in it was unsafe, or it had none) comes out of
  // svgo self-closed, `<svg …/>`: it stays a blank drawing of the size asked, well-formed.
  const empty = /\/\s*>$/.test(open[0]);
  const inner =
    open[0]
      .replace(/\s(width|height|x|y|viewBox)="[^"]*"/g, '')
      .replace(empty ? /\s*\/\s*>$/ : />$/, ` x="0" y="0" width="${width}" height="${height}" viewBox="${size.viewBox.join(' ')}">`) +
    (empty ? '</svg>' : svg.slice(open.index + open[0].length));
  return { inner, width, height };
}

function failure(error: unknown): { ok: false; error: RenderFailure } {
  if (error instanceof SvgSourceError) {
    const message = error.message.startsWith('The source') ? error.message : `The source is not a usable SVG: ${error.message}`;
    return { ok: false, error: { code: 'parse_failed', message, line: error.line, column: error.column } };
  }
  throw error;
}

/**
 * SVG sources: sanitized (nothing that runs or fetches), optimised with svgo, given a definite
 * size, and themed: dark themes paint their background, invert a drawing made for paper, and where
 * the canvas is too light for a dark-mode picture (blueprint) lay the drawing on a plate
 * (darkPlate). Themes never recolour the drawing.
 */
export class SvgEngine implements RenderEngine {
  readonly format = 'svg' as const;
  readonly sanitizesOutput = true;

  async parse(source: string): Promise<EngineResult<{ diagramType: string }>> {
    try {
      svgSize(sanitizeSvg(source, { optimise: false }).root);
      return { ok: true, value: { diagramType: 'svg' } };
    } catch (error) {
      return failure(error);
    }
  }

  async render(source: string, theme: ThemeDefinition): Promise<EngineResult<EngineSvg>> {
    try {
      const sanitized = sanitizeSvg(source, { optimise: true });
      const { inner, width, height } = sizedDrawing(sanitized.svg, sanitized.root);
      const invert = theme.tone === 'dark' && isLightDrawing(sanitized.svg, svgSize(sanitized.root).viewBox);
      const plate = darkPlate(theme);
      const body =
        (invert ? `<defs>${INVERT_FILTER}</defs>` : '') +
        (plate ? `<rect class="flowsmith-plate" x="0" y="0" width="${width}" height="${height}" fill="${plate}"/>` : '') +
        (invert ? `<g filter="url(#flowsmith-invert)">${inner}</g>` : inner);
      return { ok: true, value: { svg: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}">${body}</svg>`, diagramType: 'svg', viewBox: [0, 0, width, height] } };
    } catch (error) {
      return failure(error);
    }
  }
}
