import { brotliDecompressSync } from 'node:zlib';
import { assignFaces, embedFonts, privateNames, rewriteFamilies, rewriteFontFamilies } from './embed-fonts';
import { FontCatalog, FontCatalogSource, matchFace, parseFontconfigLine } from './font-faces';
import { isSafeSvg } from './finish-svg';
import { sanitizeSvg } from './sanitize-svg';
import { familyNames, textUses, TooComplexError } from './svg-fonts';
import { faceOfCollection, sfntTables, sfntToWoff2 } from './woff2';

/** A catalog of made-up faces, as `fc-list -f` would print them (file, index, family, weight, slant, width, color, charset). */
const LINES = [
  ['/f/NotoSans-Regular.ttf', 0, 'Noto Sans', 80, 0, 100, 'False', '20-7e a0-17f'],
  ['/f/NotoSans-Bold.ttf', 0, 'Noto Sans', 200, 0, 100, 'False', '20-7e a0-17f'],
  ['/f/NotoSans-Italic.ttf', 0, 'Noto Sans', 80, 100, 100, 'False', '20-7e a0-17f'],
  ['/f/NotoSansCJK-Regular.ttc', 2, 'Noto Sans CJK SC', 80, 0, 100, 'False', '20-7e 3000-30ff 4e00-9fff'],
  ['/f/NotoSansCJK-Regular.ttc', 0, 'Noto Sans CJK JP', 80, 0, 100, 'False', '20-7e 3000-30ff 4e00-9fff'],
  ['/f/NotoColorEmoji.ttf', 0, 'Noto Color Emoji', 80, 0, 100, 'True', '20 1f300-1f6ff'],
  ['/f/DejaVuSans.ttf', 0, 'DejaVu Sans', 80, 0, 100, 'False', '20-7e 2190-21ff'],
  ['/f/DejaVuSansCondensed.ttf', 0, 'DejaVu Sans,DejaVu Sans Condensed', 80, 0, 75, 'False', '20-7e'],
].map((fields) => fields.join('\t'));
const FALLBACK_ORDER = ['/f/NotoSans-Regular.ttf\t0', '/f/DejaVuSans.ttf\t0', '/f/NotoSansCJK-Regular.ttc\t0', '/f/NotoColorEmoji.ttf\t0'];
const source: FontCatalogSource = { list: () => LINES.join('\n'), sorted: () => FALLBACK_ORDER.join('\n') };
const catalog = new FontCatalog(source);

const FONT_STACK = '"Noto Sans", "Noto Sans CJK SC", "Noto Color Emoji", sans-serif';
const svg = (body: string, style = '') => `<svg xmlns="http://www.w3.org/2000/svg" id="fs1" viewBox="0 0 10 10" width="10" height="10"><style>${style}</style>${body}</svg>`;
const use = (uses: ReturnType<typeof textUses>, families: string, weight = 400, style = 'normal') => {
  const found = uses.find((u) => u.families === familyNames(families).join(', ') && u.weight === weight && u.style === style);
  return found ? [...found.text].sort().join('') : undefined;
};

