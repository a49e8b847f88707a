import { createRequire } from 'node:module';
import { mix, parseColour, readableFill, visibleStroke } from '../colour/colour';
import type { ThemePalette } from '../themes';
import { type Draw, SourceError } from '../thread/drawing';

interface WaveDrom {
  renderAny(index: number, source: unknown, skins: Record<string, unknown>): unknown;
  onml: { stringify(markup: unknown): string };
}
interface Json5 {
  parse(text: string): unknown;
}
interface Libraries {
  wavedrom: WaveDrom;
  json5: Json5;
  skins: Record<string, unknown>;
}

let libraries: Libraries | undefined;

/**
 * WaveDrom with its light skins (a source picks one in `config.skin`), and the JSON5 reader
 * WaveDrom's own command line uses: a data reader, nothing is evaluated (WaveDrom's browser
 * build evaluates its sources as JavaScript; this never does). Loaded once per thread; the thread
 * is an ES module bundle (thread-pool.ts), so the packages are found from the bundle's own URL.
 */
function load(): Libraries {
  if (libraries) return libraries;
  // @ts-expect-error -- import.meta is the ES module bundle's own (TypeScript checks this folder as CommonJS).
  const url: string | undefined = import.meta.url;
  // In a CommonJS bundle (esbuild leaves import.meta empty there) the file's own name does.
  const here = url ?? __filename;
  const require = createRequire(here);
  const wavedrom = require('wavedrom') as WaveDrom;
  const json5 = createRequire(require.resolve('wavedrom'))('json5') as Json5;
  const skins = Object.assign({}, ...['default', 'narrow', 'lowkey'].map((skin) => require(`wavedrom/skins/${skin}.js`) as Record<string, unknown>)) as Record<string, unknown>;
  libraries = { wavedrom, json5, skins };
  return libraries;
}

export type WaveKind = 'signal' | 'bitfield' | 'assign';

/** What WaveDrom draws from the source, in the order it looks: a timing diagram, a logic circuit, a register's bit fields. */
function kindOf(source: unknown): WaveKind {
  if (typeof source !== 'object' || source === null || Array.isArray(source)) {
    throw new SourceError('WaveDrom: the source is an object, `{ signal: [...] }`, `{ reg: [...] }` or `{ assign: [...] }`.', 1);
  }
  const { signal, assign, reg } = source as Record<string, unknown>;
  const [key, value, kind] = signal ? ['signal', signal, 'signal' as const] : assign ? ['assign', assign, 'assign' as const] : reg ? ['reg', reg, 'bitfield' as const] : [];
  if (key === undefined || kind === undefined) throw new SourceError('WaveDrom: the source has no `signal`, `reg` or `assign` list.', 1);
  if (!Array.isArray(value)) throw new SourceError(`WaveDrom: \`${key}\` is a list: \`${key}: [...]\`.`);
  return kind;
}

/** `colour` at least 4.5:1 on the canvas, as text must be. */
const textColour = (colour: string, palette: ThemePalette) => visibleStroke(colour, palette.text, palette.background, 4.5);

/** A pastel fill of WaveDrom's in the theme: the accent of the same hue, tinted into the canvas, under the theme's text. */
const tint = (accent: string, palette: ThemePalette) => readableFill(mix(palette.background, accent, palette.tone === 'dark' ? 0.32 : 0.22), palette.text, palette.background);

/** Where a colour is used: the property, and the CSS rule's selector or the element it is on. */
type Pick = (colour: string, property: 'fill' | 'stroke' | 'color', where: string) => string;

/** The colours of WaveDrom's skins and renderers, and where each goes in the theme. */
function signalPick(palette: ThemePalette): Pick {
  const a = palette.accents;
  const pastels: Record<string, string> = { '#ffffb4': a[3], '#ffe0b9': a[9], '#b9e0ff': a[0], '#ccfdfe': a[5], '#cdfdc5': a[2], '#f0c1fb': a[4], '#f5c2c0': a[1] };
  const textual: Record<string, string> = { '#0041c4': a[0], '#f6b900': a[3], '#f60000': a[1], '#00ab00': a[2], '#00f': a[0], '#f00': a[1] };
  const muted = textColour(palette.line, palette);
  return (colour, property, where) => {
    const key = colour.toLowerCase();
    const black = key === '#000' || key === '#000000' || key === 'black';
    const white = key === '#fff' || key === '#ffffff' || key === 'white';
    const isText = where === 'text' || where === 'tspan' || /^\.(muted|info|warning|error|success|h\d)$/.test(where);
    if (property === 'fill' && isText) {
      if (black) return palette.text;
      if (key === '#aaa') return muted;
      return textColour(textual[key] ?? colour, palette);
    }
    if (black) return palette.text;
    if (white) return palette.background;
    if (key === '#888') return palette.line;
    if (textual[key]) return visibleStroke(textual[key], palette.text, palette.background);
    if (property === 'fill' && pastels[key]) return tint(pastels[key], palette);
    return property === 'fill' ? readableFill(colour, palette.text, palette.background) : visibleStroke(colour, palette.text, palette.background);
  };
}

