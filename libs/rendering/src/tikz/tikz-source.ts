import { MAX_SOURCE_BYTES, RenderFailure } from '@flowsmith/contracts';
import { positionOf } from '../source-position';
import { themePalette, type ThemeDefinition, type ThemePalette } from '../themes';

/**
 * A TikZ source as TeX reads it (tikz-engine.ts): one line of set-up (the dvisvgm driver, the
 * theme's colours), then the user's text, so that line n of the file is line n of the source.
 */
export interface TikzDocument {
  /** The file TeX reads (job.tex). */
  text: string;
  /** Space around the drawing in pt, as standalone's `border` option: left, bottom, right, top. */
  border: [number, number, number, number];
  diagramType: string;
  /** How many lines the user's source has: errors past it are in our closing lines. */
  lines: number;
}

export type TikzFramed = { ok: true; value: TikzDocument } | { ok: false; error: RenderFailure };

/**
 * Packages a source may load: TikZ and PGF with the drawing packages built on them, maths, and the
 * small LaTeX helpers pictures use. All are in Debian's texlive-latex-base, -latex-recommended and
 * -pictures (the engine's packages). Others are refused before TeX runs.
 */
export const TIKZ_PACKAGES: ReadonlySet<string> = new Set([
  'tikz', 'pgf', 'pgfplots', 'pgfplotstable', 'xcolor', 'color', 'graphicx',
  'tikz-cd', 'circuitikz', 'tikz-3dplot', 'tikz-qtree', 'tikz-timing', 'tikzsymbols', 'tikzpeople', 'pgfgantt', 'pgf-umlsd', 'pgf-umlcd', 'pgfornament', 'tkz-graph',
  'amsmath', 'amssymb', 'amsfonts', 'amsthm', 'mathtools', 'bm', 'xfrac', 'textcomp', 'inputenc', 'fontenc',
  'calc', 'ifthen', 'etoolbox', 'xparse', 'array', 'booktabs', 'tabularx', 'geometry',
]);

/** Document classes: standalone (our stand-in, tikz-engine.ts STANDALONE_CLASS) and article. */
const CLASSES = new Set(['standalone', 'article']);

/** TikZ and pgfplots libraries that would run TeX again or read and write files of their own. */
const REFUSED_LIBRARIES = new Set(['external', 'graphdrawing']);

/**
 * Control sequences that are refused, by what their names contain (compared in lower case, `@`,
 * `_` and `:` taken as letters, so internal and expl3 names are caught too). TeX itself cannot read
 * outside its job folder or run programs (tikz-engine.ts), so this is a second wall, and the one
 * that answers with a clear message.
 */
const REFUSED_COMMANDS: Array<[RegExp, string]> = [
  [/input|include|openin|read|file|image|mdfivesum/, 'reads files'],
  [/write|openout/, 'writes files'],
  [/shell|(^|direct|late)lua/, 'runs programs'],
  // pgf's RDF commands write their argument unescaped into dvisvgm's raw SVG (found by the XSS corpus).
  [/special|rdf|pgfsys@|dvisvgm/, 'passes raw code to the SVG converter'],
  [/catcode|makeat|expl|scantokens|verb|eof/, 'changes how TeX reads the source'],
  [/csname|nameuse|namedef|namelet|usename|expandargs|^cs(use|def|gdef|edef|xdef|let|letcs|undef|name)$|^letcs|^ifcs|primitive/, 'builds command names from text'],
  [/^font$/, 'loads fonts by file name'],
  [/external/, 'externalizes pictures (runs TeX again)'],
];

/** Environments that change how TeX reads what is in them, or write files. */
const REFUSED_ENVIRONMENTS = /^(verbatim\*?|Verbatim\*?|lstlisting|filecontents\*?|comment)$/;

