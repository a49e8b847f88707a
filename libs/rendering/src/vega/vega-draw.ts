import type { Config, Loader, Spec } from 'vega';
import type { ThemePalette } from '../themes';
import { type Draw, type Drawing, SourceError } from '../thread/drawing';
import { positionOf } from '../source-position';
import { textWidth, type TextStyle } from './text-widths';
import { expressionInterpreter } from './vega-interpreter';

type VegaModule = typeof import('vega') & { textMetrics: { width: (item: TextStyle, text: unknown) => number } };

let vega: Promise<VegaModule> | undefined;

/**
 * Vega, loaded once per thread (an ES module with top-level await: only `import()` loads it),
 * with its text measured in the fonts the SVG is drawn with (text-widths.ts).
 */
export function loadVega(): Promise<VegaModule> {
  vega ??= import('vega').then((module) => {
    const loaded = module as unknown as VegaModule;
    loaded.textMetrics.width = (item, text) => textWidth(text == null ? '' : Array.isArray(text) ? text.join(' ') : String(text), item);
    return loaded;
  });
  return vega;
}

/** Pictures embedded in the spec itself, which the SVG step keeps (svg/sanitize-svg.ts). */
const EMBEDDED_PICTURE = /^data:image\/(png|jpe?g|gif|webp);base64,[a-z0-9+/=\s]*$/i;

/**
 * A loader that reads nothing: no files, no network. Data from a URL (or a file) is refused,
 * and so is an image mark's picture unless it is embedded as a data: URI; a link (`href`) is
 * dropped (the SVG step would drop it anyway).
 */
function refusingLoader(refused: Set<string>): Loader {
  const refuse = (what: string) => {
    refused.add(what);
    return Promise.reject(new Error(what));
  };
  return {
    load: () => refuse('data from URLs or files is not loaded; inline the values (`"values": [...]`)'),
    http: () => refuse('data from URLs or files is not loaded; inline the values (`"values": [...]`)'),
    file: () => refuse('data from URLs or files is not loaded; inline the values (`"values": [...]`)'),
    sanitize: (uri, options) => {
      const context = (options as { context?: string } | undefined)?.context;
      if (context === 'href') return Promise.resolve({ href: null as unknown as string });
      if (typeof uri === 'string' && EMBEDDED_PICTURE.test(uri.trim())) return Promise.resolve({ href: uri.trim() });
      if (context === 'image') return refuse('images from URLs or files are not loaded; embed them as data:image/png;base64 URIs');
      return refuse('data from URLs or files is not loaded; inline the values (`"values": [...]`)');
    },
  };
}

const LEVEL_ERROR = 1;