describe('textUses: the fonts each text is drawn with, by a small CSS cascade', () => {
  it('reads families from style sheets, presentation attributes and style attributes, and inherits them', () => {
    const uses = textUses(
      svg(
        '<g class="node"><text><tspan>Ab</tspan><tspan font-weight="bold">Cd</tspan></text></g>' +
          '<text font-family="DejaVu Sans">Ef</text><text class="over" font-family="DejaVu Sans">Ij</text>' +
          '<text style="font-family: &quot;Noto Sans&quot;; font-style: italic">Gh</text>' +
          '<g font-family="Noto Sans CJK SC"><text class="plain">日本</text></g>',
        `#fs1{font-family:${FONT_STACK}}#fs1 .node text{font-weight:400}.over{font-family:"Noto Sans"}`,
      ),
    );
    expect(use(uses, FONT_STACK)).toBe(' Ab');
    expect(use(uses, FONT_STACK, 700)).toBe(' Cd');
    // An element's own presentation attribute beats what it inherits, and loses to any rule that matches it.
    expect(use(uses, 'DejaVu Sans')).toBe(' Ef');
    expect(use(uses, 'Noto Sans')).toBe(' Ij');
    expect(use(uses, 'Noto Sans', 400, 'italic')).toBe(' Gh');
    expect(use(uses, 'Noto Sans CJK SC')).toBe(' 日本');
  });

  it('ranks rules by specificity, then order, with !important above the style attribute', () => {
    const css = '.a text{font-family:"Noto Sans"} text{font-family:"DejaVu Sans"} .b text{font-weight:bold!important}';
    const uses = textUses(svg('<g class="a b"><text style="font-weight:300">x</text></g>', css));
    expect(use(uses, 'Noto Sans', 700)).toBe(' x');
    expect(uses).toHaveLength(1);
  });

  it('counts a rule it cannot decide (a pseudo-class) as "may match": both values get embedded', () => {
    const uses = textUses(svg('<text class="t">Hi</text>', `#fs1{font-family:${FONT_STACK}} .t:hover{font-weight:bold}`));
    expect(use(uses, FONT_STACK, 400)).toBe(' Hi');
    expect(use(uses, FONT_STACK, 700)).toBe(' Hi');
  });

  it('decodes entities and CDATA, and skips what is not drawn (titles, text outside <text>)', () => {
    const uses = textUses(svg(`<g font-family="Noto Sans"><title>Zz</title><text>&lt;&amp;&#x4E2D;<title>Qq</title><![CDATA[ok]]></text>Yy</g>`));
    expect(use(uses, 'Noto Sans')).toBe(' &<ko中');
    // A no-break space is a glyph to embed; XML whitespace is drawn as the space every set has.
    expect(use(textUses(svg('<text font-family="Noto Sans">a&#160;b\n\tc</text>')), 'Noto Sans')).toBe(' abc\u00a0');
  });

  it('reads the font shorthand, bolder and child combinators', () => {
    const css = 'g > text{font:italic bold 12px/1.2 "DejaVu Sans", sans-serif} .x text tspan{font-weight:bolder}';
    const uses = textUses(svg('<g class="x"><text>a<tspan>b</tspan></text></g>'));
    expect(uses).toEqual([]);
    const styled = textUses(svg('<g class="x"><text>a<tspan>b</tspan></text></g>', css));
    expect(use(styled, 'DejaVu Sans, sans-serif', 700, 'italic')).toBe(' a');
    expect(use(styled, 'DejaVu Sans, sans-serif', 900, 'italic')).toBe(' b');
  });

  it('gives up on a style sheet too large to follow (a hostile source): embedFonts then leaves the SVG as it is', async () => {
    const css = Array.from({ length: 501 }, (_, i) => `.c${i} text{font-family:"F${i}"}`).join('');
    expect(() => textUses(svg('<text>x</text>', css))).toThrow(TooComplexError);
    const hostile = svg('<text>x</text>', css);
    expect(await embedFonts(hostile, catalog)).toMatchObject({ svg: hostile, faces: [], addedBytes: 0, skipped: expect.stringContaining('501 font rules') });
  });

  it('family lists lose their quotes, keep their order', () => {
    expect(familyNames(`"Noto Sans", 'Noto Sans CJK SC',Noto   Color Emoji , sans-serif`)).toEqual(['Noto Sans', 'Noto Sans CJK SC', 'Noto Color Emoji', 'sans-serif']);
  });
});