const fail = (message: string, source?: string, index?: number): TikzFramed => {
  const position = source !== undefined && index !== undefined ? positionOf(source, index) : undefined;
  return { ok: false, error: { code: 'parse_failed', message: `TikZ${position ? ` (line ${position.line})` : ''}: ${message}`, line: position?.line, column: position?.column } };
};

/**
 * The source with its comments blanked out (spaces, so indices and lines stay): `%` to the end of
 * its line, unless escaped (`\%`). Exact while nothing changes catcodes, which the screen refuses.
 */
export function blankComments(source: string): string {
  // UTF-16 units, as indices into the string count them.
  const chars = source.split('');
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] === '\\') i++;
    else if (chars[i] === '%') for (; i < chars.length && chars[i] !== '\n'; i++) chars[i] = ' ';
  }
  return chars.join('');
}

/** Group contents `{...}` from `open` (the index of `{`), or null when it is not closed. */
function groupAt(text: string, open: number): { body: string; end: number } | null {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return { body: text.slice(open + 1, i), end: i + 1 };
  }
  return null;
}

const LOADERS = /^(usepackage|RequirePackage|documentclass|usetikzlibrary|usepgflibrary|usepgfplotslibrary)$/;
const NAMES = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

/** The packages, class or libraries named by `\<command>[options]{names}` at `index`, or why it is refused. */
function loaded(text: string, index: number, command: string): { names: string[]; options: string; end: number } | string {
  // Loaders stand at the start of a statement: `\let\x\usepackage` would load anything later.
  const before = text.slice(0, index).replace(/[ \t]+$/, '');
  if (before !== '' && !/[\n}\]]$/.test(before)) return `\\${command} must begin a line or follow a closing brace`;
  let at = index + command.length + 1;
  const skip = () => {
    while (/\s/.test(text[at] ?? '')) at++;
  };
  skip();
  let options = '';
  if (text[at] === '[') {
    const close = text.indexOf(']', at);
    if (close < 0) return `\\${command} has an unclosed [options]`;
    options = text.slice(at + 1, close);
    at = close + 1;
    skip();
  }
  const group = text[at] === '{' ? groupAt(text, at) : null;
  if (!group) return `\\${command} must be followed by {names} written out`;
  const names = group.body.split(',').map((name) => name.trim()).filter(Boolean);
  const bad = names.find((name) => !NAMES.test(name));
  if (bad !== undefined || !names.length) return `\\${command} must name packages or libraries by their plain names`;
  return { names, options, end: group.end };
}

/** What a picture draws, by the first environment or command of a drawing package it uses. */
const KINDS: Array<[RegExp, string]> = [
  [/\\begin\s*\{(axis|semilogxaxis|semilogyaxis|loglogaxis|polaraxis|groupplot)\}/, 'pgfplots'],
  [/\\begin\s*\{circuitikz\}/, 'circuitikz'],
  [/\\begin\s*\{tikzcd\}/, 'tikz-cd'],
  [/\\begin\s*\{ganttchart\}/, 'pgfgantt'],
  [/\\begin\s*\{sequencediagram\}/, 'pgf-umlsd'],
  [/\\umlclass|\\begin\s*\{class\}/, 'pgf-umlcd'],
  [/\\begin\s*\{tikztimingtable\}|\\timing\b/, 'tikz-timing'],
  [/\\Tree\b/, 'tikz-qtree'],
  [/\\begin\s*\{tikzpicture\}|\\tikz\b/, 'tikzpicture'],
];

/** Packages a bare picture gets without asking, by the environments it uses. */
const IMPLIED: Array<[RegExp, string, string]> = [
  [/\\begin\s*\{(axis|semilogxaxis|semilogyaxis|loglogaxis|polaraxis)\}/, 'pgfplots', '\\pgfplotsset{compat=1.18}'],
  [/\\begin\s*\{circuitikz\}/, 'circuitikz', ''],
  [/\\begin\s*\{tikzcd\}/, 'tikz-cd', ''],
];

