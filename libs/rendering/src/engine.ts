import type { RenderFailure, SourceFormat } from '@flowsmith/contracts';
import type { ThemeDefinition } from './themes';

/** What an engine hands to the shared SVG pipeline: a sanitized SVG and its geometry. */
export interface EngineSvg {
  svg: string;
  diagramType: string;
  /** [minX, minY, width, height] of the drawing. */
  viewBox: [number, number, number, number];
}

export type EngineResult<T> = { ok: true; value: T } | { ok: false; error: RenderFailure };

/**
 * One source format. PlantUML, draw.io, BPMN and SVG arrive as more implementations of this
 * interface beside Mermaid; the render service picks one by `source_format`.
 */
export interface RenderEngine {
  readonly format: SourceFormat;
  parse(source: string): Promise<EngineResult<{ diagramType: string }>>;
  render(source: string, theme: ThemeDefinition): Promise<EngineResult<EngineSvg>>;
}