const describe = (value: unknown) => {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

/** Vega's logger, keeping the errors of the dataflow (a failed transform, a refused load) and dropping the rest. */
function collectingLogger(errors: string[]) {
  const logger = {
    level: (_?: number) => (_ === undefined ? LEVEL_ERROR : logger),
    error: (...args: unknown[]) => {
      errors.push(args.map((arg) => (arg instanceof Error ? arg.message : typeof arg === 'string' ? arg : describe(arg))).join(' '));
      return logger;
    },
    warn: () => logger,
    info: () => logger,
    debug: () => logger,
  };
  return logger;
}

type Rgb = [number, number, number];
const rgbOf = (hex: string): Rgb => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as Rgb;
const hexOf = (rgb: Rgb) => `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
/** `a` moved towards `b` by `t`. */
export const mix = (a: string, b: string, t: number) => hexOf(rgbOf(a).map((c, i) => c + (rgbOf(b)[i] - c) * t) as Rgb);

/**
 * The theme as Vega configuration: a transparent canvas, the theme's text on axes, legends and
 * titles, its line colour for domains and ticks, a quiet grid, the theme's accents as the
 * categorical range and for marks without a colour, and its font. Passed to `vega.parse` as the
 * base configuration, under the spec's own `config`, so what a spec sets wins.
 */
export function vegaTheme(palette: ThemePalette): Config {
  const font = palette.fontFamily;
  const text = palette.text;
  const grid = mix(palette.background, palette.line, 0.35);
  const mark = palette.accents[0];
  return {
    background: 'transparent',
    padding: 5,
    arc: { fill: mark },
    area: { fill: mark },
    line: { stroke: mark },
    path: { stroke: mark },
    rect: { fill: mark },
    rule: { stroke: palette.line },
    shape: { stroke: mark },
    symbol: { fill: mark },
    trail: { fill: mark },
    text: { fill: text, font },
    style: {
      'guide-label': { fill: text, font },
      'guide-title': { fill: text, font },
      'group-title': { fill: text, font },
      'group-subtitle': { fill: text, font },
    },
    title: { color: text, subtitleColor: text, font, subtitleFont: font },
    axis: { domainColor: palette.line, tickColor: palette.line, gridColor: grid, labelColor: text, titleColor: text, labelFont: font, titleFont: font },
    legend: { labelColor: text, titleColor: text, labelFont: font, titleFont: font, symbolBaseStrokeColor: palette.line, gradientStrokeColor: grid },
    range: { category: palette.accents },
  } as Config;
}

/** A language's JSON source, parsed, with the line and column of a syntax error. */
export function parseJsonSource(source: string, language: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    const message = (error as Error).message.replace(/, "[\s\S]*" is not valid JSON$/, '').replace(/ in JSON at position \d+.*$/, '');
    const at = jsonErrorOffset(source);
    const { line, column } = positionOf(source, at);
    throw new SourceError(`${language}: the spec is not valid JSON: ${message} (line ${line}, column ${column}).`, line, column);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new SourceError(`${language}: the spec is a JSON object ({ ... }).`, 1, 1);
  return value as Record<string, unknown>;
}

/** Where strict JSON stops being JSON (JSON.parse says so only for some faults). */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && /[ \t\n\r]/.test(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? '')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail();
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else {
      const number = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
      if (!number) fail();
      i += (number as RegExpExecArray)[0].length;
    }
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
  } catch (at) {
    if (typeof at === 'number') return Math.min(at, text.length);
    throw at;
  }
  return text.length;
}

/** Vega's messages, without its stack and prefixes. */
const cleanMessage = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0].trim();

/**
 * A Vega spec drawn as SVG: parsed with the theme under its own config, its expressions
 * interpreted (vega-interpreter.ts), its data loaded by nothing (refusingLoader), and run
 * headless. Faults of the spec are SourceErrors prefixed with `language`.
 */
export async function drawVegaSpec(spec: Spec, palette: ThemePalette, language: string, diagramType: string): Promise<Drawing> {
  const vg = await loadVega();
  const unknown = unknownMarkType(spec);
  if (unknown) throw new SourceError(`${language}: unknown mark type "${unknown}" (one of ${[...MARK_TYPES].join(', ')}).`);
  const refused = new Set<string>();
  const errors: string[] = [];
  let view: InstanceType<VegaModule['View']> | undefined;
  try {
    const runtime = vg.parse(spec, vegaTheme(palette), { ast: true });
    view = new vg.View(runtime, { renderer: 'none', loader: refusingLoader(refused), logger: collectingLogger(errors), logLevel: LEVEL_ERROR, expr: expressionInterpreter });
    const svg = await view.toSVG();
    if (refused.size) throw new SourceError(`${language}: ${[...refused][0]}.`);
    if (errors.length) throw new SourceError(`${language}: ${errors[0]}`);
    return { svg, diagramType };
  } catch (error) {
    if (error instanceof SourceError) throw error;
    // A refused load can surface as a failure of whatever needed the data.
    if (refused.size) throw new SourceError(`${language}: ${[...refused][0]}.`);
    throw new SourceError(`${language}: ${cleanMessage(error)}`);
  } finally {
    view?.finalize();
  }
}

const MARK_TYPES = new Set(['arc', 'area', 'group', 'image', 'line', 'path', 'rect', 'rule', 'shape', 'symbol', 'text', 'trail']);

/** The first mark type Vega does not know (it would fail on it deep inside rendering, saying nothing useful). */
function unknownMarkType(node: { marks?: unknown }): string | undefined {
  for (const mark of Array.isArray(node.marks) ? (node.marks as Array<{ type?: unknown; marks?: unknown }>) : []) {
    if (!mark || typeof mark !== 'object') continue;
    if (typeof mark.type === 'string' && !MARK_TYPES.has(mark.type)) return mark.type;
    const nested = unknownMarkType(mark);
    if (nested) return nested;
  }
  return undefined;
}

/** Vega (a JSON spec), drawn headless in the theme. */
export const draw: Draw = async (source, palette) => {
  const spec = parseJsonSource(source, 'Vega');
  if (typeof spec.$schema === 'string' && /vega-lite/i.test(spec.$schema)) {
    throw new SourceError('Vega: this is a Vega-Lite spec ($schema names vega-lite); render it as vegalite.', 1);
  }
  return drawVegaSpec(spec as Spec, palette, 'Vega', 'vega');
};
