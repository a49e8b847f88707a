import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ThemePalette } from '../themes';
import { type Draw, SourceError } from '../thread/drawing';

/** The functions D2's WebAssembly build puts on `globalThis.d2`: JSON in, JSON out, synchronous. */
interface D2Wasm {
  compile(request: string): string;
  render(request: string): string;
}
type D2Reply<T> = { data: T; error?: undefined } | { data?: undefined; error: { message: string; code: number } };
/** The parts of D2's shapes and connections (d2target) that are changed or read here. */
interface Item {
  type?: string;
  link?: string;
  prettyLink?: string;
  label: string;
  language?: string;
  icon?: unknown;
  tooltipPosition?: string;
  level?: number;
  fill?: string;
  color?: string;
  stroke?: string;
  strokeWidth?: number;
  blend?: boolean;
}
interface Board {
  shapes?: Item[];
  connections?: Item[];
  layers?: Board[];
  scenarios?: Board[];
  steps?: Board[];
}
interface Compiled {
  diagram: Board;
  renderOptions: { themeID?: number | null; darkThemeID?: number | null; sketch?: boolean | null; pad?: number | null; themeOverrides?: Record<string, string> | null };
}

/**
 * The folder of @terrastruct/d2's Node build (d2.wasm, Go's wasm_exec.js, ELK). The thread runs
 * as an ES module (thread-pool.ts), where `import.meta.url` is the bundle's own path.
 */
function packageDir(): string {
  // @ts-expect-error -- the thread is bundled as an ES module (thread-pool.ts); tsc checks this file as CommonJS.
  const here: string = import.meta.url;
  return dirname(createRequire(here).resolve('@terrastruct/d2'));
}

const evaluate = (script: string) => new Function(script).call(globalThis);

type GoClass = new () => { importObject: WebAssembly.Imports; run(instance: WebAssembly.Instance): Promise<void> };

let d2: Promise<D2Wasm> | undefined;
let elk: Promise<void> | undefined;

/**
 * D2's WebAssembly build, run in this thread. The package's `D2` class would start a Worker of
 * its own for it, outside the pool's memory cap and deadline, that nothing ever stops and whose
 * crash leaves its promise unsettled; its worker script does no more than this. The Go runtime
 * gets no files (wasm_exec.js's `fs` answers ENOSYS to everything).
 */
function load(): Promise<D2Wasm> {
  d2 ??= (async () => {
    const dir = packageDir();
    const [wasmExec, wasm] = await Promise.all([readFile(join(dir, 'wasm_exec.js'), 'utf8'), readFile(join(dir, 'd2.wasm'))]);
    // Go's os package takes `globalThis.fs` as its file system: wasm_exec.js installs one that
    // refuses everything, but only where there is none; nothing else is ever taken for it.
    const global = globalThis as unknown as { fs?: unknown; Go: GoClass; d2: D2Wasm };
    delete global.fs;
    evaluate(wasmExec);
    // Its console output (Go's stdout and stderr) is dropped.
    const goFs = (globalThis as unknown as { fs?: { writeSync: (fd: number, buf: Uint8Array) => number } }).fs;
    if (goFs) goFs.writeSync = (_fd, buf) => buf.length;
    const go = new global.Go();
    const { instance } = await WebAssembly.instantiate(wasm, go.importObject);
    // The Go program runs until the thread ends; if it ever exits, the next draw loads it anew.
    const reload = () => {
      d2 = undefined;
    };
    void go.run(instance).then(reload, reload);
    return global.d2;
  })();
  return d2;
}

/** Loads D2 in this thread ahead of its first source (a slow-starting language: engines-script.ts). */
export async function warm(): Promise<void> {
  await load();
}

/** ELK, for `layout-engine: elk` only (3.6 MB of JavaScript): D2's Go code calls it through globals. */
function loadElk(): Promise<void> {
  elk ??= (async () => {
    const dir = packageDir();
    evaluate(await readFile(join(dir, 'elk.js'), 'utf8'));
    evaluate(await readFile(join(dir, 'setup.js'), 'utf8'));
    // ELK registers its layout algorithms in a timer of its own: a layout before that finds none.
    await new Promise((resolve) => setTimeout(resolve, 0));
  })();
  return elk;
}

