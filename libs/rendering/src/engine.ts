import type { RenderFailure, SourceFormat } from '@flowsmith/contracts';
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
  /** When the caller stops waiting (epoch ms): the engine lets go of its page by then. */
  deadline?: number;
  /** Best-effort lane work (libs/contracts/src/fairness.ts): never takes the last warm page. */
  bestEffort?: boolean;
}

export type EngineParseOptions = Pick<EngineRenderOptions, 'deadline' | 'bestEffort'>;

export type EngineResult<T> = { ok: true; value: T } | { ok: false; error: RenderFailure };

/**
 * One source format. PlantUML, draw.io, BPMN and SVG arrive as more implementations of this
 * interface beside Mermaid; the render service picks one by `source_format`.
 */
export interface RenderEngine {
  readonly format: SourceFormat;
  /** True when the engine's SVG is already sanitized (mermaid's page runs DOMPurify); else the SVG step runs. */
  readonly sanitizesOutput: boolean;
  parse(source: string, options?: EngineParseOptions): Promise<EngineResult<{ diagramType: string }>>;
  render(source: string, theme: ThemeDefinition, options?: EngineRenderOptions): Promise<EngineResult<EngineSvg>>;
  /** Engines with a process of their own (PlantUML's JVM) start and stop with the worker. */
  start?(): Promise<void>;
  close?(): Promise<void>;
}
