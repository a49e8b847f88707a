import { createHash } from 'node:crypto';
import type { SourceFormat } from './sources';
import type { ThemeId } from './themes';

export const OUTPUT_FORMATS = ['png', 'svg'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
export const SCALES = [1, 2, 4] as const;
export type Scale = (typeof SCALES)[number];

/** API.md: a PNG is at most 8192 px on a side. */
export const MAX_PNG_SIDE = 8192;
/** API.md: a render that takes longer is 504 render_timeout. */
export const RENDER_BUDGET_MS = 10_000;
/** API.md: embed sources are at most 5 KB decoded. */
export const MAX_EMBED_SOURCE_BYTES = 5 * 1024;

/**
 * The version of each engine's output. It is part of every cache key, so a new engine version
 * never serves an old rendering. Bump the suffix when our own post-processing changes the output.
 */
export const ENGINE_VERSIONS: Record<SourceFormat, string> = {
  mermaid: 'mermaid-11.17.2/r1',
  plantuml: 'plantuml-1.2025.8/r3',
  drawio: 'mxgraph-4.2.2/r1',
  bpmn: 'bpmn-js-18.31.1/r1',
  svg: 'svgo-4.1.0/r2',
};

export interface RenderInput {
  source: string;
  sourceFormat: SourceFormat;
  theme: ThemeId;
  format: OutputFormat;
  scale: Scale;
  watermark: boolean;
  /** draw.io: the page to draw (1-based index or name); the first when absent. */
  page?: string;
  /** Public embeds: a source that fails renders as an SVG card that shows the error. */
  fallback?: boolean;
}

/** Content address of a rendering: everything that changes its bytes, and nothing else. */
export function renderCacheKey(input: RenderInput): string {
  return createHash('sha256')
    .update(JSON.stringify([ENGINE_VERSIONS[input.sourceFormat], input.sourceFormat, input.theme, input.format, input.format === 'png' ? input.scale : 1, input.watermark, Boolean(input.fallback), input.page ?? null]))
    .update('\n')
    .update(input.source)
    .digest('hex');
}

/** Why a render or parse did not produce a diagram; the gateway maps these to API.md's errors. */
export interface RenderFailure {
  code: 'parse_failed' | 'output_too_large' | 'render_timeout' | 'unsupported_format';
  message: string;
  line?: number;
  column?: number;
}

/**
 * When the caller stops waiting (epoch ms). A worker skips a job that reaches it later (its caller
 * already has its 504), and bounds a render it starts by the time that is left.
 */
export interface JobDeadline {
  deadline?: number;
}

export interface RenderJobData extends RenderInput, JobDeadline {
  cacheKey: string;
}

/** The bytes go to the render cache under `cacheKey`; the job result carries only what describes them. */
export type RenderJobResult =
  | { ok: true; cacheKey: string; contentType: string; width: number; height: number; diagramType: string; bytes: number }
  | { ok: false; error: RenderFailure };

export interface ParseJobData extends JobDeadline {
  source: string;
  sourceFormat: SourceFormat;
}

export type ParseJobResult = { ok: true; diagramType: string } | { ok: false; error: RenderFailure };
