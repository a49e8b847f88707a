import { contrast, mix, parseColour, readableFill } from '../colour/colour';
import type { ThemePalette } from '../themes';
import { type Draw, SourceError } from '../thread/drawing';

interface Nomnoml {
  renderSvg(code: string): string;
  parse(code: string): { root: Part };
}
interface Part {
  nodes: Array<{ type: string; parts: Part[] }>;
}

let nomnoml: Promise<Nomnoml> | undefined;

/** nomnoml's own build, loaded once per thread. Without a DOM it estimates text widths from a table of Helvetica's (no canvas, no files). */
function load(): Promise<Nomnoml> {
  nomnoml ??= import('nomnoml').then((module) => ((module as unknown as { default?: Nomnoml }).default ?? (module as unknown as Nomnoml)));
  return nomnoml;
}

/**
 * Stands for the theme in `#stroke`, which nomnoml uses for lines and text alike: after drawing,
 * strokes take the theme's line colour and text (which nomnoml fills with the stroke colour) the
 * theme's text colour. A source that names its own `#stroke` keeps it for both.
 */
const STROKE = '#010203';

/** Lines of the directive form: `#key: value` at the start of a line. */
const DIRECTIVE = /^#([^:\n]*):(.*)$/gm;

/**
 * The theme as nomnoml directives, placed before the source: nomnoml takes the last value of a
 * directive, so a source's own `#fill`, `#stroke`, `#font`, ... win. nomnoml sizes boxes from its
 * table of Helvetica widths, so text is set in Helvetica or a font with its metrics.
 */
function themeDirectives(palette: ThemePalette): string[] {
  return [
    `#stroke: ${STROKE}`,
    `#fill: ${palette.nodeFill}; ${palette.groupFill}; ${palette.nodeFill}; ${palette.groupFill}`,
    '#font: Helvetica, Arial, sans-serif',
    `#fontSize: ${Math.round(palette.fontSize * 0.75 * 4) / 4}`,
    '#lineWidth: 2',
    '#background: transparent',
    // Notes as nomnoml draws them (left-aligned, dog-eared), on the theme's note colour.
    `#.note: visual=note align=left fill=${palette.noteFill}`,
  ];
}

/**
 * A fill of the source's own under the theme's text (4.5:1) and its lines (3:1: a class's
 * compartments are parted by lines drawn over its fill): the colour itself, or moved towards the
 * canvas just as far as needed.
 */
function themedFill(colour: string, palette: ThemePalette): string {
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
 * Fills the source names itself (`#fill`, a custom style's `fill=`) carry the theme's text and
 * lines when the source leaves the stroke colour to the theme: such a fill is moved towards the
 * canvas until the text reads on it and the lines stand out from it (a pastel becomes a dark tint
 * on a dark canvas). The directives keep their lines.
 */
function readableFills(source: string, palette: ThemePalette): string {
  const ownStroke = [...source.matchAll(DIRECTIVE)].some((match) => match[1].trim() === 'stroke');
  if (ownStroke) return source;
  const adapt = (colour: string) => themedFill(colour, palette);
  return source.replace(DIRECTIVE, (line, key: string, value: string) => {
    const name = key.trim();
    if (name === 'fill') return `#${key}:${value.split(';').map((colour) => ` ${adapt(colour.trim())}`).join(';')}`;
    if (name.startsWith('.') && !/(?:^|\s)stroke=/.test(value)) return `#${key}:${value.replace(/(^|\s)fill=([^ ]+)/, (_, space: string, colour: string) => `${space}fill=${adapt(colour)}`)}`;
    return line;
  });
}

/** What the diagram is, from the kinds of node it has: use case, state, activity, or class (the default). */
function diagramTypeOf(root: Part): string {
  const types = new Set<string>();
  const visit = (part: Part) => {
    for (const node of part.nodes) {
      types.add(node.type);
      node.parts.forEach(visit);
    }
  };
  visit(root);
  for (const neutral of ['note', 'label', 'hidden', 'frame', 'package']) types.delete(neutral);
  const within = (kinds: string[]) => types.size > 0 && [...types].every((type) => kinds.includes(type));
  if (types.has('usecase') && within(['usecase', 'actor'])) return 'usecase';
  if (types.has('state') && within(['state', 'start', 'end', 'choice', 'sync'])) return 'state';
  if (within(['start', 'end', 'choice', 'sync', 'input', 'sender', 'receiver', 'transceiver', 'state'])) return 'activity';
  return 'class';
}

/** A fault of nomnoml's parser (`ParseError`: line and column of the source). */
interface ParseError {
  message: string;
  line?: number;
  column?: number;
}

/** nomnoml: UML-ish boxes and arrows, laid out by graphre (dagre). */
export const draw: Draw = async (source, palette) => {
  const include = /^#import:.*$/m.exec(source);
  if (include) {
    const line = source.slice(0, include.index).split('\n').length;
    throw new SourceError('nomnoml: `#import` is not allowed: a diagram cannot include other files.', line);
  }
  const lib = await load();
  const theme = themeDirectives(palette);
  const themed = `${theme.join('\n')}\n${readableFills(source, palette)}`;
  let svg: string;
  let root: Part;
  try {
    root = lib.parse(source).root;
    svg = lib.renderSvg(themed);
  } catch (error) {
    // The source is parsed as written (directive lines count as lines), so nomnoml's positions are the source's.
    const { message, line, column } = error as ParseError;
    const at = typeof line === 'number' ? `line ${line}${typeof column === 'number' ? `, column ${column + 1}` : ''}: ` : '';
    const text = String(message ?? error).replace(/^Parse error at line \d+ column \d+, /, '');
    throw new SourceError(`nomnoml: ${at}${text.trim()}`, typeof line === 'number' ? line : undefined, typeof column === 'number' ? column + 1 : undefined);
  }
  svg = svg
    .replace(/<desc\b[^>]*>[\s\S]*?<\/desc>/, '')
    // nomnoml writes sizes in points, which some rasterizers scale with their resolution: in pixels they mean the same everywhere.
    .replace(/font-size="([\d.]+)pt"/g, (_, points: string) => `font-size="${Math.round(Number(points) * (4 / 3) * 100) / 100}px"`)
    .replaceAll(`stroke="${STROKE}"`, `stroke="${palette.line}"`)
    .replaceAll(`fill="${STROKE}"`, `fill="${palette.text}"`);
  return { svg, diagramType: diagramTypeOf(root) };
};