/** TeX lengths in pt; `em` and `ex` as in the 10 pt Computer Modern the pictures are set in. */
const UNITS: Record<string, number> = { pt: 1, bp: 72.27 / 72, mm: 72.27 / 25.4, cm: 72.27 / 2.54, in: 72.27, pc: 12, dd: 1238 / 1157, cc: (12 * 1238) / 1157, sp: 1 / 65536, em: 10, ex: 4.31 };

/** standalone's `border`: one length, two (left/right, bottom/top) or four (left, bottom, right, top). */
export function parseBorder(value: string): [number, number, number, number] | null {
  const lengths = value
    .replace(/^\s*\{|\}\s*$/g, '')
    .trim()
    .split(/\s+/)
    .map((part) => {
      const match = /^(-?\d*\.?\d+)(pt|bp|mm|cm|in|pc|dd|cc|sp|em|ex)$/.exec(part);
      return match ? Math.max(0, Math.min(1000, Number(match[1]) * UNITS[match[2]])) : NaN;
    });
  if (lengths.some(Number.isNaN)) return null;
  if (lengths.length === 1) return [lengths[0], lengths[0], lengths[0], lengths[0]];
  if (lengths.length === 2) return [lengths[0], lengths[1], lengths[0], lengths[1]];
  if (lengths.length === 4) return lengths as [number, number, number, number];
  return null;
}

/** The margin around a picture that names none: enough for strokes on its edge and a little air. */
export const DEFAULT_BORDER: [number, number, number, number] = [4, 4, 4, 4];

