import type { MermaidLayout, MermaidLook, RenderFailure } from '@flowsmith/contracts';
import type { ThemeDefinition } from './themes';

/** What an engine hands to the shared SVG pipeline: a sanitized SVG and its geometry. */
export interface EngineSvg {
  svg: string;
  diagramType: string;
  /** [minX, minY, width, height] of the drawing. */
  viewBox: [number, number, number, number];
}

/** Per-render options some formats use. */
export interface EngineRenderOptions {
  /** draw.io: the page to draw, by 1-based index or by name; the first page when absent. */
  page?: string;
  /** Mermaid: the layout engine and the look (libs/contracts/src/rendering.ts); the engine's defaults when absent. */
  layout?: MermaidLayout;
  look?: MermaidLook;
  /** When the caller stops waiting (epoch ms): the engine lets go of its page by then. */
  deadline?: number;
  /** Best-effort lane work (libs/contracts/src/fairness.ts): never takes the last warm page. */
  bestEffort?: boolean;
}

export type EngineParseOptions = Pick<EngineRenderOptions, 'deadline' | 'bestEffort'>;

/** Text output: `ascii` for ASCII art (`txt`), else Unicode box drawing (`utxt`). */
export interface EngineTextOptions extends EngineParseOptions {
  ascii: boolean;
}

export type EngineResult<T> = { ok: true; value: T } | { ok: false; error: RenderFailure };

/**
 * What draws a language: engines.ts names one per language of libs/contracts/src/languages.ts,
 * and the Renderer (renderer.ts) picks it by `source_format`.
 */
export interface RenderEngine {
  /** True when the engine's SVG is already sanitized (mermaid's page runs DOMPurify); else the SVG step runs. */
  readonly sanitizesOutput: boolean;
  parse(source: string, options?: EngineParseOptions): Promise<EngineResult<{ diagramType: string }>>;
  render(source: string, theme: ThemeDefinition, options?: EngineRenderOptions): Promise<EngineResult<EngineSvg>>;
  /** The source as text (`txt`, `utxt`): engines of the languages whose registry entry says `text: true` (libs/contracts/src/languages.ts). */
  renderText?(source: string, options: EngineTextOptions): Promise<EngineResult<{ text: string; diagramType: string }>>;
  /** Engines with a process of their own (PlantUML's JVM) start and stop with the worker. */
  start?(): Promise<void>;
  close?(): Promise<void>;
}
