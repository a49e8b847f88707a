import { execFileSync } from 'node:child_process';

/**
 * The font faces of this machine as fontconfig lists them, and the choices a browser makes among
 * them: CSS font matching within a family, and the per-character fallback Chromium asks
 * fontconfig for when no family of a list has a glyph. Read once (`fc-list`, ~25 ms); the
 * fallback orders once per weight and style (`fc-match -s`).
 */

export type FontStyle = 'normal' | 'italic' | 'oblique';

export interface FontFace {
  file: string;
  /** The face's index in a collection (.ttc); 0 in a plain font file. */
  index: number;
  /** The face's first family name, e.g. "Noto Sans CJK SC". */
  family: string;
  families: string[];
  /** CSS weight (100-900). */
  weight: number;
  /** fontconfig's width: 100 is normal, 75 condensed. */
  width: number;
  style: FontStyle;
  /** A colour font (Noto Color Emoji: CBDT bitmaps), which is not embedded (docs/fonts.md). */
  color: boolean;
  /** Covered code points as sorted [first, last] ranges. */
  coverage: Array<[number, number]>;
}

export const faceKey = (face: FontFace) => `${face.file}#${face.index}`;

export function covers(face: FontFace, codePoint: number): boolean {
  let low = 0;
  let high = face.coverage.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const [first, last] = face.coverage[middle];
    if (codePoint < first) high = middle - 1;
    else if (codePoint > last) low = middle + 1;
    else return true;
  }
  return false;
}

/** fontconfig's weight scale (FC_WEIGHT_*) to CSS, as FcWeightToOpenType maps it. */
const FC_TO_CSS_WEIGHT: Array<[number, number]> = [[0, 100], [40, 200], [50, 300], [75, 350], [80, 400], [100, 500], [180, 600], [200, 700], [205, 800], [210, 900]];
const cssWeightOf = (fc: number) => FC_TO_CSS_WEIGHT.reduce((best, [from, css]) => (fc >= from ? css : best), 100);
const fcWeightOf = (css: number) => FC_TO_CSS_WEIGHT.reduce((best, [fc, from]) => (css >= from ? fc : best), 0);
const FC_SLANT: Record<FontStyle, number> = { normal: 0, italic: 100, oblique: 110 };

const GENERIC_FAMILIES = new Set(['serif', 'sans-serif', 'monospace', 'cursive', 'fantasy', 'system-ui', 'ui-sans-serif', 'ui-serif', 'ui-monospace', 'emoji', 'math']);
export const isGenericFamily = (family: string) => GENERIC_FAMILIES.has(family.toLowerCase());

const FORMAT = '%{file}\\t%{index}\\t%{family}\\t%{weight}\\t%{slant}\\t%{width}\\t%{color}\\t%{charset}\\n';

/** fontconfig's "a,b" lists escape a comma inside a name as "\,". */
const splitList = (value: string) => value.split(/(?<!\\),/).map((part) => part.replace(/\\(.)/g, '$1').trim()).filter(Boolean);

