import type { Spec } from 'vega';
import type { Config as LiteConfig, TopLevelSpec } from 'vega-lite';
import type { ThemePalette } from '../themes';
import { type Draw, SourceError } from '../thread/drawing';
import { drawVegaSpec, mix, parseJsonSource } from '../vega/vega-draw';

let vegaLite: Promise<typeof import('vega-lite')> | undefined;

/** Vega-Lite, loaded once per thread (an ES module). */
function load(): Promise<typeof import('vega-lite')> {
  vegaLite ??= import('vega-lite');
  return vegaLite;
}

/**
 * The theme as Vega-Lite configuration, merged under the spec's own `config` (what the spec sets
 * wins): transparent canvas, the theme's text and line colours on guides, a quiet grid (a reading
 * aid: the quality gate counts it as decorative), no frame around the view (the axes' domain lines
 * bound it; a frame in the grid's quiet colour would be a line too faint to read), the accents for
 * categories and for marks without a colour, and the theme's font.
 */
export function vegaLiteTheme(palette: ThemePalette): LiteConfig {
  const text = palette.text;
  const grid = mix(palette.background, palette.line, 0.35);
  return {
    background: 'transparent',
    font: palette.fontFamily,
    view: { stroke: null },
    mark: { color: palette.accents[0] },
    rule: { color: palette.line },
    text: { color: text },
    boxplot: { median: { color: palette.onAccent } },
    axis: { domainColor: palette.line, tickColor: palette.line, gridColor: grid, labelColor: text, titleColor: text },
    legend: { labelColor: text, titleColor: text },
    title: { color: text, subtitleColor: text },
    header: { labelColor: text, titleColor: text },
    range: { category: palette.accents },
  };
}

const COMPOSITIONS = ['layer', 'hconcat', 'vconcat', 'concat', 'repeat', 'facet'] as const;

/** What a Vega-Lite spec draws: its mark (`bar`, `line`, ...), or how it composes views (`layer`, `concat`, `facet`, ...). */
export function vegaLiteType(spec: Record<string, unknown>): string {
  for (const composition of COMPOSITIONS) if (composition in spec) return composition;
  const mark = spec.mark;
  if (typeof mark === 'string') return mark;
  if (mark && typeof mark === 'object' && typeof (mark as { type?: unknown }).type === 'string') return (mark as { type: string }).type;
  return 'vegalite';
}

const MARKS = new Set(['arc', 'area', 'bar', 'image', 'line', 'point', 'rect', 'rule', 'text', 'tick', 'trail', 'circle', 'square', 'geoshape', 'boxplot', 'errorbar', 'errorband']);

/** The first mark Vega-Lite does not know, in the spec or the views it composes (Vega-Lite would fail on it with a TypeError). */
function unknownMark(spec: unknown): string | undefined {
  if (!spec || typeof spec !== 'object') return undefined;
  const view = spec as Record<string, unknown>;
  const mark = typeof view.mark === 'string' ? view.mark : view.mark && typeof view.mark === 'object' ? (view.mark as { type?: unknown }).type : undefined;
  if (typeof mark === 'string' && !MARKS.has(mark)) return mark;
  for (const key of ['layer', 'hconcat', 'vconcat', 'concat']) {
    for (const child of Array.isArray(view[key]) ? (view[key] as unknown[]) : []) {
      const found = unknownMark(child);
      if (found) return found;
    }
  }
  return unknownMark(view.spec);
}

const quiet = () => {
  const logger = { level: (_?: number) => (_ === undefined ? 0 : logger), error: () => logger, warn: () => logger, info: () => logger, debug: () => logger };
  return logger;
};

/** Vega-Lite (a JSON spec): compiled to Vega in the theme, then drawn as Vega is (sandboxed alike). */
export const draw: Draw = async (source, palette) => {
  const spec = parseJsonSource(source, 'Vega-Lite');
  if (typeof spec.$schema === 'string' && /\/vega\/v\d/i.test(spec.$schema)) {
    throw new SourceError('Vega-Lite: this is a Vega spec ($schema names vega, not vega-lite); render it as vega.', 1);
  }
  const unknown = unknownMark(spec);
  if (unknown) throw new SourceError(`Vega-Lite: unknown mark "${unknown}" (one of ${[...MARKS].join(', ')}).`);
  const vl = await load();
  let compiled: Spec;
  try {
    compiled = vl.compile(spec as unknown as TopLevelSpec, { config: vegaLiteTheme(palette), logger: quiet() }).spec as Spec;
  } catch (error) {
    throw new SourceError(`Vega-Lite: ${(error instanceof Error ? error.message : String(error)).split('\n')[0].trim()}`);
  }
  return drawVegaSpec(compiled, palette, 'Vega-Lite', vegaLiteType(spec));
};
