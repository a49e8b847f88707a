import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { LRUCache } from 'lru-cache';
import subsetFont from 'subset-font';
import { FONT_STACK } from '../themes';
import { covers, FontCatalog, FontFace, faceKey, isGenericFamily } from './font-faces';
import { decodeXml, familyNames, splitFontShorthand, splitOutside, TextUse, textUses, TooComplexError } from './svg-fonts';
import { faceOfCollection, sfntToWoff2 } from './woff2';

/**
 * Portable SVG (docs/fonts.md): the faces a finished SVG draws its text with, cut down to the
 * characters it draws, embedded as WOFF2 data URIs in one `<style class="flowsmith-fonts">` of
 * `@font-face` rules right after the root tag, under private family names that every font-family
 * list of the SVG names first. A machine without Noto draws the same glyphs; one with a different
 * "Noto Sans" still uses the embedded one. Colour (bitmap emoji) fonts are left out.
 */

export interface EmbeddedFace {
  /** The private family name the SVG uses, e.g. `fs-noto-sans-3f2a9c01`. */
  family: string;
  /** The installed face it was cut from. */
  source: { family: string; file: string; index: number };
  weight: number;
  style: FontFace['style'];
  characters: number;
  bytes: number;
}

export interface EmbedFontsResult {
  svg: string;
  faces: EmbeddedFace[];
  /** Bytes the SVG grew by. */
  addedBytes: number;
  /** Characters drawn with a colour font (emoji) or with no installed font: left to the viewer's fonts. */
  notEmbedded: string;
  /** Why nothing was embedded, when the SVG's style sheets were too complex to follow (a hostile SVG source). */
  skipped?: string;
}

/** One face as cut for one SVG: its private family and characters. */
interface Use {
  face: FontFace;
  /** The family name the private family stands in front of (a declared family, or the face's own for fallbacks). */
  family: string;
  text: Set<string>;
}

/** Subsets by face and characters; a render that repeats (same labels, other theme) pays nothing. */
const subsets = new LRUCache<string, string>({ maxSize: 32 * 1024 * 1024, sizeCalculation: (value) => value.length });
/** The installed faces' bytes; a CJK face out of its collection is ~16 MB, so a few at most. */
const faces = new LRUCache<string, Buffer>({ maxSize: 64 * 1024 * 1024, sizeCalculation: (value) => value.length });
let catalog: FontCatalog | undefined;

/** Forgets the cut subsets (the faces stay loaded), so a measurement can see a cache miss. */
export function clearSubsetCache(): void {
  subsets.clear();
}

/** fontconfig's faces, read on first use. */
export function fontCatalog(): FontCatalog {
  return (catalog ??= new FontCatalog());
}

const slug = (family: string) => family.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'font';

/**
 * Which face draws each character of each text use, as Chromium picks it: the first family of the
 * list whose matched face has the glyph (a generic family stands for fontconfig's order for it),
 * else fontconfig's fallback for the character.
 */
export function assignFaces(uses: TextUse[], fonts: FontCatalog): { assigned: Use[]; fallbacks: Map<string, string[]>; notEmbedded: Set<string> } {
  const assigned = new Map<string, Use>();
  /** Per family list: the families of faces reached by fallback or through a generic, in the order first reached. */
  const fallbacks = new Map<string, string[]>();
  const notEmbedded = new Set<string>();
  const add = (face: FontFace, family: string, char: string) => {
    const key = `${family}|${faceKey(face)}`;
    let use = assigned.get(key);
    if (!use) assigned.set(key, (use = { face, family, text: new Set() }));
    use.text.add(char);
  };
  for (const use of uses) {
    const names = familyNames(use.families);
    for (const char of use.text) {
      const codePoint = char.codePointAt(0) ?? 0;
      let chosen: { face: FontFace; family: string; fallback: boolean } | undefined;
      for (const name of names) {
        if (isGenericFamily(name)) {
          const face = fonts.order(name, use.weight, use.style).find((f) => covers(f, codePoint));
          if (face) chosen = { face, family: face.family, fallback: true };
        } else {
          const face = fonts.face(name, use.weight, use.style);
          if (face && covers(face, codePoint)) chosen = { face, family: name, fallback: false };
        }
        if (chosen) break;
      }
      if (!chosen) {
        const face = fonts.order('', use.weight, use.style).find((f) => covers(f, codePoint));
        if (face) chosen = { face, family: face.family, fallback: true };
      }
      if (!chosen || chosen.face.color) {
        if (char !== ' ') notEmbedded.add(char);
        continue;
      }
      add(chosen.face, chosen.family, char);
      if (chosen.fallback) {
        const list = fallbacks.get(use.families) ?? [];
        if (!list.includes(chosen.family)) fallbacks.set(use.families, [...list, chosen.family]);
      }
    }
  }
  return { assigned: [...assigned.values()], fallbacks, notEmbedded };
}

