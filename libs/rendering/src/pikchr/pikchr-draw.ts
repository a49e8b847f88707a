import { readableFill, visibleStroke } from '../colour/colour';
import type { ThemePalette } from '../themes';
import { type Draw, SourceError } from '../thread/drawing';

interface Pikchr {
  loadWASM(): Promise<void>;
  render(markup: string, svgClass?: string, flags?: number): string;
}

let pikchr: Promise<Pikchr> | undefined;

/** Pikchr's C source built to WebAssembly (pikchr-wasm, the module embedded in its script): loaded once per thread; no files, no network. */
function load(): Promise<Pikchr> {
  pikchr ??= import('pikchr-wasm').then(async (module) => {
    const lib = ((module as { default?: Pikchr }).default ?? module) as Pikchr;
    await lib.loadWASM();
    return lib;
  });
  return pikchr;
}

/** pikchr.c's flag for errors as plain text rather than HTML. */
const PLAINTEXT_ERRORS = 0x0001;

/**
 * Stands for the theme in `fgcolor`, the colour pikchr gives everything drawn in its default black:
 * after drawing, text takes the theme's text colour, closed shapes its node stroke and lines and
 * arrowheads its line colour. A source that sets `fgcolor` itself keeps its own.
 */
const FOREGROUND = 'rgb(1,2,3)';
const hex = (colour: string) => `0x${colour.replace('#', '')}`;

/**
 * The theme as a first line of pikchr variables: `fgcolor` (the default ink) and `bgcolor` (what
 * `fill white` becomes, so masks keep masking on a dark canvas). A source's own assignments come
 * later and win.
 */
const prelude = (palette: ThemePalette) => `fgcolor = 0x010203; bgcolor = ${hex(palette.background)}\n`;

/** The line and column of pikchr's plain-text error: `/*   N *\/  source` lines, then a line of carets under the fault. */
function errorOf(output: string): SourceError {
  const lines = output.split('\n');
  const message = lines.find((line) => line.startsWith('ERROR: '))?.slice(7).trim() ?? (output.trim() || 'the source could not be drawn');
  let line: number | undefined;
  let column: number | undefined;
  const caret = lines.findIndex((text) => /^\s*\^+\s*$/.test(text));
  for (let i = (caret >= 0 ? caret : lines.length) - 1; i >= 0; i--) {
    const context = /^\/\*\s*(\d+) \*\/ {2}/.exec(lines[i]);
    if (!context) continue;
    line = Number(context[1]) - 1;
    if (caret >= 0) column = lines[caret].indexOf('^') - context[0].length + 1;
    break;
  }
  if (line !== undefined && line < 1) line = undefined;
  const snippet = line !== undefined && column !== undefined && column > 0 ? ` (line ${line}, column ${column})` : line !== undefined ? ` (line ${line})` : '';
  return new SourceError(`Pikchr: ${message}${snippet}`, line, column && column > 0 ? column : undefined);
}

/** HTML's named entities that pikchr labels use most (arrows, Greek, maths, typography), as characters. */
const ENTITIES: Record<string, string> = Object.fromEntries(
  (
    'nbsp:160 copy:169 reg:174 trade:8482 deg:176 plusmn:177 times:215 divide:247 micro:181 middot:183 para:182 sect:167 laquo:171 raquo:187 ' +
    'lsquo:8216 rsquo:8217 ldquo:8220 rdquo:8221 ndash:8211 mdash:8212 hellip:8230 bull:8226 prime:8242 Prime:8243 euro:8364 pound:163 yen:165 cent:162 ' +
    'larr:8592 uarr:8593 rarr:8594 darr:8595 harr:8596 lArr:8656 uArr:8657 rArr:8658 dArr:8659 hArr:8660 crarr:8629 ' +
    'le:8804 ge:8805 ne:8800 asymp:8776 equiv:8801 infin:8734 sum:8721 prod:8719 radic:8730 part:8706 int:8747 nabla:8711 forall:8704 exist:8707 ' +
    'empty:8709 isin:8712 notin:8713 and:8743 or:8744 not:172 cap:8745 cup:8746 sub:8834 sup:8835 sube:8838 supe:8839 oplus:8853 otimes:8855 perp:8869 ' +
    'alpha:945 beta:946 gamma:947 delta:948 epsilon:949 zeta:950 eta:951 theta:952 iota:953 kappa:954 lambda:955 mu:956 nu:957 xi:958 omicron:959 ' +
    'pi:960 rho:961 sigma:963 tau:964 upsilon:965 phi:966 chi:967 psi:968 omega:969 Gamma:915 Delta:916 Theta:920 Lambda:923 Xi:926 Pi:928 ' +
    'Sigma:931 Phi:934 Psi:936 Omega:937 spades:9824 clubs:9827 hearts:9829 diams:9830 loz:9674 check:10003 cross:10007'
  )
    .split(' ')
    .map((entry) => entry.split(':'))
    .map(([name, code]) => [name, `&#${code};`]),
);