describe('font faces: fontconfig lines and CSS font matching', () => {
  it('parses a line, its weight to CSS and its character ranges', () => {
    const face = parseFontconfigLine(LINES[3]);
    expect(face).toMatchObject({ file: '/f/NotoSansCJK-Regular.ttc', index: 2, family: 'Noto Sans CJK SC', weight: 400, style: 'normal', color: false });
    expect(face?.coverage).toEqual([[0x20, 0x7e], [0x3000, 0x30ff], [0x4e00, 0x9fff]]);
    expect(parseFontconfigLine('/f/x.pcf.gz\t0\tFixed\t80\t0\t100\tFalse\t20-7e')).toBeNull();
  });

  it('matches weight and style as CSS does, and prefers the normal width', () => {
    expect(catalog.face('Noto Sans', 700, 'normal')?.file).toBe('/f/NotoSans-Bold.ttf');
    expect(catalog.face('noto sans', 600, 'normal')?.file).toBe('/f/NotoSans-Bold.ttf');
    expect(catalog.face('Noto Sans', 500, 'normal')?.file).toBe('/f/NotoSans-Regular.ttf');
    expect(catalog.face('Noto Sans', 400, 'oblique')?.file).toBe('/f/NotoSans-Italic.ttf');
    // No bold italic: the italic face, which the browser makes bold itself.
    expect(catalog.face('Noto Sans', 700, 'italic')?.file).toBe('/f/NotoSans-Italic.ttf');
    expect(catalog.face('DejaVu Sans', 400, 'normal')?.file).toBe('/f/DejaVuSans.ttf');
    expect(catalog.face('Arial', 400, 'normal')).toBeUndefined();
    const faces = ['100', '300', '900'].map((w) => ({ ...catalog.face('Noto Sans', 400, 'normal')!, weight: Number(w) }));
    expect(matchFace(faces, 400, 'normal')?.weight).toBe(300);
    expect(matchFace(faces, 600, 'normal')?.weight).toBe(900);
  });
});

describe('assignFaces: which face draws each character, as Chromium picks it', () => {
  it('takes the first family with the glyph, falls back as fontconfig orders, and leaves colour emoji out', () => {
    const uses = [{ families: 'Noto Sans, Noto Sans CJK SC, Noto Color Emoji, sans-serif', weight: 400, style: 'normal' as const, text: new Set([' ', 'A', '中', '🚀', '→']) }];
    const { assigned, fallbacks, notEmbedded } = assignFaces(uses, catalog);
    const byFamily = Object.fromEntries(assigned.map((a) => [`${a.family} ${a.face.file}#${a.face.index}`, [...a.text].sort().join('')]));
    expect(byFamily).toEqual({
      'Noto Sans /f/NotoSans-Regular.ttf#0': ' A',
      'Noto Sans CJK SC /f/NotoSansCJK-Regular.ttc#2': '中',
      // sans-serif: fontconfig's order, first face with an arrow.
      'DejaVu Sans /f/DejaVuSans.ttf#0': '→',
    });
    expect(fallbacks.get(uses[0].families)).toEqual(['DejaVu Sans']);
    expect(notEmbedded).toEqual(new Set(['🚀']));
  });

  it('a list without the glyph falls back to what fontconfig would pick (PlantUML names only "Noto Sans")', () => {
    const { assigned, fallbacks } = assignFaces([{ families: 'Noto Sans', weight: 400, style: 'normal', text: new Set(['你']) }], catalog);
    expect(assigned.map((a) => [a.family, a.face.index])).toEqual([['Noto Sans CJK JP', 0]]);
    expect(fallbacks.get('Noto Sans')).toEqual(['Noto Sans CJK JP']);
  });
});