/** The installed faces of the themes' fonts (Debian's fonts-noto-core and fonts-noto-mono): D2 measures its labels with them. */
const NOTO = '/usr/share/fonts/truetype/noto';
const FACES: Record<string, { regular: string; bold: string; italic: string; semibold: string }> = {
  'Noto Sans': { regular: 'NotoSans-Regular.ttf', bold: 'NotoSans-Bold.ttf', italic: 'NotoSans-Italic.ttf', semibold: 'NotoSans-Bold.ttf' },
  'Noto Sans Mono': { regular: 'NotoSansMono-Regular.ttf', bold: 'NotoSansMono-Bold.ttf', italic: 'NotoSansMono-Regular.ttf', semibold: 'NotoSansMono-Bold.ttf' },
};
const fonts = new Map<string, Promise<Record<string, string> | null>>();

/**
 * The theme font's faces as D2's compile options (base64 TrueType), so that D2 lays out labels
 * with the widths they are drawn with; null where they are not installed (D2 then measures with
 * its own Source Sans Pro, which is narrower).
 */
function fontOptions(fontFamily: string): Promise<Record<string, string> | null> {
  const family = /^\s*"?([^",]+)"?/.exec(fontFamily)?.[1].trim() ?? '';
  let loaded = fonts.get(family);
  if (!loaded) {
    const faces = FACES[family];
    loaded =
      faces && Object.values(faces).every((file) => existsSync(join(NOTO, file)))
        ? Promise.all([faces.regular, faces.bold, faces.italic, faces.semibold].map((file) => readFile(join(NOTO, file)))).then(([regular, bold, italic, semibold]) => ({
            FontRegular: regular.toString('base64'),
            FontBold: bold.toString('base64'),
            FontItalic: italic.toString('base64'),
            FontSemibold: semibold.toString('base64'),
          }))
        : Promise.resolve(null);
    fonts.set(family, loaded);
  }
  return loaded;
}

/** Calls into the Go code with `fetch` refused (Go's net/http uses it under WebAssembly): D2 has no reason to reach the network. */
function offline<T>(call: () => string): D2Reply<T> {
  const saved = globalThis.fetch;
  globalThis.fetch = () => Promise.reject(new Error('no network'));
  try {
    return JSON.parse(call()) as D2Reply<T>;
  } finally {
    globalThis.fetch = saved;
  }
}

/** D2's compile errors: a JSON list of `{ errmsg: "index:LINE:COL: message" }`, or a message. */
function compileError(message: string): SourceError {
  let first = message;
  try {
    const list = JSON.parse(message) as Array<{ errmsg?: string }>;
    if (Array.isArray(list) && list[0]?.errmsg) first = list[0].errmsg;
  } catch {
    // a plain message
  }
  const at = /^(?:index|[^:\s]+\.d2)?:?(\d+):(\d+):\s*/.exec(first);
  const line = at ? Number(at[1]) : undefined;
  const column = at ? Number(at[2]) : undefined;
  // A panic of the Go code comes with its stack: its first line says enough.
  let text = (at ? first.slice(at[0].length) : first).split('\n')[0].replace(/^failed to compile[^:]*:\s*/i, '').trim();
  if (/failed to import/i.test(text)) text = `importing other files is not supported; put the whole diagram in one source (${text})`;
  return new SourceError(`D2: ${text}`, line, column);
}