/** Private family names: by family, with a hash of every face and character under it, so two SVGs inlined in one page cannot mix. */
export function privateNames(assigned: Use[]): Map<string, string> {
  const byFamily = new Map<string, string[]>();
  for (const use of assigned) byFamily.set(use.family, [...(byFamily.get(use.family) ?? []), `${faceKey(use.face)}:${[...use.text].sort().join('')}`]);
  const names = new Map<string, string>();
  for (const [family, parts] of byFamily) names.set(family, `fs-${slug(family)}-${createHash('sha256').update(parts.sort().join('\n')).digest('hex').slice(0, 8)}`);
  return names;
}

/** A font-family value with each embedded family's private name before it, and fallback families' before the generic (or at the end). */
export function rewriteFamilies(value: string, names: Map<string, string>, fallbacks: Map<string, string[]>): string {
  const parts = splitOutside(value, ',').map((part) => part.trim()).filter(Boolean);
  const families = familyNames(value);
  const key = families.join(', ');
  const extra = (fallbacks.get(key) ?? []).map((family) => names.get(family)).filter((name): name is string => !!name);
  const out: string[] = [];
  let placed = false;
  parts.forEach((part, i) => {
    const family = families[i];
    if (family && isGenericFamily(family) && !placed) {
      out.push(...extra.filter((name) => !out.includes(name)));
      placed = true;
    }
    const own = family ? names.get(family) : undefined;
    if (own && !isGenericFamily(family) && !out.includes(own)) out.push(own);
    out.push(part);
  });
  if (!placed) out.push(...extra.filter((name) => !out.includes(name)));
  return out.join(', ');
}

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const escapeText = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** `font-family:` declarations, and `font:` shorthands (whose families come last). */
const FONT_DECLARATION = /(^|[{;\s])(font-family|font)(\s*:\s*)([^;}]+)/gi;

/** Every font-family in the SVG (attributes, style attributes, style sheets) rewritten by `rewrite`. */
export function rewriteFontFamilies(svg: string, rewrite: (value: string) => string): string {
  const inCss = (css: string) =>
    css.replace(FONT_DECLARATION, (declaration, before: string, property: string, colon: string, value: string) => {
      const trailing = /\s*(!\s*important\s*)?$/i.exec(value)?.[0] ?? '';
      const own = value.slice(0, value.length - trailing.length);
      if (property.toLowerCase() === 'font-family') return before + property + colon + rewrite(own) + trailing;
      const shorthand = splitFontShorthand(own);
      return shorthand ? before + property + colon + shorthand.head + rewrite(shorthand.families) + trailing : declaration;
    });
  return svg
    .replace(/(<style\b[^>]*>)([\s\S]*?)(<\/style>)/gi, (_, open: string, css: string, close: string) => {
      const rewritten = css.includes('<![CDATA[') ? css.replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, (__, inner: string) => `<![CDATA[${inCss(inner)}]]>`) : escapeText(inCss(decodeXml(css)));
      return open + rewritten + close;
    })
    .replace(/<[a-z][^\s/>]*(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*\/?>/gi, (tag) =>
      /font-family/i.test(tag)
        ? tag.replace(/(\s)(font-family|style)(\s*=\s*)(?:"([^"]*)"|'([^']*)')/gi, (__, space: string, name: string, equals: string, double?: string, single?: string) => {
            const value = decodeXml(double ?? single ?? '');
            const rewritten = name.toLowerCase() === 'style' ? inCss(value) : rewrite(value);
            return `${space}${name}${equals}"${escapeAttribute(rewritten)}"`;
          })
        : tag,
    );
}

async function faceBytes(face: FontFace): Promise<Buffer> {
  const key = faceKey(face);
  let bytes = faces.get(key);
  if (!bytes) {
    bytes = faceOfCollection(await readFile(face.file), face.index);
    faces.set(key, bytes);
  }
  return bytes;
}

/**
 * The OpenType features browsers apply to horizontal text by default (HarfBuzz's default and
 * shaper features). Keeping only these halves a Latin subset (31 glyphs instead of 64 for a
 * flowchart's labels: no small caps, old-style figures or stylistic sets pulled in by closure).
 */
