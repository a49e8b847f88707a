import type { ThemePalette } from '../themes';

/**
 * The languages drawn by JavaScript or WebAssembly in Node (graphviz, d2, vega, ...): each has a
 * folder with a `draw` function of this type, run in a thread of the script pool
 * (thread/thread-pool.ts), which time-boxes and memory-caps it and can kill it. A draw function
 * is pure: no network, no files, no globals kept between calls beyond a loaded library.
 */
export type Draw = (source: string, palette: ThemePalette) => Promise<Drawing>;

export interface Drawing {
  /** A standalone SVG document (`<svg xmlns=…>` root with a viewBox or width and height). */
  svg: string;
  /** What the source is, as precisely as the language says (`digraph`, `sequence`, `bar`, ...). */
  diagramType: string;
}

/**
 * A fault of the source (it does not parse, it asks for something refused): the caller gets it as
 * `parse_failed` with this message, never retried. Anything else a draw function throws is a fault
 * of the engine.
 */
export class SourceError extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'SourceError';
  }
}