describe('rewriting font-family: the private names first', () => {
  const names = new Map([['Noto Sans', 'fs-noto-sans-0a1b2c3d'], ['Noto Sans CJK JP', 'fs-noto-sans-cjk-jp-4e5f6a7b'], ['DejaVu Sans', 'fs-dejavu-sans-11111111']]);
  const fallbacks = new Map([['Noto Sans', ['Noto Sans CJK JP']], ['Noto Sans, Noto Color Emoji, sans-serif', ['DejaVu Sans']]]);

  it('puts each embedded family behind its private name, and fallbacks before the generic family or at the end', () => {
    expect(rewriteFamilies('Noto Sans', names, fallbacks)).toBe('fs-noto-sans-0a1b2c3d, Noto Sans, fs-noto-sans-cjk-jp-4e5f6a7b');
    expect(rewriteFamilies('"Noto Sans", "Noto Color Emoji", sans-serif', names, fallbacks)).toBe('fs-noto-sans-0a1b2c3d, "Noto Sans", "Noto Color Emoji", fs-dejavu-sans-11111111, sans-serif');
    expect(rewriteFamilies('Arial', names, fallbacks)).toBe('Arial');
  });

  it('rewrites attributes, style attributes and style sheets (font shorthands too), escaped as they were', () => {
    const out = rewriteFontFamilies(
      '<svg><style>#a{font-family:"Noto Sans" !important;fill:red}.b{font:bold 12px/1.5 "Noto Sans";}</style><text font-family="&quot;Noto Sans&quot;">x</text><text style="font-size:2px;font-family:Noto Sans">y</text></svg>',
      (value) => rewriteFamilies(value, names, fallbacks),
    );
    expect(out).toBe(
      '<svg><style>#a{font-family:fs-noto-sans-0a1b2c3d, "Noto Sans", fs-noto-sans-cjk-jp-4e5f6a7b !important;fill:red}' +
        '.b{font:bold 12px/1.5 fs-noto-sans-0a1b2c3d, "Noto Sans", fs-noto-sans-cjk-jp-4e5f6a7b;}</style>' +
        '<text font-family="fs-noto-sans-0a1b2c3d, &quot;Noto Sans&quot;, fs-noto-sans-cjk-jp-4e5f6a7b">x</text>' +
        '<text style="font-size:2px;font-family:fs-noto-sans-0a1b2c3d, Noto Sans, fs-noto-sans-cjk-jp-4e5f6a7b">y</text></svg>',
    );
  });

  it('private names change with the characters, so two SVGs inlined in one page cannot take each other\'s glyphs', () => {
    const face = catalog.face('Noto Sans', 400, 'normal')!;
    const one = privateNames([{ face, family: 'Noto Sans', text: new Set('ab') }]).get('Noto Sans');
    const two = privateNames([{ face, family: 'Noto Sans', text: new Set('ac') }]).get('Noto Sans');
    expect(one).toMatch(/^fs-noto-sans-[0-9a-f]{8}$/);
    expect(two).not.toBe(one);
  });
});

/** A made-up sfnt with the given tables (enough for the container code, which never reads inside them). */
function sfnt(tables: Record<string, string>, flavor = 0x00010000): Buffer {
  const tags = Object.keys(tables).sort();
  const header = Buffer.alloc(12 + 16 * tags.length);
  header.writeUInt32BE(flavor, 0);
  header.writeUInt16BE(tags.length, 4);
  let offset = header.length;
  const bodies: Buffer[] = [];
  tags.forEach((tag, i) => {
    const data = Buffer.from(tables[tag]);
    header.write(tag, 12 + 16 * i, 'latin1');
    header.writeUInt32BE(offset, 12 + 16 * i + 8);
    header.writeUInt32BE(data.length, 12 + 16 * i + 12);
    const padded = Buffer.alloc((data.length + 3) & ~3);
    data.copy(padded);
    bodies.push(padded);
    offset += padded.length;
  });
  return Buffer.concat([header, ...bodies]);
}

