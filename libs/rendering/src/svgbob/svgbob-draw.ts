import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { ThemePalette } from '../themes';
import { type Draw, SourceError } from '../thread/drawing';

/** The exports of svgbob-wasm's WebAssembly module (a wasm-bindgen build with no imports). */
interface SvgbobExports {
  memory: WebAssembly.Memory;
  render(returnArea: number, pointer: number, length: number): void;
  __wbindgen_add_to_stack_pointer(delta: number): number;
  __wbindgen_malloc(size: number): number;
  __wbindgen_free(pointer: number, size: number): void;
}

let module: Promise<WebAssembly.Module> | undefined;
let instance: Promise<SvgbobExports> | undefined;

/**
 * svgbob's module, compiled once per thread from the package's own .wasm file (its JavaScript
 * wrapper imports the .wasm as an ES module, which Node does not load). The thread runs as an
 * ES module bundle (thread-pool.ts), so the package is found from the bundle's own URL.
 */
function compiled(): Promise<WebAssembly.Module> {
  // @ts-expect-error -- import.meta is the ES module bundle's own (TypeScript checks this folder as CommonJS).
  const url: string | undefined = import.meta.url;
  // In a CommonJS bundle (esbuild leaves import.meta empty there) the file's own name does.
  const here = url ?? __filename;
  module ??= readFile(createRequire(here).resolve('svgbob-wasm/svgbob_wasm_bg.wasm')).then((bytes) => WebAssembly.compile(bytes));
  return module;
}

/** An instance of it: kept between sources, and replaced after a trap (a panic leaves its stack and heap undefined) or when a large source grew its memory. */
function load(): Promise<SvgbobExports> {
  instance ??= compiled().then(async (wasm) => (await WebAssembly.instantiate(wasm, {})).exports as unknown as SvgbobExports);
  return instance;
}

/** Memory an instance may keep after a source; past it the next source gets a fresh one. */
const KEPT_MEMORY = 64 * 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** wasm-bindgen's calling convention for `render(ascii: &str) -> String`. */
function render(wasm: SvgbobExports, ascii: string): string {
  const input = encoder.encode(ascii);
  const pointer = wasm.__wbindgen_malloc(input.length);
  new Uint8Array(wasm.memory.buffer).set(input, pointer);
  const returnArea = wasm.__wbindgen_add_to_stack_pointer(-16);
  try {
    wasm.render(returnArea, pointer, input.length);
    const [start, length] = new Int32Array(wasm.memory.buffer, returnArea, 2);
    const output = decoder.decode(new Uint8Array(wasm.memory.buffer, start, length));
    wasm.__wbindgen_free(start, length);
    return output;
  } finally {
    wasm.__wbindgen_add_to_stack_pointer(16);
  }
}

const MARKERS = ['arrow', 'diamond', 'circle', 'open_circle', 'big_open_circle'];

/**
 * svgbob styles its drawing with a style sheet of element selectors (`rect { stroke: black }`),
 * which would reach past the drawing into whatever page or frame holds it: it is replaced with
 * attributes in the theme's colours (lines and arrowheads in the line colour, text in the text
 * colour, open circles filled with the canvas), and the marker ids are made svgbob's own. svgbob
 * places every character on an 8 px grid with its 14 px font (0.57 em): a monospace font at
 * 13.33 px (0.6 em) keeps the grid.
 */
function themed(svg: string, palette: ThemePalette): string {
  const byClass: Record<string, string> = {
    broken: 'stroke-dasharray="8"',
    filled: `fill="${palette.line}"`,
    bg_filled: `fill="${palette.background}"`,
    nofill: 'fill="none"',
  };
  for (const marker of MARKERS) {
    byClass[`end_marked_${marker}`] = `marker-end="url(#svgbob-${marker})"`;
    byClass[`start_marked_${marker}`] = `marker-start="url(#svgbob-${marker})"`;
  }
  const open = /<svg\b[^>]*>/.exec(svg);
  if (!open) throw new SourceError('svgbob drew nothing for this source.');
  const group =
    `<g stroke="${palette.line}" stroke-width="2" stroke-linecap="round" stroke-linejoin="miter" fill="none"` +
    ' font-family="&quot;Noto Sans Mono&quot;, &quot;DejaVu Sans Mono&quot;, Menlo, Consolas, monospace" font-size="13.33">';
  const body = svg
    .slice(open.index + open[0].length, svg.lastIndexOf('</svg>'))
    .replace(/<style\b[^>]*>[\s\S]*?<\/style>/g, '')
    .replace(/<rect\b[^>]*class="backdrop"[^>]*>(?:<\/rect>)?/g, '')
    .replace(/\sid="([a-z_]+)"/g, (attribute, id: string) => (MARKERS.includes(id) ? ` id="svgbob-${id}"` : attribute))
    .replace(/<(text|line|path|circle|rect|polygon|polyline)\b([^>]*?)(\/?)>/g, (tag, name: string, attributes: string, close: string) => {
      const classes = /\sclass="([^"]*)"/.exec(attributes)?.[1].split(/\s+/) ?? [];
      const extra = classes.map((name) => byClass[name]).filter(Boolean);
      if (name === 'text') extra.push(`fill="${palette.text}" stroke="none"`);
      // Arrowheads and diamonds in the markers are drawn filled, in the line colour.
      else if (name === 'polygon' && classes.length === 0) extra.push(`fill="${palette.line}"`);
      return extra.length ? `<${name}${attributes} ${extra.join(' ')}${close}>` : tag;
    });
  return `${open[0]}${group}${body}</g></svg>`;
}

/** svgbob: ASCII art (boxes, lines, arrows drawn with characters) as a drawing; one kind. */
export const draw: Draw = async (source, palette) => {
  const wasm = await load();
  let svg: string;
  try {
    svg = render(wasm, source.replace(/\r\n?/g, '\n'));
  } catch (error) {
    instance = undefined;
    throw new SourceError(`svgbob could not draw this source: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    if (wasm.memory.buffer.byteLength > KEPT_MEMORY) instance = undefined;
  }
  if (!/<svg\b/.test(svg)) throw new SourceError('svgbob drew nothing for this source.');
  return { svg: themed(svg, palette), diagramType: 'svgbob' };
};