type Rgb = [number, number, number];
const rgbOf = (hex: string): Rgb => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as Rgb;
const hexOf = (rgb: Rgb) => `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
const mix = (a: string, b: string, t: number) => hexOf(rgbOf(a).map((c, i) => c + (rgbOf(b)[i] - c) * t) as Rgb);
const luminance = (hex: string) => {
  const [r, g, b] = rgbOf(hex).map((c) => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const contrast = (a: string, b: string) => {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
};
/** `colour` if text in it reads 4.5:1 on every `ground`, else the palette's text colour. */
const readable = (colour: string, ground: string | string[], text: string) => ([ground].flat().every((g) => contrast(colour, g) >= 4.5) ? colour : text);
/**
 * A sequence diagram group's band (N5, drawn with `.blend`) as it shows on the canvas: multiplied
 * into a light canvas, screened onto a dark one (blendOnDark).
 */
const blended = (band: string, bg: string, dark: boolean) =>
  hexOf(rgbOf(band).map((c, i) => {
    const [x, y] = [c / 255, rgbOf(bg)[i] / 255];
    return 255 * (dark ? 1 - (1 - x) * (1 - y) : x * y);
  }) as Rgb);

/**
 * The theme as D2 theme overrides, on D2's default light theme (0) or its dark one (200). D2
 * names its colours by role: N1 text, N2 secondary text (edge labels, column types), N7 the
 * canvas; B1 strokes and edges, B2 dashed strokes and table column names; B4, B5, B6 containers
 * by depth and shapes; AA4/AA5 cylinders, queues and packages; AB4/AB5 pages, documents and steps.
 */
function themeOverrides(palette: ThemePalette): Record<string, string> {
  const { background: bg, text } = palette;
  const a = (i: number) => palette.accents[i % palette.accents.length];
  const tint = palette.tone === 'dark' ? 0.26 : 0.14;
  // N2 labels the messages of sequence groups too, on the group's band.
  const band = blended(mix(bg, text, 0.1), bg, palette.tone === 'dark');
  return {
    n1: text,
    n2: readable(mix(text, bg, 0.25), [bg, band], text),
    n3: palette.line,
    n4: mix(bg, text, 0.16),
    n5: mix(bg, text, 0.1),
    n6: mix(bg, text, 0.05),
    n7: bg,
    b1: palette.nodeStroke,
    b2: readable(a(0), bg, text),
    b3: mix(palette.nodeFill, palette.nodeStroke, 0.25),
    b4: palette.groupFill,
    b5: palette.nodeFill,
    b6: palette.nodeFill,
    aa2: readable(a(1), bg, text),
    aa4: mix(bg, a(2), tint),
    aa5: mix(bg, a(2), tint / 2),
    ab4: mix(bg, a(3), tint),
    ab5: mix(bg, a(3), tint / 2),
  };
}

/** Markdown as the plain lines it reads as: D2 would draw it as HTML in a foreignObject, which the SVG step removes. */
export function markdownToText(markdown: string): string {
  return markdown
    .split('\n')
    .filter((line) => !/^\s*(```|~~~)/.test(line))
    .map((line) =>
      line
        .replace(/<[^>]*>/g, '')
        .replace(/^\s{0,3}#{1,6}\s+/, '')
        .replace(/^\s{0,3}>\s?/, '')
        .replace(/^(\s*)[-*+]\s+/, '$1• ')
        .replace(/!?\[([^\]]*)\]\((?:[^()]|\([^()]*\))*\)/g, '$1')
        .replace(/(\*\*|__)(.+?)\1/g, '$2')
        .replace(/(^|[^\w*])[*_]([^*_\s][^*_]*?)[*_](?=[^\w*]|$)/g, '$1$2')
        .replace(/`([^`]*)`/g, '$1')
        .replace(/&nbsp;/g, ' ')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&')
        .trimEnd(),
    )
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const THEME_COLOUR = /^(N[1-7]|B[1-6]|AA[245]|AB[45])$/;
const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
const fullHex = (hex: string) => (hex.length === 4 ? `#${[...hex.slice(1)].map((c) => c + c).join('')}` : hex);

/**
 * A shape the source fills with a colour of its own, whose label is left in the theme's text
 * colour: the label takes whichever of the theme's text and canvas colours reads better on that fill.
 */