describe('WOFF2 and collections', () => {
  it('writes the WOFF2 container: header, directory with null transforms, one Brotli stream of the tables', () => {
    const font = sfnt({ glyf: 'GLYPHS', loca: 'LOCA', head: 'HEAD-TABLE', zzzz: 'custom' });
    const woff2 = sfntToWoff2(font);
    expect(woff2.toString('latin1', 0, 4)).toBe('wOF2');
    expect(woff2.readUInt32BE(8)).toBe(woff2.length);
    expect(woff2.length % 4).toBe(0);
    expect(woff2.readUInt16BE(12)).toBe(4);
    // Directory, by tag with loca right after glyf: glyf (10) and loca (11) with transform version 3, head (1), zzzz by its tag (63).
    const directory = [...woff2.subarray(48, 48 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 4 + 1)];
    expect(directory).toEqual([10 | 0xc0, 6, 11 | 0xc0, 4, 1, 10, 63, ...Buffer.from('zzzz'), 6]);
    const compressedLength = woff2.readUInt32BE(20);
    const stream = brotliDecompressSync(woff2.subarray(48 + directory.length, 48 + directory.length + compressedLength));
    expect(stream.toString('latin1')).toBe('GLYPHSLOCAHEAD-TABLEcustom');
    expect(woff2.readUInt32BE(16)).toBe(12 + 16 * 4 + 8 + 12 + 4 + 8);
  });

  it('takes one face out of a collection with its own tables', () => {
    const first = sfnt({ cmap: 'one', head: 'h1' });
    const second = sfnt({ cmap: 'two', head: 'h2', name: 'n2' });
    const ttc = Buffer.alloc(20);
    ttc.write('ttcf', 0, 'latin1');
    ttc.writeUInt32BE(0x00010000, 4);
    ttc.writeUInt32BE(2, 8);
    ttc.writeUInt32BE(20, 12);
    ttc.writeUInt32BE(20 + first.length, 16);
    // Table offsets in a collection count from the start of the file.
    const shift = (font: Buffer, by: number) => {
      const copy = Buffer.from(font);
      for (let i = 0; i < copy.readUInt16BE(4); i++) copy.writeUInt32BE(copy.readUInt32BE(12 + 16 * i + 8) + by, 12 + 16 * i + 8);
      return copy;
    };
    const collection = Buffer.concat([ttc, shift(first, 20), shift(second, 20 + first.length)]);
    const face = faceOfCollection(collection, 1);
    expect(sfntTables(face).tables.map((t) => [t.tag, t.data.toString()])).toEqual([['cmap', 'two'], ['head', 'h2'], ['name', 'n2']]);
    expect(() => faceOfCollection(collection, 2)).toThrow(/2 faces/);
    expect(faceOfCollection(first, 0)).toBe(first);
  });
});

describe('the safety check lets exactly the embedded fonts through', () => {
  const FACE = '@font-face{font-family:fs-noto-sans-0a1b2c3d;font-weight:400;font-style:normal;src:url(data:font/woff2;base64,d09GMgABAAA=) format("woff2")}';
  const ROOT = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" width="10" height="10">';
  const fonts = (css: string, attributes = 'class="flowsmith-fonts"') => `${ROOT}<style ${attributes}>${css}</style><text font-family="fs-noto-sans-0a1b2c3d">x</text></svg>`;

  it('a source cannot bring its own: the SVG step removes a data: font, even one written as ours', () => {
    const source = `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><style class="flowsmith-fonts">${FACE}</style><text style="font-family:fs-noto-sans-0a1b2c3d">x</text></svg>`;
    const cleaned = sanitizeSvg(source, { optimise: false }).svg;
    expect(cleaned).not.toContain('data:font');
  });

  it('accepts the style block embedFonts writes, right after the root tag', () => {
    expect(isSafeSvg(fonts(FACE + FACE.replace('400', '700')))).toBe(true);
  });

  it.each([
    ['a font block anywhere but first', `${ROOT}<g/><style class="flowsmith-fonts">${FACE}</style></svg>`],
    ['another class', fonts(FACE, 'class="fonts"')],
    ['a second, source-made block after the first', `${ROOT}<style class="flowsmith-fonts">${FACE}</style><style class="flowsmith-fonts">${FACE}</style></svg>`],
    ['anything else in the block', fonts(`${FACE}@import url(https://evil.example/x.css);`)],
    ['a url() outside @font-face', fonts(`${FACE}text{fill:url(data:font/woff2;base64,AAAA)}`)],
    ['another data: type', fonts(FACE.replace('font/woff2', 'font/ttf'))],
    ['an https font', fonts(FACE.replace('data:font/woff2;base64,d09GMgABAAA=', 'https://evil.example/f.woff2'))],
    ['a family name with CSS in it', fonts(FACE.replace('fs-noto-sans-0a1b2c3d', 'x}*{background:url(https://evil.example/)'))],
    ['a data: font in an attribute', `${ROOT}<text style="src:url(data:font/woff2;base64,AAAA)">x</text></svg>`],
  ])('refuses %s', (_, unsafe) => {
    expect(isSafeSvg(unsafe)).toBe(false);
  });
});