/** Logidrom's style sheet (assign): grey gates, tinted ports and binds, black wires and labels. */
function assignPick(palette: ThemePalette): Pick {
  const a = palette.accents;
  const fills: Record<string, string> = {
    '.gate': palette.nodeFill,
    '.dff': palette.groupFill,
    '.port': tint(a[0], palette),
    '.bind': tint(a[1], palette),
    '.siglabel': palette.groupFill,
    '.grid': palette.background,
  };
  return (colour, property, where) => {
    if (property === 'fill') return fills[where] ?? palette.text;
    if (where === '.slicelabel') return palette.background;
    return /^\.(gate|dff|port|bind|siglabel)$/.test(where) ? palette.nodeStroke : palette.line;
  };
}

/** bit-field (reg): black lines, text in the default black, field types in faint fills of their own hue. */
function bitfieldPick(palette: ThemePalette): Pick {
  return (colour, property) => {
    const key = colour.toLowerCase();
    if (key === 'black' || key === '#000' || key === '#000000') return property === 'fill' ? palette.text : palette.line;
    return property === 'fill' ? colour : visibleStroke(colour, palette.text, palette.background);
  };
}

/** Recolours the declarations `fill:`, `stroke:` and `color:` of a CSS text (a rule's body, or a style attribute). */
function recolourDeclarations(css: string, where: string, pick: Pick): string {
  return css.replace(/(^|[;{\s])(fill|stroke|color)\s*:\s*([^;}]+)/gi, (whole, before: string, property: string, value: string) => {
    const trimmed = value.trim();
    if (!parseColour(trimmed)) return whole;
    return `${before}${property}:${pick(trimmed, property.toLowerCase() as 'fill' | 'stroke' | 'color', where)}`;
  });
}

/**
 * WaveDrom's colours in the theme, wherever they are written: in the skin's style sheet (by rule),
 * in style attributes and in fill/stroke attributes (by element). References (`xlink:href="#000"`
 * names a brick, not a colour) are left alone.
 */
function recolour(svg: string, pick: Pick): string {
  return svg
    .replace(/(<style\b[^>]*>)([\s\S]*?)(<\/style>)/g, (_, open: string, css: string, close: string) => {
      const rules = css.replace(/([^{}]+)\{([^}]*)\}/g, (rule, selector: string, body: string) => {
        // Hover effects are for WaveDrom's editor, not for a picture.
        if (/:hover/.test(selector)) return '';
        return `${selector}{${recolourDeclarations(body, selector.trim(), pick)}}`;
      });
      return `${open}${rules}${close}`;
    })
    .replace(/<([a-z]+)\b([^>]*)>/gi, (tag, element: string, attributes: string) => {
      if (!/\s(?:fill|stroke|style)=/.test(attributes)) return tag;
      const recoloured = attributes
        .replace(/\sstyle="([^"]*)"/, (_, css: string) => ` style="${recolourDeclarations(css, element, pick)}"`)
        .replace(/\s(fill|stroke)="([^"]*)"/g, (whole, property: 'fill' | 'stroke', value: string) => (parseColour(value) ? ` ${property}="${pick(value, property, element)}"` : whole));
      return `<${element}${recoloured}>`;
    });
}

const points = (css: string) => css.replace(/([\d.]+)pt\b/g, (_, size: string) => `${Math.round(Number(size) * (4 / 3) * 100) / 100}px`);

interface Rule {
  tag?: string;
  classes: string[];
  declarations: string;
  specificity: number;
}

/**
 * WaveDrom's style sheets select by element and by class (`text`, `.muted`, `.s1`, `.wire.vector`):
 * in a page they would style whatever else is there (and the frame and watermark around the
 * drawing), and rules scoped to the drawing would no longer reach its bricks, which are drawn by
 * `<use>`. So each rule is written into the style attribute of the elements it selects (where a
 * style sheet's rule would have applied, above presentation attributes and below the element's
 * own style), and the style sheets are dropped.
 */