/** One line of `fc-list -f FORMAT`; null for a face that cannot be embedded as a file (no scalable outline). */
export function parseFontconfigLine(line: string): FontFace | null {
  const [file, index, family, weight, slant, width, color, charset] = line.split('\t');
  if (!file || !family || charset === undefined || !/\.(ttf|otf|ttc|otc)$/i.test(file)) return null;
  const families = splitList(family);
  const coverage: Array<[number, number]> = [];
  for (const range of charset.trim().split(/\s+/).filter(Boolean)) {
    const [first, last = first] = range.split('-').map((hex) => parseInt(hex, 16));
    if (Number.isFinite(first) && Number.isFinite(last)) coverage.push([first, last]);
  }
  const slantValue = Number.parseInt(slant, 10);
  return {
    file,
    index: Number.parseInt(index, 10) || 0,
    family: families[0],
    families,
    // A variable font lists its range, "[100 900]": its default instance is the lowest here, good enough for a match.
    weight: cssWeightOf(Number.parseFloat(weight.replace(/^\[/, '')) || 80),
    width: Number.parseFloat(width.replace(/^\[/, '')) || 100,
    style: slantValue >= 110 ? 'oblique' : slantValue >= 100 ? 'italic' : 'normal',
    color: /true/i.test(color),
    coverage,
  };
}

/** CSS Fonts 4 §5.2 font-style, then font-weight matching among one family's faces. */
export function matchFace(faces: FontFace[], weight: number, style: FontStyle): FontFace | undefined {
  if (!faces.length) return undefined;
  // font-stretch is always normal in our SVGs: a condensed face of the family ("DejaVu Sans Condensed") only when there is no other.
  const normalWidth = faces.filter((face) => face.width === 100);
  if (normalWidth.length) faces = normalWidth;
  const styleOrder: FontStyle[] = style === 'italic' ? ['italic', 'oblique', 'normal'] : style === 'oblique' ? ['oblique', 'italic', 'normal'] : ['normal', 'oblique', 'italic'];
  const ofStyle = styleOrder.map((s) => faces.filter((face) => face.style === s)).find((list) => list.length) ?? faces;
  const exact = ofStyle.find((face) => face.weight === weight);
  if (exact) return exact;
  const lighter = ofStyle.filter((face) => face.weight < weight).sort((a, b) => b.weight - a.weight);
  const heavier = ofStyle.filter((face) => face.weight > weight).sort((a, b) => a.weight - b.weight);
  if (weight >= 400 && weight <= 500) {
    const upTo500 = heavier.filter((face) => face.weight <= 500);
    return upTo500[0] ?? lighter[0] ?? heavier[0];
  }
  return weight < 400 ? lighter[0] ?? heavier[0] : heavier[0] ?? lighter[0];
}

export interface FontCatalogSource {
  /** `fc-list -f FORMAT` output. */
  list(): string;
  /** Files and indexes, in the order fontconfig would try them, for a pattern such as `sans-serif:weight=80:slant=0`. */
  sorted(pattern: string): string;
}

const fontconfig: FontCatalogSource = {
  list: () => execFileSync('fc-list', ['-f', FORMAT], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }),
  sorted: (pattern) => execFileSync('fc-match', ['-s', pattern, '-f', '%{file}\\t%{index}\\n'], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }),
};

export class FontCatalog {
  private readonly byFamily = new Map<string, FontFace[]>();
  private readonly byKey = new Map<string, FontFace>();
  private readonly orders = new Map<string, FontFace[]>();

  constructor(private readonly source: FontCatalogSource = fontconfig) {
    for (const line of source.list().split('\n')) {
      const face = parseFontconfigLine(line);
      if (!face) continue;
      this.byKey.set(faceKey(face), face);
      for (const family of face.families) {
        const key = family.toLowerCase();
        this.byFamily.set(key, [...(this.byFamily.get(key) ?? []), face]);
      }
    }
  }

  get size(): number {
    return this.byKey.size;
  }

  /** The face a browser picks for a named family, weight and style; undefined when the family is not installed. */
  face(family: string, weight: number, style: FontStyle): FontFace | undefined {
    return matchFace(this.byFamily.get(family.toLowerCase()) ?? [], weight, style);
  }

  /**
   * fontconfig's order of faces for a generic family, or (with `''`) for a character no family of
   * the list has: Chromium's fallback asks fontconfig the same way and takes the first face that
   * has the character.
   */
  order(generic: string, weight: number, style: FontStyle): FontFace[] {
    const pattern = `${generic}:weight=${fcWeightOf(weight)}:slant=${FC_SLANT[style]}`;
    let faces = this.orders.get(pattern);
    if (!faces) {
      faces = this.source
        .sorted(pattern)
        .split('\n')
        .map((line) => {
          const [file, index] = line.split('\t');
          return this.byKey.get(`${file}#${Number.parseInt(index, 10) || 0}`);
        })
        .filter((face): face is FontFace => face !== undefined);
      this.orders.set(pattern, faces);
    }
    return faces;
  }
}