function labelOnOwnFill(shape: Item, palette: ThemePalette): void {
  if (!shape.fill || !HEX.test(shape.fill) || (shape.color && !THEME_COLOUR.test(shape.color))) return;
  const fill = fullHex(shape.fill);
  shape.color = contrast(palette.text, fill) >= contrast(palette.background, fill) ? palette.text : palette.background;
}

/**
 * A sequence diagram group in D2's own style (a blended N5 band, no outline): its band is a faint
 * tint on the canvas, so it gets a thin outline in the theme's node stroke (B1) that shows its extent.
 */
function outlineGroup(shape: Item): void {
  if (shape.blend && shape.strokeWidth === 0 && shape.fill === 'N5' && shape.stroke === 'B1') shape.strokeWidth = 1;
}

/** A link would be a dead icon: the SVG step removes every link. */
const dropLink = (item: Item) => {
  item.link = '';
  delete item.prettyLink;
};

const EMBEDDED_PICTURE = /^data:image\/(png|jpe?g|gif|webp);base64,/i;
const iconHref = (icon: unknown) => (icon && typeof icon === 'object' ? `${(icon as { Scheme?: string }).Scheme ?? ''}:${(icon as { Opaque?: string }).Opaque ?? ''}` : '');

/**
 * The compiled diagram made plain and inert before it is drawn: markdown labels as plain text,
 * positioned tooltips as plain `<title>`s (both would be HTML in a foreignObject), no links (the
 * SVG step removes them; D2 would still draw a link icon), and icons from URLs or files dropped
 * (an `image` shape becomes a rectangle); pictures embedded as data: URIs stay. D2 itself never
 * loads an icon: it only writes its URL into the SVG, where the SVG step would remove it.
 */
function makePlain(diagram: Board, palette: ThemePalette | undefined): void {
  for (const board of [diagram, ...(diagram.layers ?? []), ...(diagram.scenarios ?? []), ...(diagram.steps ?? [])]) {
    if (!board) continue;
    for (const shape of board.shapes ?? []) {
      if (palette) labelOnOwnFill(shape, palette);
      if (palette) outlineGroup(shape);
      if (shape.language === 'markdown') {
        shape.label = markdownToText(shape.label);
        shape.language = '';
      }
      if (shape.tooltipPosition) shape.tooltipPosition = '';
      dropLink(shape);
      if (shape.icon && !EMBEDDED_PICTURE.test(iconHref(shape.icon))) {
        shape.icon = undefined;
        if (shape.type === 'image') shape.type = 'rectangle';
      }
    }
    for (const connection of board.connections ?? []) {
      if (connection.language === 'markdown') {
        connection.label = markdownToText(connection.label);
        connection.language = '';
      }
      if (connection.icon && !EMBEDDED_PICTURE.test(iconHref(connection.icon))) connection.icon = undefined;
      dropLink(connection);
    }
  }
}

const MONO = '"Noto Sans Mono", "Noto Sans CJK SC", monospace';

/**
 * D2's style sheet with its embedded fonts (base64 @font-face rules, which the SVG step empties
 * anyway) replaced by the theme's font families, in the weight and style each class stood for.
 */
function restyleFonts(svg: string, fontFamily: string): string {
  return svg
    .replace(/@font-face\s*\{[^}]*\}/g, '')
    .replace(/font-family:\s*"?d2-[\w-]*?-font-([\w-]+)"?\s*;?/g, (_, face: string) => {
      const family = face.startsWith('mono') ? MONO : fontFamily;
      const weight = /semibold/.test(face) ? 'font-weight:600;' : /bold/.test(face) ? 'font-weight:bold;' : '';
      const style = /italic/.test(face) ? 'font-style:italic;' : '';
      return `font-family:${family};${weight}${style}`;
    });
}

/**
 * Sequence diagram groups are drawn over their lifelines half transparent, multiplied into what
 * lies beneath: on a dark canvas that is black. There they are screened instead (lightened). Only
 * their band is half transparent: their outline (outlineGroup) is drawn whole, to read on the canvas.
 */
