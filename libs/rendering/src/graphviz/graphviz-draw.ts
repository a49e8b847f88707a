import type { Graphviz } from '@hpcc-js/wasm-graphviz';
import type { ThemePalette } from '../themes';
import { type Draw, SourceError } from '../thread/drawing';

let graphviz: Promise<Graphviz> | undefined;

/** Graphviz's WebAssembly build, loaded once per thread: no files of the host (its file system is its own, empty), no network. */
function load(): Promise<Graphviz> {
  graphviz ??= import('@hpcc-js/wasm-graphviz').then(({ Graphviz }) => Graphviz.load());
  return graphviz;
}

/** The header of a DOT graph, after comments: `strict? (di)graph ID? {`. */
const HEADER = /^(?:\s|\/\/[^\n]*(?:\n|$)|#[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*(strict\s+)?(digraph|graph)\b(?:\s*(?:"(?:[^"\\]|\\.)*"|<[^{]*>|[^\s{"<]+))?\s*\{/i;

const quote = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;

/**
 * The theme as DOT defaults, placed first in the graph: a graph's own attributes come later and
 * win, so a source that names its colours keeps them; one that names none takes the theme's.
 * Graphviz has no fonts of the host: it sizes text by its own tables, which know Helvetica (a list
 * of families, or any other name, is sized as Times). So text is set in Helvetica, which fontconfig
 * gives to a face of Helvetica's widths (Liberation Sans or Nimbus Sans, installed with the worker).
 */
function themeDefaults(palette: ThemePalette): string {
  const font = quote('Helvetica');
  return (
    `graph [bgcolor="transparent" fontname=${font} fontcolor=${quote(palette.text)} color=${quote(palette.nodeStroke)} pencolor=${quote(palette.nodeStroke)}];` +
    `node [style="filled" fontname=${font} fontsize=13 fontcolor=${quote(palette.text)} color=${quote(palette.nodeStroke)} fillcolor=${quote(palette.nodeFill)}];` +
    `edge [fontname=${font} fontsize=12 fontcolor=${quote(palette.text)} color=${quote(palette.line)}];`
  );
}

/** Graphviz (`dot`), laid out by the layout engine the graph names in `layout=` (dot by default). */
export const draw: Draw = async (source, palette) => {
  const header = HEADER.exec(source);
  if (!header) throw new SourceError('A Graphviz source starts with `graph {` or `digraph {` (optionally `strict` and a name).', 1);
  const themed = source.slice(0, header.index + header[0].length) + themeDefaults(palette) + source.slice(header.index + header[0].length);
  let svg: string;
  try {
    svg = (await load()).dot(themed, 'svg');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const line = /\bline (\d+)/.exec(message);
    throw new SourceError(`Graphviz: ${message.trim()}`, line ? Number(line[1]) : undefined);
  }
  if (!/<svg\b/.test(svg)) throw new SourceError('Graphviz drew nothing for this source.');
  return { svg, diagramType: header[2].toLowerCase() };
};
