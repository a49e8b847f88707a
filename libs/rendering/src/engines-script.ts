import type { Draw } from './thread/drawing';

/**
 * The languages drawn by JavaScript or WebAssembly in a thread of the script pool
 * (thread/thread-pool.ts), each by the `draw` of its folder. engines.ts registers them with the
 * other engines; this list stays free of Chromium and the JVM, because the threads load it.
 */
export const SCRIPT_DRAWS = {
  graphviz: () => import('./graphviz/graphviz-draw.js'),
  nomnoml: () => import('./nomnoml/nomnoml-draw.js'),
  pikchr: () => import('./pikchr/pikchr-draw.js'),
  svgbob: () => import('./svgbob/svgbob-draw.js'),
  wavedrom: () => import('./wavedrom/wavedrom-draw.js'),
  bytefield: () => import('./bytefield/bytefield-draw.js'),
  vega: () => import('./vega/vega-draw.js'),
  vegalite: () => import('./vegalite/vegalite-draw.js'),
  dbml: () => import('./dbml/dbml-draw.js'),
  d2: () => import('./d2/d2-draw.js'),
} satisfies Record<string, () => Promise<{ draw: Draw }>>;

export type ScriptLanguage = keyof typeof SCRIPT_DRAWS;

/**
 * Languages whose library takes seconds to start: D2's Go runtime initializes for 5-10 s of CPU
 * before its first drawing (the rest draw within a second of loading). Each has a thread of its
 * own (thread/thread-pool.ts) that loads it before it takes a source, so a caller's deadline that
 * passes during the load fails that one render, never the load: without it, the thread was
 * stopped at the deadline and the next one began again from nothing, so on a slow machine D2
 * never rendered.
 */
export const SLOW_START_LANGUAGES: ReadonlySet<ScriptLanguage> = new Set<ScriptLanguage>(['d2']);

/** The languages whose text output (`txt`, `utxt`) a thread draws. */
export const SCRIPT_TEXTS = {
  mermaid: () => import('./mermaid/mermaid-text.js'),
} satisfies Record<string, () => Promise<{ text: (source: string, ascii: boolean) => Promise<{ text: string; diagramType: string }> }>>;

export type ScriptTextLanguage = keyof typeof SCRIPT_TEXTS;