type Rgb = [number, number, number];
const rgbOf = (hex: string): Rgb => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255) as Rgb;
const hexOf = (rgb: Rgb) => rgb.map((c) => Math.round(c * 255).toString(16).padStart(2, '0')).join('').toUpperCase();
const isHex = (colour: string | undefined): colour is string => !!colour && /^#[0-9a-f]{6}$/i.test(colour);
const luminance = (rgb: Rgb) => {
  const [r, g, b] = rgb.map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const contrast = (a: Rgb, b: Rgb) => {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
};
const num = (n: number) => String(Math.round(n * 10000) / 10000);

/** xcolor's base colours that carry a hue, as it defines them. */
const HUES: Record<string, Rgb> = {
  red: [1, 0, 0], green: [0, 1, 0], blue: [0, 0, 1], cyan: [0, 1, 1], magenta: [1, 0, 1], yellow: [1, 1, 0],
  brown: [0.75, 0.5, 0.25], lime: [0.75, 1, 0], olive: [0.5, 0.5, 0], orange: [1, 0.5, 0], pink: [1, 0.75, 0.75],
  purple: [0.75, 0, 0.25], teal: [0, 0.5, 0.5], violet: [0.5, 0, 0.5],
};

/**
 * A dark theme's translation of paper colours, as xcolor definitions: white (paper) is the canvas
 * and black (ink) the theme's text, so `white` fills, `black` lines and every tint (`blue!20`,
 * which xcolor mixes with white) follow the canvas; the hues are lightened just enough to read
 * 4.5:1 on it, as dark-mode palettes do. `\XC@clr@<model>@white` is the white xcolor mixes tints with.
 */
function darkColours(palette: ThemePalette): string {
  const canvas = rgbOf(palette.background);
  const [r, g, b] = canvas;
  const [c, m, y] = [1 - r, 1 - g, 1 - b];
  const k = Math.min(c, m, y);
  const max = Math.max(r, g, b);
  const delta = max - Math.min(r, g, b);
  const hue = delta === 0 ? 0 : max === r ? ((g - b) / delta + 6) % 6 : max === g ? (b - r) / delta + 2 : (r - g) / delta + 4;
  const white = {
    rgb: [r, g, b],
    cmy: [c, m, y],
    cmyk: [c - k, m - k, y - k, k],
    hsb: [hue / 6, max === 0 ? 0 : delta / max, max],
    gray: [0.3 * r + 0.59 * g + 0.11 * b],
  };
  const parts = Object.entries(white).map(([model, values]) => `\\def\\XC@clr@${model}@white{${values.map(num).join(',')}}`);
  parts.push(`\\definecolor{white}{HTML}{${hexOf(canvas)}}`, `\\definecolor{black}{HTML}{${hexOf(rgbOf(palette.text))}}`);
  parts.push('\\colorlet{gray}{black!50}', '\\colorlet{darkgray}{black!75}', '\\colorlet{lightgray}{black!25}');
  for (const [name, rgb] of Object.entries(HUES)) {
    let t = 0;
    const lighter = () => rgb.map((v) => v + (1 - v) * t) as Rgb;
    while (t < 1 && contrast(lighter(), canvas) < 4.5) t += 0.05;
    parts.push(`\\definecolor{${name}}{HTML}{${hexOf(lighter())}}`);
  }
  return parts.join('');
}

/** A line at least this wide, in pt (the SVG's user units): 1 px on screen, where TikZ's 0.4 pt default is half a pixel, drawn at half strength. */
export const MIN_LINE_WIDTH_PT = 0.75;

const hexColour = (value: string): Rgb | null => {
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(value);
  if (short) return short.slice(1).map((c) => Number.parseInt(c + c, 16) / 255) as Rgb;
  return /^#[0-9a-f]{6}$/i.test(value) ? rgbOf(value) : null;
};

/**
 * What a picture's lines need to read on the canvas (WCAG 1.4.11, 3:1), done to the SVG dvisvgm
 * wrote, in every theme: each stroke colour that stands out less than 3:1 from the canvas (a
 * source's `gray!30` grid or `blue!40` outline on paper, `gray` on a dark canvas) has its lightness
 * moved away from the canvas's (towards black on a light canvas, white on a dark one, its hue kept)
 * until it does, as dark themes already translate paper colours; fills are kept (a filled shape
 * reads by its outline). Hairlines (TikZ's 0.4 pt default, `thin`, `very thin`) are widened to
 * MIN_LINE_WIDTH_PT. A stroke in the canvas colour itself is a knockout (the gap of a `double`
 * line) and is left as it is, colour and width.
 */
export function legibleStrokes(svg: string, canvas: string): string {
  const paper = hexColour(canvas);
  if (!paper) return svg;
  const towards: Rgb = luminance(paper) > 0.18 ? [0, 0, 0] : [1, 1, 1];
  const deepened = new Map<string, string>();
  const deepen = (value: string): string => {
    const colour = hexColour(value);
    if (!colour || contrast(colour, paper) >= 3.2) return value;
    let known = deepened.get(value);
    if (!known) {
      let t = 0;
      const moved = () => colour.map((c, i) => c + (towards[i] - c) * t) as Rgb;
      while (t < 1 && contrast(moved(), paper) < 3.2) t += 0.05;
      known = `#${hexOf(moved()).toLowerCase()}`;
      deepened.set(value, known);
    }
    return known;
  };
  const isCanvas = (value: string) => {
    const colour = hexColour(value);
    return !!colour && contrast(colour, paper) < 1.05;
  };
  const lines = svg.replace(/<[A-Za-z][^>]*>/g, (tag) => {
    const stroke = /\sstroke=(["'])([^"']*)\1/.exec(tag)?.[2];
    if (stroke !== undefined && isCanvas(stroke)) return tag;
    return tag
      .replace(/(\sstroke=)(["'])(#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?)\2/, (_, attribute: string, quote: string, value: string) => `${attribute}${quote}${deepen(value)}${quote}`)
      .replace(/(\sstroke-width=)(["'])([\d.]+)\2/, (whole, attribute: string, quote: string, value: string) => (Number(value) < MIN_LINE_WIDTH_PT ? `${attribute}${quote}${MIN_LINE_WIDTH_PT}${quote}` : whole));
  });
  return knockoutsAsMasks(lines, isCanvas);
}

/**
 * pgf draws a `double` line as a wide stroke and then, over it, the same path stroked narrower in
 * the paper colour (white, the canvas in every theme): a line the colour of the canvas, which
 * reads as a second shape at 1:1. Drawn as what it is instead, a gap cut out of the wide stroke
 * (a mask, inline so that it inherits the same caps, joins and dashes), the canvas shows through
 * it as before and no canvas-coloured line is left.
 */
function knockoutsAsMasks(svg: string, isCanvas: (value: string) => boolean): string {
  let count = 0;
  const pattern = /<path d=(["'])([^"']+)\1([^>]*?)\s*\/>(\s*)<g(\s[^>]*)>\s*<path d=(["'])\2\6 fill=(["'])none\7\s*\/>\s*<\/g>/g;
  return svg.replace(pattern, (whole, _q: string, d: string, own: string, space: string, groupAttributes: string) => {
    const attributes = new Map([...groupAttributes.matchAll(/([\w:-]+)=(["'])([^"']*)\2/g)].map((match): [string, string] => [match[1], match[3]]));
    const stroke = attributes.get('stroke');
    if (stroke === undefined || !isCanvas(stroke) || !attributes.has('stroke-width') || /\smask=/.test(own)) return whole;
    attributes.delete('stroke');
    const id = `flowsmith-knockout-${++count}`;
    const gap = [...attributes].map(([name, value]) => ` ${name}="${value}"`).join('');
    return (
      `<mask id="${id}" maskUnits="userSpaceOnUse" x="-100000" y="-100000" width="200000" height="200000">` +
      `<rect x="-100000" y="-100000" width="200000" height="200000" fill="#fff"/><path d="${d}" fill="none" stroke="#000"${gap}/></mask>` +
      `<path d="${d}"${own} mask="url(#${id})"/>${space}`
    );
  });
}

/**
 * The theme in xcolor's terms, run as soon as xcolor is loaded: the palette as named colours
 * (`flowsmithtext`, `flowsmithline`, `flowsmithfill`, `flowsmithstroke`, `flowsmithgroup`,
 * `flowsmithnote`, `flowsmithaccent1`…`12`, `flowsmithonaccent`) and, in dark themes, the
 * translation of paper colours (darkColours).
 */
function themeColours(palette: ThemePalette): string {
  const named: Array<[string, string | undefined]> = [
    ['flowsmithtext', palette.text], ['flowsmithline', palette.line], ['flowsmithcanvas', palette.background],
    ['flowsmithfill', palette.nodeFill], ['flowsmithstroke', palette.nodeStroke], ['flowsmithgroup', palette.groupFill],
    ['flowsmithnote', palette.noteFill], ['flowsmithnotestroke', palette.noteStroke], ['flowsmithnotetext', palette.noteText],
    ['flowsmithonaccent', palette.onAccent], ...palette.accents.map((accent, i): [string, string] => [`flowsmithaccent${i + 1}`, accent]),
  ];
  const definitions = named.flatMap(([name, colour]) => (isHex(colour) ? [`\\definecolor{${name}}{HTML}{${colour.slice(1).toUpperCase()}}`] : []));
  return definitions.join('') + (palette.tone === 'dark' && isHex(palette.background) && isHex(palette.text) ? darkColours(palette) : '');
}

/**
 * The line before the user's: pgf draws through dvisvgm's raw SVG (not PostScript, which the
 * converter never runs), xcolor gets the theme's colours, pages have no number (it would be drawn
 * and widen the picture), text is in the theme's colour, and every picture draws in the theme's
 * line colour with text in its text colour, unless the source says otherwise (its own
 * `every picture` style comes after ours; a colour it names, on a path or node, wins).
 */
export function tikzPrelude(theme: ThemeDefinition): string {
  const palette = themePalette(theme);
  const colours = themeColours(palette);
  const pictures = isHex(palette.text) && isHex(palette.line) ? '\\ifdefined\\tikzset\\tikzset{every picture/.prefix style={color=flowsmithline,text=flowsmithtext}}\\fi' : '';
  return (
    '\\makeatletter\\def\\pgfsysdriver{pgfsys-dvisvgm.def}' +
    ['xcolor', 'color', 'graphicx', 'graphics'].map((name) => `\\PassOptionsToPackage{dvisvgm}{${name}}`).join('') +
    `\\def\\flowsmith@colours{${colours}}\\AddToHook{package/xcolor/after}{\\flowsmith@colours}` +
    '\\AddToHook{begindocument/before}{\\RequirePackage{xcolor}\\let\\ps@plain\\ps@empty\\let\\ps@headings\\ps@empty\\let\\ps@myheadings\\ps@empty\\pagestyle{empty}}' +
    `\\AddToHook{begindocument/end}{${isHex(palette.text) ? '\\color{flowsmithtext}' : ''}${pictures}}` +
    '\\makeatother'
  );
}

/**
 * Checks a source and frames it for TeX in `theme`. A whole document (`\documentclass` …
 * `\end{document}`) keeps its own preamble; a bare picture (`\begin{tikzpicture}…`, with
 * `\usetikzlibrary` or `\usepackage` lines before it if it likes) is set in the standalone class
 * with TikZ loaded, as Kroki does. Refused before TeX runs, with the line: packages not in
 * TIKZ_PACKAGES, classes other than standalone and article, and commands that read or write files,
 * run programs, pass raw code to the converter or change how TeX reads the source (REFUSED_COMMANDS).
 */
export function frameTikzSource(source: string, theme: ThemeDefinition): TikzFramed {
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > MAX_SOURCE_BYTES) return fail(`the source is ${Math.ceil(bytes / 1024)} KB; TikZ sources may be at most ${MAX_SOURCE_BYTES / 1024} KB.`);
  // TeX ends lines at \r too: normalized, our line numbers are TeX's.
  source = source.replace(/\r\n?/g, '\n');
  const text = blankComments(source);
  if (!text.trim()) return fail('the source is empty.');

  const hats = text.indexOf('^^');
  if (hats >= 0) return fail("TeX's ^^ character notation is not allowed (it can spell commands that are refused).", source, hats);

  let documentClass: { name: string; options: string } | undefined;
  let border: [number, number, number, number] | null = null;
  const packages: Array<{ index: number; end: number; text: string; names: string[] }> = [];
  for (const match of text.matchAll(/\\([A-Za-z@_:]+)/g)) {
    const name = match[1];
    if (LOADERS.test(name)) {
      const found = loaded(text, match.index, name);
      if (typeof found === 'string') return fail(`${found}.`, source, match.index);
      if (name === 'documentclass') {
        if (documentClass || found.names.length !== 1) return fail('a source has one \\documentclass, of one class.', source, match.index);
        if (!CLASSES.has(found.names[0])) return fail(`the document class ${found.names[0]} is not available: use standalone or article.`, source, match.index);
        documentClass = { name: found.names[0], options: found.options };
        const option = /(?:^|,)\s*border\s*=\s*(\{[^}]*\}|[^,]+)/.exec(found.options);
        if (option) border = parseBorder(option[1]);
      } else if (name === 'usepackage' || name === 'RequirePackage') {
        const refused = found.names.find((pkg) => !TIKZ_PACKAGES.has(pkg));
        if (refused) return fail(`the package ${refused} is not available. Sources may load: ${[...TIKZ_PACKAGES].join(', ')}.`, source, match.index);
        packages.push({ index: match.index, end: found.end, text: text.slice(match.index, found.end), names: found.names });
      } else {
        const refused = found.names.find((library) => REFUSED_LIBRARIES.has(library));
        if (refused) return fail(`the ${refused} library is not available.`, source, match.index);
      }
      continue;
    }
    const lower = name.toLowerCase();
    const refused = REFUSED_COMMANDS.find(([pattern]) => pattern.test(lower));
    if (refused) return fail(`\\${name} is not allowed: it ${refused[1]}.`, source, match.index);
  }
  for (const match of text.matchAll(/\\(begin|end)\s*\{([^}]*)\}/g)) {
    if (REFUSED_ENVIRONMENTS.test(match[2].trim())) return fail(`the ${match[2].trim()} environment is not allowed: it changes how TeX reads the source.`, source, match.index);
  }
  const config = /\\standaloneconfig\s*\{\s*border\s*=\s*(\{[^}]*\}|[^,}]+)/.exec(text);
  if (config) border = parseBorder(config[1]) ?? border;

  const diagramType = KINDS.find(([pattern]) => pattern.test(text))?.[1] ?? 'document';
  const lines = source.split('\n').length;
  const prelude = tikzPrelude(theme);
  if (documentClass) {
    if (!/\\begin\s*\{document\}/.test(text)) return fail('the document has no \\begin{document}.');
    return { ok: true, value: { text: `${prelude}${source}\n`, border: border ?? DEFAULT_BORDER, diagramType, lines } };
  }
  if (/\\(begin|end)\s*\{document\}/.test(text)) return fail('a source with \\begin{document} needs a \\documentclass (standalone or article) before it.');

  // A bare picture: its \usepackage lines move to the preamble (blanked where they were, so the lines stay).
  let body = source;
  for (const pkg of [...packages].reverse()) body = body.slice(0, pkg.index) + pkg.text.replace(/[^\n]/g, ' ') + body.slice(pkg.end);
  const named = new Set(packages.flatMap((pkg) => pkg.names));
  const implied = IMPLIED.filter(([pattern, pkg]) => pattern.test(text) && !named.has(pkg)).map(([, pkg, setup]) => `\\usepackage{${pkg}}${setup}`);
  const preamble = `\\documentclass{standalone}\\usepackage{tikz}${packages.map((pkg) => pkg.text.replace(/\s*\n\s*/g, ' ')).join('')}${implied.join('')}\\begin{document}`;
  return { ok: true, value: { text: `${prelude}${preamble}${body}\n\\end{document}\n`, border: DEFAULT_BORDER, diagramType, lines } };
}

/**
 * Our stand-in for the standalone class (which is in Debian's texlive-latex-extra, 25 MB more):
 * article without page numbers, its options read as standalone's (`tikz` loads TikZ; `border` is
 * read by frameTikzSource, the others are ignored), paragraphs unbroken. The page needs no
 * cropping: dvisvgm sizes the SVG to what is drawn. Written into each job's folder, where TeX looks first.
 */
export const STANDALONE_CLASS = [
  '\\NeedsTeXFormat{LaTeX2e}',
  "\\ProvidesClass{standalone}[2025/01/01 Flowsmith's stand-in for the standalone class]",
  '\\newif\\ifflowsmith@tikz',
  '\\DeclareOption{tikz}{\\flowsmith@tikztrue}',
  ...['10pt', '11pt', '12pt'].map((size) => `\\DeclareOption{${size}}{\\PassOptionsToClass{${size}}{article}}`),
  '\\DeclareOption*{}',
  '\\ProcessOptions\\relax',
  '\\LoadClass{article}',
  '\\newcommand\\standaloneconfig[1]{}',
  '\\newcommand\\standaloneenv[1]{}',
  '\\setlength\\textwidth{100cm}',
  '\\setlength\\textheight{100cm}',
  '\\setlength\\parindent{0pt}',
  '\\pagestyle{empty}',
  '\\ifflowsmith@tikz\\RequirePackage{tikz}\\fi',
  '',
].join('\n');
