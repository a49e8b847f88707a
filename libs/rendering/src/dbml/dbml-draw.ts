import type { Graphviz } from '@hpcc-js/wasm-graphviz';
import type { ThemePalette } from '../themes';
import { type Draw, SourceError } from '../thread/drawing';

/** dbml-renderer's three steps (its `run(source, format)` is render(check(parse(source)))). */
interface DbmlRenderer {
  parse(source: string): unknown;
  check(parsed: unknown): unknown;
  render(checked: unknown, format: 'dot'): string;
}

let renderer: Promise<{ dbml: DbmlRenderer; graphviz: Graphviz }> | undefined;

/**
 * dbml-renderer's parser and DOT writer, and Graphviz's WebAssembly build (the one graphviz
 * uses), loaded once per thread. dbml-renderer's own `run(source, 'svg')` would lay out with
 * viz.js 3.4 (Graphviz 2.47 as asm.js, in-memory files, no processes), which also hooks the
 * thread's `process` events (uncaughtException, unhandledRejection, exit): the DOT is laid out
 * here instead, where nothing of the host can be read either.
 */
function load(): Promise<{ dbml: DbmlRenderer; graphviz: Graphviz }> {
  renderer ??= Promise.all([
    import('@softwaretechnik/dbml-renderer/lib/parser.js'),
    import('@softwaretechnik/dbml-renderer/lib/checker.js'),
    import('@softwaretechnik/dbml-renderer/lib/renderer.js'),
    import('@hpcc-js/wasm-graphviz').then(({ Graphviz }) => Graphviz.load()),
  ]).then(([parser, checker, dot, graphviz]) => ({
    dbml: { parse: parser.parse, check: checker.check, render: dot.render } as DbmlRenderer,
    graphviz,
  }));
  return renderer;
}

