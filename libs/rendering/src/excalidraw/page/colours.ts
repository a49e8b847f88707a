/// <reference lib="dom" />
/** Colours in the Excalidraw page: parsing, Excalidraw's dark mode, and contrast (excalidraw-page.ts). */

export interface Colour {
  /** 0-255 */
  r: number;
  g: number;
  b: number;
  /** 0-1 */
  a: number;
}

/** Excalidraw's default ink (its "charcoal black", and plain black): drawn in the theme's text colour. */
export const DEFAULT_INK = new Set(['#1e1e1e', '#000000']);

const probe = document.createElement('canvas').getContext('2d') as CanvasRenderingContext2D;
const parsed = new Map<string, Colour | null>();

/** A CSS colour, or null for what is not one. Only colour syntax reaches the canvas that parses it: no url(), quotes or other CSS. */
export function colourOf(value: unknown): Colour | null {
  if (typeof value !== 'string') return null;
  const key = value.trim().toLowerCase();
  const known = parsed.get(key);
  if (known !== undefined) return known;
  let result: Colour | null = null;
  if (key === 'transparent') result = { r: 0, g: 0, b: 0, a: 0 };
  else if (key.length <= 64 && /^[#a-z0-9(),.%\s/-]+$/.test(key)) {
    probe.fillStyle = '#010203';
    probe.fillStyle = key;
    const out = String(probe.fillStyle);
    if (out !== '#010203' || key === '#010203') {
      const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/.exec(out);
      const rgba = /^rgba\((\d+), (\d+), (\d+), ([\d.]+)\)$/.exec(out);
      if (hex) result = { r: Number.parseInt(hex[1], 16), g: Number.parseInt(hex[2], 16), b: Number.parseInt(hex[3], 16), a: 1 };
      else if (rgba) result = { r: Number(rgba[1]), g: Number(rgba[2]), b: Number(rgba[3]), a: Number(rgba[4]) };
    }
  }
  if (parsed.size > 10_000) parsed.clear();
  parsed.set(key, result);
  return result;
}

const hex2 = (value: number) => Math.round(Math.max(0, Math.min(255, value))).toString(16).padStart(2, '0');

export function cssOf(colour: Colour): string {
  if (colour.a <= 0) return 'transparent';
  if (colour.a >= 1) return `#${hex2(colour.r)}${hex2(colour.g)}${hex2(colour.b)}`;
  return `rgba(${Math.round(colour.r)}, ${Math.round(colour.g)}, ${Math.round(colour.b)}, ${Math.round(colour.a * 1000) / 1000})`;
}

/**
 * Excalidraw's dark mode for one colour (applyDarkModeFilter in @excalidraw/common): inverted
 * 93%, then its hue turned back by CSS's hue-rotate(180deg). The same numbers as Excalidraw's own
 * dark export, so a scene looks as it does in Excalidraw's dark theme.
 */
export function darkMode(colour: Colour): Colour {
  const invert = (c: number) => Math.round(Math.max(0, Math.min(255, c * 0.07 + (255 - c) * 0.93))) / 255;
  const [r, g, b] = [invert(colour.r), invert(colour.g), invert(colour.b)];
  // hue-rotate(180deg): cos = -1, sin = 0 in the CSS filter's matrix.
  const matrix = [-0.574, 1.43, 0.144, 0.426, 0.43, 0.144, 0.426, 1.43, -0.856];
  const out = (row: number) => Math.round(Math.max(0, Math.min(1, r * matrix[row] + g * matrix[row + 1] + b * matrix[row + 2])) * 255);
  return { r: out(0), g: out(3), b: out(6), a: colour.a };
}

function luminance(colour: Colour): number {
  const [r, g, b] = [colour.r, colour.g, colour.b].map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** `colour` as seen over `under` (its alpha blended in). */
const over = (colour: Colour, under: Colour): Colour => ({
  r: colour.r * colour.a + under.r * (1 - colour.a),
  g: colour.g * colour.a + under.g * (1 - colour.a),
  b: colour.b * colour.a + under.b * (1 - colour.a),
  a: 1,
});

/** WCAG contrast ratio of `colour` (blended over `background`) against `background`. */
export function contrast(colour: Colour, background: Colour): number {
  const [x, y] = [luminance(over(colour, background)), luminance(background)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

function toHsl({ r, g, b }: Colour): [number, number, number] {
  const [R, G, B] = [r / 255, g / 255, b / 255];
  const max = Math.max(R, G, B);
  const min = Math.min(R, G, B);
  const l = (max + min) / 2;
  if (max === min) return [0, 0, l];
  const d = max - min;
  const s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
  const h = max === R ? (G - B) / d + (G < B ? 6 : 0) : max === G ? (B - R) / d + 2 : (R - G) / d + 4;
  return [h / 6, s, l];
}

function fromHsl(h: number, s: number, l: number): Colour {
  if (s === 0) return { r: l * 255, g: l * 255, b: l * 255, a: 1 };
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  const channel = (t: number) => {
    const u = t < 0 ? t + 1 : t > 1 ? t - 1 : t;
    const v = u < 1 / 6 ? p + (q - p) * 6 * u : u < 1 / 2 ? q : u < 2 / 3 ? p + (q - p) * (2 / 3 - u) * 6 : p;
    return Math.round(v * 255);
  };
  return { r: channel(h + 1 / 3), g: channel(h), b: channel(h - 1 / 3), a: 1 };
}

/**
 * `colour`, or the nearest colour of its hue and saturation (lighter on a dark background,
 * darker on a light one) that stands out `ratio`:1 from `background`.
 */
export function readable(colour: Colour, background: Colour, ratio: number): Colour {
  if (contrast(colour, background) >= ratio) return colour;
  const [h, s, l] = toHsl(over(colour, background));
  const lighter = luminance(background) < 0.18;
  for (let step = 1; step <= 50; step++) {
    const candidate = fromHsl(h, s, Math.max(0, Math.min(1, l + (lighter ? step : -step) * 0.02)));
    if (contrast(candidate, background) >= ratio) return candidate;
  }
  return lighter ? { r: 255, g: 255, b: 255, a: 1 } : { r: 0, g: 0, b: 0, a: 1 };
}
