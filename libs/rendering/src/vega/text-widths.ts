/**
 * Text widths for Vega's layout. Without a canvas (node-canvas is not installed, and would
 * measure with other fonts than the viewer's), Vega guesses 0.8 em for every character, which
 * leaves axis titles and legends far from their labels. This measures with the advance widths of
 * the faces the SVG is drawn with: Noto Sans (the themes' font, embedded into the SVG later) and
 * Noto Sans Mono (the blueprint theme).
 */

/** Noto Sans Regular's advance widths of U+0020..U+007E, in 1/1000 em (from the font's hmtx). */
const REGULAR = [
  260, 269, 408, 646, 572, 831, 732, 225, 300, 300, 551, 572, 268, 322, 268, 372, 572, 572, 572, 572, 572, 572, 572, 572, 572, 572, 268, 268, 572, 572, 572, 434, 899, 639, 650,
  632, 730, 556, 519, 728, 741, 339, 273, 619, 524, 907, 760, 781, 605, 781, 622, 549, 556, 731, 600, 930, 586, 566, 572, 329, 372, 329, 572, 444, 281, 561, 615, 480, 615, 564,
  344, 615, 618, 258, 258, 534, 258, 935, 618, 605, 615, 615, 413, 479, 361, 618, 508, 786, 529, 510, 470, 380, 551, 380, 572,
];
/** Noto Sans Bold's, likewise. */
const BOLD = [
  260, 286, 472, 646, 572, 901, 750, 266, 339, 339, 545, 572, 285, 322, 285, 413, 572, 572, 572, 572, 572, 572, 572, 572, 572, 572, 285, 285, 572, 572, 572, 477, 897, 690, 672,
  637, 740, 560, 549, 724, 765, 389, 331, 664, 565, 943, 813, 796, 628, 796, 660, 551, 579, 756, 650, 967, 667, 624, 579, 331, 413, 331, 572, 411, 362, 604, 633, 514, 633, 591,
  387, 633, 657, 305, 305, 620, 305, 982, 657, 619, 633, 633, 454, 497, 434, 657, 569, 856, 578, 569, 488, 394, 551, 394, 572,
];

/** Ideographs, kana, Hangul and full-width forms: one em each. */
const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;

function advance(char: string, table: number[]): number {
  const code = char.codePointAt(0) ?? 0x20;
  if (code >= 0x20 && code <= 0x7e) return table[code - 0x20];
  // Accented Latin letters are as wide as their base letter.
  const base = char.normalize('NFD').codePointAt(0) ?? 0;
  if (base >= 0x20 && base <= 0x7e) return table[base - 0x20];
  if (WIDE.test(char)) return 1000;
  return 600;
}

export interface TextStyle {
  font?: string;
  fontSize?: number;
  fontWeight?: string | number;
}

const isBold = (weight: TextStyle['fontWeight']) => weight === 'bold' || weight === 'bolder' || (Number(weight) || 0) >= 600;

/** The width in px of `text` set in `style` (Vega's defaults: 11 px, normal weight). */
export function textWidth(text: string, style: TextStyle): number {
  const size = style.fontSize ?? 11;
  if (/mono/i.test(style.font ?? '')) return [...text].reduce((sum, char) => sum + (WIDE.test(char) ? 1000 : 600), 0) * (size / 1000);
  const table = isBold(style.fontWeight) ? BOLD : REGULAR;
  let units = 0;
  for (const char of text) units += advance(char, table);
  return (units * size) / 1000;
}