const restyleBlend = (svg: string, dark: boolean) =>
  svg.replace(/(\.blend\s*\{)([^}]*)\}/, (_, open: string, body: string) => {
    const rules = body.replace(/(^|[;\s])opacity:/, '$1fill-opacity:');
    return `${open}${dark ? rules.replace(/mix-blend-mode:\s*multiply/, 'mix-blend-mode: screen') : rules}}`;
  });

/** D2's own canvas, the first rectangle it draws (class fill-N7): the theme paints its own. */
const BACKGROUND = /<rect\b[^>]*\bclass="\s*fill-N7"[^>]*\/>/;

/**
 * D2 (terrastruct's diagram language), compiled and drawn by its WebAssembly build: in the theme's
 * colours (theme overrides) unless the source picks a D2 theme of its own, with the theme's
 * fonts, on a transparent canvas. `sketch`, `layout-engine: elk` and the rest of `d2-config` work
 * as in D2; imports of other files do not (there are none).
 */
export const draw: Draw = async (source, palette) => {
  const wasm = await load();
  if (/\blayout-engine\s*:\s*"?elk\b/.test(source)) await loadElk();
  const fontsOf = await fontOptions(palette.fontFamily);
  const compiled = offline<Compiled>(() => wasm.compile(JSON.stringify({ fs: { index: source }, options: { ...(fontsOf ?? {}) } })));
  if (compiled.error) throw compileError(compiled.error.message);
  const { diagram, renderOptions } = compiled.data;

  // A source that names a D2 theme keeps it (with its own canvas); its dark theme where the canvas is dark.
  const ownLight = /\btheme-id\s*:/.test(source.replace(/\bdark-theme-id\s*:/g, '')) ? renderOptions.themeID : undefined;
  const ownDark = /\bdark-theme-id\s*:/.test(source) ? renderOptions.darkThemeID : undefined;
  const own = palette.tone === 'dark' ? (ownDark ?? ownLight) : ownLight;
  const themed = own === undefined || own === null;
  makePlain(diagram, themed ? palette : undefined);
  const options = {
    ...renderOptions,
    themeID: themed ? (palette.tone === 'dark' ? 200 : 0) : own,
    darkThemeID: null,
    darkThemeOverrides: null,
    themeOverrides: themed ? { ...themeOverrides(palette), ...(renderOptions.themeOverrides ?? {}) } : renderOptions.themeOverrides,
    pad: renderOptions.pad === 100 || renderOptions.pad == null ? 24 : renderOptions.pad,
    noXMLTag: true,
    forceAppendix: false,
    target: '',
    animateInterval: 0,
  };
  const rendered = offline<string>(() => wasm.render(JSON.stringify({ diagram, options })));
  if (rendered.error) throw new SourceError(`D2: ${rendered.error.message.replace(/^render failed:\s*/, '').split('\n')[0]}`);
  let svg = Buffer.from(rendered.data, 'base64').toString('utf8');
  svg = restyleFonts(svg, palette.fontFamily);
  if (themed) svg = svg.replace(BACKGROUND, '');
  svg = restyleBlend(svg, palette.tone === 'dark');
  return { svg, diagramType: diagramTypeOf(diagram, source) };
};

/** What the diagram is: a sequence diagram, SQL tables, UML classes, or (`d2`) a plain D2 diagram. */
function diagramTypeOf(diagram: Board, source: string): string {
  // `shape: sequence_diagram` on the root board (unindented) makes the whole diagram one.
  if (/^shape\s*:\s*sequence_diagram\s*$/m.test(source)) return 'sequence';
  const shapes = diagram.shapes ?? [];
  if (shapes.some((shape) => shape.type === 'sequence_diagram') && shapes.filter((s) => s.level === 1).every((s) => s.type === 'sequence_diagram')) return 'sequence';
  if (shapes.length && shapes.every((shape) => shape.type === 'sql_table')) return 'sql_table';
  if (shapes.length && shapes.every((shape) => shape.type === 'class')) return 'class';
  return 'd2';
}
