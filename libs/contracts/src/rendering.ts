import { createHash } from 'node:crypto';
import { LANGUAGES, SOURCE_FORMATS, type SourceFormat } from './languages';
import type { ThemeId } from './themes';

export const OUTPUT_FORMATS = ['png', 'svg', 'jpeg', 'webp', 'pdf', 'txt', 'utxt'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
/** Every output the Renderer can make (the API's OUTPUT_FORMATS in another order). */
export const IMAGE_FORMATS = ['svg', 'png', 'jpeg', 'webp', 'pdf', 'txt', 'utxt'] as const;
/** A file's extension for each output: `.jpg` as people and tools expect. */
export const FILE_EXTENSIONS: Record<ImageFormat, string> = { svg: 'svg', png: 'png', jpeg: 'jpg', webp: 'webp', pdf: 'pdf', txt: 'txt', utxt: 'txt' };
export type ImageFormat = (typeof IMAGE_FORMATS)[number];
/**
 * The diagram as text, as Kroki names it: `txt` ASCII art, `utxt` Unicode box drawing; drawn for
 * the languages whose registry entry says `text: true` (libs/contracts/src/languages.ts).
 */
export type TextFormat = 'txt' | 'utxt';
/** What the raster processes draw from the finished SVG: pixels (PNG, JPEG, WebP), or a vector PDF of one page. */
export type RasterFormat = Exclude<ImageFormat, 'svg' | TextFormat>;

export function isText(format: ImageFormat): format is TextFormat {
  return format === 'txt' || format === 'utxt';
}

/** Whether a scale applies to the output: pixels (PNG, JPEG, WebP) do; vectors (SVG, PDF) and text are drawn at 1. */
export function isScaled(format: ImageFormat): format is Exclude<RasterFormat, 'pdf'> {
  return format === 'png' || format === 'jpeg' || format === 'webp';
}

/** The languages that have text output, for messages and docs. */
export const TEXT_LANGUAGES = SOURCE_FORMATS.filter((format) => LANGUAGES[format].text);

/** Mermaid's layout engines (render option `layout`); the default is in libs/rendering/src/mermaid/mermaid-engine.ts. */
export const MERMAID_LAYOUTS = ['dagre', 'elk'] as const;
export type MermaidLayout = (typeof MERMAID_LAYOUTS)[number];
/** Mermaid's looks (render option `look`). */
export const MERMAID_LOOKS = ['classic', 'neo', 'handDrawn'] as const;
export type MermaidLook = (typeof MERMAID_LOOKS)[number];
/** The layout when the caller names none (docs/mermaid.md says why dagre, and what ELK costs). */
export const DEFAULT_MERMAID_LAYOUT: MermaidLayout = 'dagre';
/** The look when the caller names none (docs/mermaid.md says why classic). */
export const DEFAULT_MERMAID_LOOK: MermaidLook = 'classic';
/**
 * A picture's canvas (render option `background`): `theme` (the default: the theme's canvas, painted
 * into dark themes' SVGs and under every raster), `transparent` (none: SVG, PNG and WebP keep an
 * alpha channel; a JPEG, which has none, gets the theme's), or a colour `#rrggbb`.
 */
export const BACKGROUND_PATTERN = /^(theme|transparent|#[0-9a-fA-F]{6})$/;
export const SCALES = [1, 2, 4] as const;
export type Scale = (typeof SCALES)[number];

/** docs/api.md: a PNG is at most 8192 px on a side. */
export const MAX_PNG_SIDE = 8192;
/** The render options `width` and `height` (CSS px), at most this. */
export const MAX_SIZE_OPTION = MAX_PNG_SIDE;
/** docs/api.md: a render that takes longer is 504 render_timeout. */
export const RENDER_BUDGET_MS = 10_000;
/** docs/api.md: embed sources are at most 5 KB decoded. */
export const MAX_EMBED_SOURCE_BYTES = 5 * 1024;

/** The rasterizer's version, in the cache key of every PNG, JPEG and WebP (raster/draw-raster.ts). */
export const RASTERIZER_VERSION = 'chromium/r1';

/** The version of each language's engine (libs/contracts/src/languages.ts), part of every cache key. */
export const ENGINE_VERSIONS = Object.fromEntries(SOURCE_FORMATS.map((format) => [format, LANGUAGES[format].engine])) as Record<SourceFormat, string>;

export interface RenderInput {
  source: string;
  sourceFormat: SourceFormat;
  theme: ThemeId;
  format: ImageFormat;
  scale: Scale;
  watermark: boolean;
  /** Mermaid only: the layout engine; the engine's default when absent. */
  layout?: MermaidLayout;
  /** Mermaid only: the look; the engine's default when absent. */
  look?: MermaidLook;
  /** SVG only: the subset of the fonts the drawing uses, embedded as WOFF2 data URIs (portable SVG). */
  embedFonts?: boolean;
  /** The canvas: `theme` when absent, `transparent`, or `#rrggbb` (BACKGROUND_PATTERN). */
  background?: string;
  /** draw.io: the page to draw (1-based index or name); the first when absent. */
  page?: string;
  /**
   * The drawing's size in CSS pixels (SVG and PDF size, rasters before `scale`): a width alone or a
   * height alone keeps the aspect; both fit the drawing inside them. Its natural size when absent.
   */
  width?: number;
  height?: number;
  /** Public embeds: a source that fails renders as an SVG card that shows the error. */
  fallback?: boolean;
}

/** Content address of a rendering: everything that changes its bytes, and nothing else. */
export function renderCacheKey(input: RenderInput): string {
  return createHash('sha256')
    .update(JSON.stringify([ENGINE_VERSIONS[input.sourceFormat], input.format === 'svg' || isText(input.format) ? null : RASTERIZER_VERSION, input.sourceFormat, input.theme, input.format, isScaled(input.format) ? input.scale : 1, input.watermark, Boolean(input.fallback), input.page ?? null, input.layout ?? null, input.look ?? null, input.format === 'svg' && Boolean(input.embedFonts), ...(input.background && input.background !== 'theme' ? [input.background.toLowerCase()] : []), ...(input.width || input.height ? [`size:${input.width ?? ''}x${input.height ?? ''}`] : [])]))
    .update('\n')
    .update(input.source)
    .digest('hex');
}

/** Why a render or parse did not produce a diagram; the gateway maps these to docs/api.md's errors. */
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