/**
 * Text as XML: pikchr escapes `<` and `>` in labels but passes `&` through, for HTML's entities
 * (`&rarr;`), which XML does not know. XML's own and numeric references stay, the common HTML ones
 * become the characters they name, and any other `&` is a plain ampersand (`R&D`).
 */
const xmlText = (text: string) =>
  text.replace(/&(?:(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+)|([a-z][a-z0-9]*));?/gi, (whole, xml: string | undefined, name: string | undefined) => {
    if (xml && whole.endsWith(';')) return whole;
    if (name && whole.endsWith(';') && ENTITIES[name]) return ENTITIES[name];
    return `&amp;${whole.slice(1)}`;
  });

/**
 * The default ink, given the theme's colours by what it draws; the colours the source names, kept
 * where they read on the theme's canvas and moved just far enough where they do not (a
 * `fill lightyellow` box becomes a dark yellow tint on a dark canvas, under the theme's light text).
 * pikchr's own dark mode would invert every colour instead, into near-black fills on any dark canvas.
 */
function themed(svg: string, palette: ThemePalette): string {
  const { text, line, nodeStroke, background } = palette;
  const own = (colour: string) => colour.replace(/\s/g, '') === FOREGROUND;
  // The last outline drawn: a `file`'s folded corner is an open path inside it, part of the shape.
  let outline: { x0: number; y0: number; x1: number; y1: number } | null = null;
  return svg.replace(/<(text|path|circle|ellipse|polygon|polyline)\b[^>]*>/g, (tag, name: string) => {
    if (name === 'text') return tag.replace(/\sfill="([^"]*)"/, (_, colour: string) => ` fill="${own(colour) ? text : visibleStroke(colour, text, background, 4.5)}"`);
    const d = name === 'path' ? (/\sd="([^"]*)"/.exec(tag)?.[1] ?? '') : '';
    const points = [...d.matchAll(/(-?[\d.]+),(-?[\d.]+)/g)].map((match) => [Number(match[1]), Number(match[2])]);
    const box = outline;
    const inside = box !== null && points.length > 0 && points.every(([x, y]) => x >= box.x0 && x <= box.x1 && y >= box.y0 && y <= box.y1);
    const closed = name === 'circle' || name === 'ellipse' || /[ZA]/.test(d) || inside;
    if (/[ZA]/.test(d)) {
      const [xs, ys] = [points.map(([x]) => x), points.map(([, y]) => y)];
      outline = { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
    } else if (name !== 'polygon') outline = null;
    return tag
      .replace(/stroke:(rgb\([^)]*\))/g, (_, colour: string) => `stroke:${own(colour) ? (closed ? nodeStroke : line) : visibleStroke(colour, text, background)}`)
      .replace(/fill:(rgb\([^)]*\))/g, (_, colour: string) => {
        // pikchr draws arrowheads, and only them, as polygons: they are ink, not areas.
        if (name === 'polygon') return `fill:${own(colour) ? line : visibleStroke(colour, text, background)}`;
        return `fill:${own(colour) ? text : readableFill(colour, text, background)}`;
      });
  });
}

/** Pikchr (PIC-like diagrams): one kind of drawing. */
export const draw: Draw = async (source, palette) => {
  const lib = await load();
  const output = lib.render(prelude(palette) + source, 'pikchr', PLAINTEXT_ERRORS);
  if (/^\s*<!--\s*empty pikchr diagram/.test(output)) throw new SourceError('Pikchr: the source draws nothing.', 1);
  if (!/^\s*<svg\b/.test(output)) throw errorOf(output);
  // pikchr sets no font: it sizes text for a 16 px sans-serif whose widths its table estimates (Helvetica's, near enough).
  const svg = themed(output, palette)
    // pikchr keeps a label's spaces as no-break spaces; plain spaces, kept as written (xml:space), read and copy as the source wrote them.
    .replace(/(<text\b[^>]*>)([^<]*)(<\/text>)/g, (_, open: string, text: string, close: string) => `${open}${xmlText(text).replace(/\u00a0/g, ' ')}${close}`)
    .replace(/^\s*<svg\b/, '<svg xml:space="preserve" font-family="Helvetica, Arial, sans-serif" font-size="16"');
  return { svg, diagramType: 'pikchr' };
};
