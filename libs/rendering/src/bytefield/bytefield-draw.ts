import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Script, createContext, type Context } from 'node:vm';
import { contrast, mix, parseColour, readableFill, visibleStroke } from '../colour/colour';
import type { ThemePalette } from '../themes';
import { type Draw, SourceError } from '../thread/drawing';

let script: Script | undefined;

/**
 * bytefield-svg's compiled ClojureScript (its own lib.js), read once per thread and compiled once.
 * The thread runs as an ES module bundle (thread-pool.ts), so the package is found from the
 * bundle's own URL.
 */
function compiled(): Script {
  if (script) return script;
  // @ts-expect-error -- import.meta is the ES module bundle's own (TypeScript checks this folder as CommonJS).
  const url: string | undefined = import.meta.url;
  // In a CommonJS bundle (esbuild leaves import.meta empty there) the file's own name does.
  const here = url ?? __filename;
  const file = createRequire(here).resolve('bytefield-svg/lib.js');
  script = new Script(readFileSync(file, 'utf8'), { filename: 'bytefield-svg/lib.js' });
  return script;
}

/** A V8 context with bytefield-svg loaded in it and nothing else (see `generate`). */
function freshContext(): Context {
  const context: Context = createContext(Object.create(null), { name: 'bytefield', codeGeneration: { strings: false, wasm: false } });
  compiled().runInContext(context);
  return context;
}

/** The context for the next source, made ahead; used once. */
let spare: Context | undefined;

/**
 * A diagram is a program: bytefield-svg evaluates its source with SCI, the Small Clojure
 * Interpreter, which has no files, no network and no JavaScript classes but Math and String, and
 * refuses `loop`/`recur`. It still lets a source read and write any property of any value
 * (`aget`, `aset`): from a string to its constructor's constructor, `Function`, which compiles
 * JavaScript. So each source is evaluated in a V8 context of its own, made for it and dropped
 * after it:
 * - its global object has no prototype and nothing of this thread on it: everything the source
 *   can reach is the context's own (its own `Function`, `Object`, ...), never this thread's;
 * - it may not compile code from strings (`Function("...")`, `eval`, WebAssembly);
 * - nothing a source changes (a prototype, a library function's property) outlives it, so one
 *   source cannot see or change another's drawing.
 * The only values passed in are the source text (a string) and the options, written in the
 * context; the only value passed out is the SVG text.
 */
function generate(source: string): string {
  const context = spare ?? freshContext();
  spare = undefined;
  // The next source's context is made while the thread would otherwise wait (a context takes as long as a drawing).
  setImmediate(() => {
    try {
      spare ??= freshContext();
    } catch {
      // Made again, and its fault thrown, when the next source needs it.
    }
  });
  context.source = source;
  const svg: unknown = new Script('returnExports(source, { embedded: false })', { filename: 'bytefield' }).runInContext(context);
  if (typeof svg !== 'string') throw new SourceError('bytefield drew nothing for this source.');
  return svg;
}

const XML_ESCAPES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;' };

/**
 * bytefield-svg writes its strings into the SVG as they are (analemma escapes nothing), so a label
 * with `<`, `&` or a quote would break the drawing: the string literals of the source are escaped
 * for XML before it runs (entity references already written, `&lt;` or `&#169;`, are kept).
 * Comments, character literals (`\<`) and regular expressions (`#"..."`) are left as they are.
 * Returns the lines whose text changed (their columns no longer match the source).
 */
function escapeStrings(source: string): { escaped: string; changedLines: Set<number> } {
  let out = '';
  let line = 1;
  const changedLines = new Set<number>();
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\n') line++;
    if (c === ';') {
      const end = source.indexOf('\n', i);
      const stop = end < 0 ? source.length : end;
      out += source.slice(i, stop);
      i = stop - 1;
    } else if (c === '\\') {
      out += source.slice(i, i + 2);
      i++;
    } else if (c === '"') {
      const regex = source[i - 1] === '#';
      out += c;
      for (i++; i < source.length && source[i] !== '"'; i++) {
        const d = source[i];
        if (d === '\n') line++;
        if (d === '\\') {
          const next = source[i + 1];
          if (next === '"' && !regex) {
            out += '&quot;';
            changedLines.add(line);
          } else out += d + (next ?? '');
          i++;
        } else if (!regex && XML_ESCAPES[d] && !(d === '&' && /^&(?:lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/i.test(source.slice(i, i + 10)))) {
          out += XML_ESCAPES[d];
          changedLines.add(line);
        } else out += d;
      }
      if (i < source.length) out += '"';
    } else out += c;
  }
  return { escaped: out, changedLines };
}