const escapeHtml = (value: string) => value.replace(/[&<>"\\]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\\': '&#92;' })[c] as string);

/**
 * The checked model with every name, type and setting escaped for the HTML-like labels and
 * quoted IDs that dbml-renderer writes them into verbatim: `Table "R&D"` or an enum value
 * `"<none>"` would otherwise break the DOT, and a quote in a name could add DOT attributes.
 * Cardinalities (`<`, `>`) and inline refs, already resolved by the checker, stay as they are.
 */
function escapeModel(node: unknown, seen = new Set<unknown>()): void {
  if (!node || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  const record = node as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (typeof value === 'string') {
      if (key !== 'type' && key !== 'cardinality' && key !== 'ref') record[key] = escapeHtml(value);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => (typeof item === 'string' ? (value[i] = escapeHtml(item)) : escapeModel(item, seen)));
    } else escapeModel(value, seen);
  }
}

const isMono = (palette: ThemePalette) => /mono/i.test(palette.fontFamily.split(',')[0]);

/**
 * dbml-renderer's fixed colours (dark blue #29235c, blue #1d71b8, grey #e7e2dd, white) replaced
 * by the theme's; a table's own `headercolor` and a group's own `color` are kept. Its 32 px text
 * is set at 14 px, the size of the other diagrams.
 *
 * Graphviz sizes the cells with its own metrics of the few fonts it knows by name, and with
 * Times' for any other name (a list of families included), which is narrower than the theme's.
 * So the DOT names Helvetica, whose widths are those of Noto Sans within a few per cent (Courier
 * for a monospace theme: the same 0.6 em as Noto Sans Mono), and the SVG then draws the text in
 * the theme's font (drawnInThemeFont).
 */
function themeDot(dot: string, palette: ThemePalette): string {
  const font = isMono(palette) ? 'Courier' : 'Helvetica';
  const header = palette.accents[0];
  const enumHeader = palette.accents[4] ?? palette.accents[0];
  return (
    dot
      .replace(/fontname="helvetica"/g, `fontname="${font}"`)
      .replace(/fontsize=32/g, 'fontsize=14')
      .replace(/edge \[/, 'edge [labeldistance=2, labelfontsize=12, ')
      .replace(/fontcolor="#29235c"/g, `fontcolor="${palette.text}"`)
      .replace(/color="#29235c"/g, `color="${palette.line}"`)
      .replace(/penwidth=3/g, 'penwidth=1.5')
      .replace(/CELLPADDING="10"/g, 'CELLPADDING="8"')
      .replace(/BORDER="2" COLOR="#29235c"/g, `BORDER="1" COLOR="${palette.nodeStroke}"`)
      // Headers in the default colour: tables in the first accent, enums in another, labels in onAccent.
      .replace(/BGCOLOR="#1d71b8"([^>]*)><FONT COLOR="#ffffff">/g, `BGCOLOR="${header}"$1><FONT COLOR="${palette.onAccent}">`)
      .replace(/BGCOLOR="#29235c"><FONT COLOR="#ffffff">/g, `BGCOLOR="${enumHeader}"><FONT COLOR="${palette.onAccent}">`)
      .replace(/BGCOLOR="#e7e2dd"/g, `BGCOLOR="${palette.nodeFill}"`)
      .replace(/<FONT COLOR="#1d71b8">/g, `<FONT COLOR="${palette.text}">`)
      // Runs of spaces stand for padding around names and values: in another font than Graphviz
      // measures with, they push the text off centre. The cells' padding stays; a column's name
      // and type are kept apart by an empty cell rather than by spaces.
      .replace(/<(B|I)> {2,}([^<]*?) {2,}<\/\1>/g, '<$1>$2</$1>')
      .replace(/ {2,}<\/TD>(\s*)<TD ALIGN="RIGHT">/g, '</TD><TD WIDTH="18"></TD><TD ALIGN="RIGHT">')
      .replace(/<\/I> <B>\(!\)<\/B>/g, '</I>&#160;<B>(!)</B>')
      // Groups: the theme's group fill with a quiet frame, unless the group names its colour.
      .replace(/color="#dddddd";/g, `fillcolor="${palette.groupFill}"; color="${palette.nodeStroke}"; fontcolor="${palette.text}";`)
      // A group's name is written unquoted after `cluster_`: quoted, a name with spaces is one ID.
      .replace(/subgraph cluster_([^\n{]*?) \{\n/g, (_, name: string) => `subgraph "cluster_${name}" {\n`)
  );
}

/**
 * One cardinality label per column end: references that meet at the same column (several tables
 * referring to one key) would each put the same label at the same spot, drawn over one another.
 */
function oneLabelPerEnd(dot: string): string {
  const labelled = new Set<string>();
  return dot.replace(/^(\s*)("(?:[^"\\]|\\.)*":f\d+(?::\w+)?) -> ("(?:[^"\\]|\\.)*":f\d+(?::\w+)?) \[([^\]\n]*)\]$/gm, (line, indent: string, tail: string, head: string, attributes: string) => {
    const kept = attributes.replace(/, (head|tail)label="([^"]*)"/g, (label, end: string, text: string) => {
      const key = `${end === 'head' ? head : tail}|${text}`;
      if (labelled.has(key)) return '';
      labelled.add(key);
      return label;
    });
    return kept === attributes ? line : `${indent}${tail} -> ${head} [${kept}]`;
  });
}

/** The text Graphviz measured in Helvetica or Courier, drawn in the theme's font. */
function drawnInThemeFont(svg: string, palette: ThemePalette): string {
  const family = palette.fontFamily.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  return svg.replace(/font-family="(?:Helvetica|Courier)[^"]*"/g, `font-family="${family}"`);
}

/** What the DBML parser says, as `DBML: ... ` with its line and column. */
function sourceError(error: unknown): SourceError {
  const message = (error instanceof Error ? error.message : String(error)).trim();
  const at = /at line (\d+):(\d+)/.exec(message);
  return new SourceError(`DBML: ${message}`, at ? Number(at[1]) : undefined, at ? Number(at[2]) : undefined);
}

/** DBML (dbdiagram.io's schema language): tables, enums, groups and references, laid out by Graphviz. */
export const draw: Draw = async (source, palette) => {
  const { dbml, graphviz } = await load();
  let dot: string;
  try {
    const checked = dbml.check(dbml.parse(source));
    escapeModel(checked);
    dot = dbml.render(checked, 'dot');
  } catch (error) {
    throw sourceError(error);
  }
  let svg: string;
  try {
    svg = graphviz.dot(themeDot(oneLabelPerEnd(dot), palette), 'svg');
  } catch (error) {
    throw new SourceError(`DBML: the schema could not be laid out (${(error instanceof Error ? error.message : String(error)).trim()}).`);
  }
  return { svg: drawnInThemeFont(svg, palette), diagramType: 'dbml' };
};