const DEFAULT_FEATURES = [
  'rvrn', 'ccmp', 'locl', 'mark', 'mkmk', 'rlig', 'calt', 'clig', 'curs', 'dist', 'kern', 'liga', 'rclt', 'abvm', 'blwm', 'abvs', 'blws',
  'akhn', 'rphf', 'pref', 'blwf', 'half', 'abvf', 'pstf', 'cfar', 'vatu', 'cjct', 'nukt', 'init', 'pres', 'psts', 'haln', 'medi', 'fina', 'isol',
  'med2', 'fin2', 'fin3', 'stch', 'ljmo', 'vjmo', 'tjmo',
];

/**
 * The WOFF2 of a face cut to some characters, base64; cached by face and characters. TrueType
 * hinting is dropped (half the bytes of a Latin subset): light hinting, which Chromium uses on
 * Linux, does not read it, and the portable-SVG spec draws the same pixels without it. CFF hints
 * (Noto Sans CJK) are kept: FreeType's CFF engine does read them, and without them CJK glyphs
 * moved by a pixel.
 */
export async function subsetBase64(face: FontFace, text: Set<string>, allFeatures = false): Promise<string> {
  const characters = [...text].sort().join('');
  const key = `${faceKey(face)}|${allFeatures ? 'all' : 'default'}|${characters}`;
  const cached = subsets.get(key);
  if (cached) return cached;
  const bytes = await faceBytes(face);
  const cff = bytes.readUInt32BE(0) === 0x4f54544f; // 'OTTO'
  const sfnt = await subsetFont(bytes, characters, { targetFormat: 'sfnt', noHinting: !cff, keepFeatures: allFeatures ? undefined : DEFAULT_FEATURES });
  const base64 = sfntToWoff2(sfnt).toString('base64');
  subsets.set(key, base64);
  return base64;
}

/**
 * Pays at boot what the first embedding would (~0.5 s here: fontconfig's list, compiling
 * harfbuzz's wasm, reading Noto Sans) by embedding the watermark. A CJK face is read on its first
 * use (~1 s: 19 MB collection, 16 MB face), since most workers never need one.
 */
export async function warmFontEmbedding(): Promise<void> {
  await embedFonts(`<svg xmlns="http://www.w3.org/2000/svg"><text font-family="${escapeAttribute(FONT_STACK)}">Made with Flowsmith</text></svg>`);
}

/** Embeds the fonts a finished SVG draws its text with (see the top of this file). */
export async function embedFonts(svg: string, fonts: FontCatalog = fontCatalog()): Promise<EmbedFontsResult> {
  let uses: TextUse[];
  try {
    uses = textUses(svg);
  } catch (error) {
    if (error instanceof TooComplexError) return { svg, faces: [], addedBytes: 0, notEmbedded: '', skipped: error.message };
    throw error;
  }
  const { assigned, fallbacks, notEmbedded } = assignFaces(uses, fonts);
  if (!assigned.length) return { svg, faces: [], addedBytes: 0, notEmbedded: [...notEmbedded].join('') };
  const names = privateNames(assigned);
  // CSS that asks for other features (small caps, tabular figures) keeps them all.
  const allFeatures = /font-variant|font-feature-settings/i.test(svg);
  const embedded: EmbeddedFace[] = [];
  const rules: string[] = [];
  for (const use of assigned) {
    let base64: string;
    try {
      base64 = await subsetBase64(use.face, use.text, allFeatures);
    } catch {
      // A face harfbuzz cannot cut (a damaged file) is left to the viewer's fonts, like emoji; the drawing is still served.
      use.text.forEach((char) => char !== ' ' && notEmbedded.add(char));
      continue;
    }
    const family = names.get(use.family) ?? '';
    // The face's own weight and style: the browser then matches (and synthesizes bold or oblique) as it did here.
    rules.push(`@font-face{font-family:${family};font-weight:${use.face.weight};font-style:${use.face.style};src:url(data:font/woff2;base64,${base64}) format("woff2")}`);
    embedded.push({ family, source: { family: use.face.family, file: use.face.file, index: use.face.index }, weight: use.face.weight, style: use.face.style, characters: use.text.size, bytes: base64.length });
  }
  const rewritten = rewriteFontFamilies(svg, (value) => rewriteFamilies(value, names, fallbacks));
  const root = /^<svg\b[^>]*>/i.exec(rewritten);
  if (!root) throw new Error('The SVG does not start with its root element'); // finishSvg's output always does
  const out = `${root[0]}<style class="flowsmith-fonts">${rules.join('')}</style>${rewritten.slice(root[0].length)}`;
  return { svg: out, faces: embedded, addedBytes: Buffer.byteLength(out) - Buffer.byteLength(svg), notEmbedded: [...notEmbedded].join('') };
}