/** The position SCI and its reader give in their messages: `[at line 2, column 13]` or `[line 1, col 52]`. */
function errorOf(error: unknown, changedLines: Set<number>): SourceError {
  let message: string;
  try {
    const text = (error as { message?: unknown })?.message;
    message = typeof text === 'string' ? text : String(error);
  } catch {
    message = 'the source could not be evaluated';
  }
  const at = /\[at line (\d*), column (\d*)\]/.exec(message) ?? /\[line (\d+), col (\d+)\]/.exec(message);
  const line = at?.[1] ? Number(at[1]) : undefined;
  const column = at?.[2] && line !== undefined && !changedLines.has(line) ? Number(at[2]) : undefined;
  const text = message
    .replace(/\s*\[at line \d*, column \d*\]/, '')
    .replace(/^\[line \d+, col \d+\]\s*/, '')
    .replace(/\s+at \[\d+,\d+\]$/, '')
    .trim();
  const where = line !== undefined ? ` (line ${line}${column !== undefined ? `, column ${column}` : ''})` : '';
  return new SourceError(`bytefield: ${text}${where}`, line, column);
}

/** bytefield-svg's default fonts, and the theme's: it centres labels in their boxes without measuring them. */
const SERIF = 'Palatino, Georgia, Times New Roman, serif';
const COURIER = 'Courier New, monospace';
const MONO = '&quot;Noto Sans Mono&quot;, &quot;DejaVu Sans Mono&quot;, &quot;Courier New&quot;, monospace';

/**
 * A box's fill: under the theme's text (4.5:1) and behind its borders, drawn over it in the theme's
 * line colour (3:1): the colour itself, or moved towards the canvas just as far as needed (a pastel
 * on white stays as it is; on a dark canvas it becomes a dark tint of its hue).
 */
function boxFill(colour: string, palette: ThemePalette): string {
  const { text, line, background } = palette;
  if (!parseColour(colour)) return colour;
  const readable = readableFill(colour, text, background);
  if (contrast(readable, line) >= 3) return readable;
  for (let t = 0.05; t < 1; t += 0.05) {
    const moved = mix(readable, background, t);
    if (contrast(moved, line) >= 3.1 && contrast(moved, text) >= 4.6) return moved;
  }
  return background;
}

/**
 * Text wholly below the drawing: bytefield-svg labels the row after a gap (`i+00`) even when
 * `draw-bottom` ends the diagram there, under its height, where the label is clipped away.
 */
function withoutClippedText(svg: string): string {
  const height = Number(/<svg\b[^>]*?\sheight="([\d.]+)"/.exec(svg)?.[1]);
  if (!Number.isFinite(height) || height <= 0) return svg;
  return svg.replace(/<text\b([^>]*)>(?:(?!<\/text>)[\s\S])*<\/text>/g, (element, attributes: string) => {
    const y = Number(/\sy="(-?[\d.]+)"/.exec(attributes)?.[1]);
    const size = Number(/\sfont-size="([\d.]+)"/.exec(attributes)?.[1] ?? 12);
    return Number.isFinite(y) && y - size > height ? '' : element;
  });
}

/**
 * Black lines in the theme's line colour, text (black by default) in its text colour, and the
 * colours the source names kept where they read on the theme's canvas and moved just far enough
 * where they do not (the pastel backgrounds of header fields become dark tints of their hue on a
 * dark canvas, under the theme's light text, and a shade paler or darker wherever the theme's line
 * colour would not stand out on them).
 */
function themed(svg: string, palette: ThemePalette): string {
  const { text, line, background } = palette;
  const family = palette.fontFamily.replace(/"/g, '&quot;');
  return withoutClippedText(svg)
    .replace(/<svg\b[^>]*>/, (root) => (/\sfill=/.test(root) ? root : root.replace(/^<svg\b/, `<svg fill="${text}"`)))
    .replace(/<(line|path|rect|circle|ellipse|polygon|polyline|text|tspan)\b([^>]*)>/g, (tag, name: string, attributes: string) => {
      const isText = name === 'text' || name === 'tspan';
      return `<${name}${attributes
        .replace(/\sstroke="([^"]*)"/, (_, colour: string) => ` stroke="${/^#0{3}(?:0{3})?$|^black$/i.test(colour) ? line : visibleStroke(colour, text, background)}"`)
        .replace(/\sfill="([^"]*)"/, (_, colour: string) => ` fill="${isText ? visibleStroke(colour, text, background, 4.5) : boxFill(colour, palette)}"`)
        .replace(/\sfont-family="([^"]*)"/, (whole, font: string) => (font === SERIF ? ` font-family="${family}"` : font === COURIER ? ` font-family="${MONO}"` : whole))}>`;
    });
}

/** bytefield-svg: byte and bit field diagrams (packet and register layouts), from a Clojure DSL; one kind. */
export const draw: Draw = async (source, palette) => {
  const { escaped, changedLines } = escapeStrings(source);
  let svg: string;
  try {
    svg = generate(escaped);
  } catch (error) {
    if (error instanceof SourceError) throw error;
    throw errorOf(error, changedLines);
  }
  if (!/<svg\b/.test(svg)) throw new SourceError('bytefield drew nothing for this source.');
  return { svg: themed(svg, palette), diagramType: 'bytefield' };
};