function inlined(svg: string): string {
  const rules: Rule[] = [];
  const body = svg.replace(/<style\b[^>]*>([\s\S]*?)<\/style>/g, (_, css: string) => {
    for (const [, selectors, declarations] of css.matchAll(/([^{}]+)\{([^}]*)\}/g)) {
      for (const selector of selectors.split(',').map((part) => part.trim())) {
        const simple = /^([a-z][\w-]*)?((?:\.[\w-]+)*)$/i.exec(selector);
        if (!simple || (!simple[1] && !simple[2])) continue;
        const classes = simple[2].split('.').filter(Boolean);
        rules.push({ tag: simple[1]?.toLowerCase(), classes, declarations: points(declarations.trim().replace(/;?\s*$/, '')), specificity: classes.length * 10 + (simple[1] ? 1 : 0) });
      }
    }
    return '';
  });
  // Later rules of the same specificity win, as in a style sheet: a stable sort keeps their order.
  rules.sort((a, b) => a.specificity - b.specificity);
  return body.replace(/<([a-z][\w:-]*)\b([^>]*?)(\/?)>/gi, (tag, name: string, attributes: string, close: string) => {
    const classes = /\sclass="([^"]*)"/.exec(attributes)?.[1].split(/\s+/) ?? [];
    const matching = rules.filter((rule) => (!rule.tag || rule.tag === name.toLowerCase()) && rule.classes.every((c) => classes.includes(c)));
    if (matching.length === 0) return tag;
    const own = /\sstyle="([^"]*)"/.exec(attributes)?.[1];
    const style = [...matching.map((rule) => rule.declarations), ...(own ? [own] : [])].filter(Boolean).join(';');
    const rest = attributes.replace(/\sstyle="[^"]*"/, '');
    return `<${name}${rest} style="${style.replace(/"/g, '&quot;')}"${close}>`;
  });
}

/**
 * The skin defines every brick a wave could be drawn with (over two hundred): those the drawing
 * does not use are left out, a fifth of the size.
 */
function usedBricks(svg: string): string {
  const used = new Set([...svg.matchAll(/(?:href="#|url\(#)([^")]+)/g)].map((match) => match[1]));
  return svg.replace(/(<defs>)([\s\S]*?)(<\/defs>)/, (_, open: string, defs: string, close: string) => {
    const kept = defs.replace(/<g id="([^"]*)">(?:(?!<g\b)[\s\S])*?<\/g>/g, (brick, id: string) => (used.has(id) ? brick : ''));
    return `${open}${kept}${close}`;
  });
}

/** WaveDrom: digital timing diagrams (`signal`), register bit fields (`reg`) and logic circuits (`assign`). */
export const draw: Draw = async (source, palette) => {
  const { wavedrom, json5, skins } = load();
  let parsed: unknown;
  try {
    parsed = json5.parse(source);
  } catch (error) {
    const { message, lineNumber, columnNumber } = error as { message: string; lineNumber?: number; columnNumber?: number };
    throw new SourceError(`WaveDrom: ${message.replace(/^JSON5: /, '')}`, lineNumber, columnNumber);
  }
  const kind = kindOf(parsed);
  let svg: string;
  try {
    svg = wavedrom.onml.stringify(wavedrom.renderAny(0, parsed, skins));
  } catch (error) {
    throw new SourceError(`WaveDrom could not draw this source: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!/^<svg\b/.test(svg)) throw new SourceError('WaveDrom drew nothing for this source.');
  if (kind === 'signal') {
    svg = usedBricks(svg);
    // The white sheet WaveDrom lays under its lanes: the canvas is the theme's.
    svg = svg.replace(/(<g id="waves_0">)<rect width="[\d.]+" height="[\d.]+" style="stroke:none;fill:white"\/>/, '$1');
    // The skin gives text no colour (black by default): the theme's text colour, inherited from the root, in a font with the widths WaveDrom estimates (Helvetica's).
    svg = recolour(svg, signalPick(palette));
    // The cycle grid: dotted, 0.5 px in WaveDrom (half strength, under 3:1 on every canvas); 1 px, still dotted, in the theme's line colour.
    svg = svg.replace(/(<g id="gmarks_\d+"><g style="[^"]*?stroke-width:)0\.5\b/g, (_, before: string) => `${before}1`);
    svg = svg.replace(/^<svg\b/, `<svg fill="${palette.text}"`).replace(/font-family:Helvetica\b/, 'font-family:Helvetica, Arial, sans-serif');
  } else if (kind === 'assign') {
    // Pin names have no colour of their own (black by default): the theme's text colour, inherited from the root.
    svg = recolour(svg, assignPick(palette)).replace(/^<svg\b/, `<svg fill="${palette.text}"`);
  } else {
    // bit-field draws its labels in the default black and centres them in their fields (no measuring): the theme's text and font.
    svg = recolour(svg, bitfieldPick(palette)).replace(/(<g\b[^>]*?)\sfont-family="sans-serif"/, `$1 font-family="${palette.fontFamily.replace(/"/g, '&quot;')}" fill="${palette.text}"`);
    // bit-field's height ends at the last line of attributes' baseline: room for its descenders.
    svg = svg.replace(/^<svg\b[^>]*>/, (root) => root.replace(/\sheight="([\d.]+)"/, (_, h: string) => ` height="${Number(h) + 6}"`).replace(/\sviewBox="([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)"/, (_, x: string, y: string, w: string, h: string) => ` viewBox="${x} ${y} ${w} ${Number(h) + 6}"`));
  }
  return { svg: inlined(svg), diagramType: kind };
};
