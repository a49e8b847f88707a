import { createHash } from 'node:crypto';
import { detectSourceFormat, MermaidLayout, MermaidLook, RenderInput, Scale, SCALES, SOURCE_FORMATS, SourceFormat } from '@flowsmith/contracts';
import type { Actor } from '../auth/actor';
import { ApiError } from '../common/api-error';
import type { GatewayConfig } from '../common/gateway-config';

/** The largest scale the caller's plan allows at or below the one asked for (anonymous: 1). */
export function clampScale(requested: Scale, actor: Actor, config: GatewayConfig): { scale: Scale; clamped: boolean } {
  const max = actor.kind === 'anonymous' ? 1 : config.plans[actor.plan].max_png_scale;
  if (requested <= max) return { scale: requested, clamped: false };
  const scale = [...SCALES].reverse().find((s) => s <= max) ?? 1;
  return { scale, clamped: true };
}

/**
 * The source's format: the one the caller gave, or the one its text shows
 * (libs/contracts/src/detect-format.ts). `detected` is what responses report as `detected_format`:
 * null when the caller named it. A source that shows none is 400 with `param: source_format`.
 */
export function sourceFormatOf(source: string, given: SourceFormat | undefined | null): { format: SourceFormat; detected: SourceFormat | null } {
  if (given) return { format: given, detected: null };
  const detected = detectSourceFormat(source);
  if (!detected) {
    throw new ApiError('missing_parameter', `source_format was not given and the source's language could not be detected: send source_format (one of: ${SOURCE_FORMATS.join(', ')}).`, { param: 'source_format' });
  }
  return { format: detected, detected };
}

/** `diagram-<type>-<sha6>.<ext>`: the same source always gets the same name. */
export function exportFilename(source: string, diagramType: string, ext: string, requested?: string): string {
  if (requested) return requested.toLowerCase().endsWith(`.${ext}`) ? requested : `${requested}.${ext}`;
  const sha6 = createHash('sha256').update(source).digest('hex').slice(0, 6);
  return `diagram-${diagramType.replace(/:/g, '-').replace(/[^a-z0-9-]/gi, '') || 'diagram'}-${sha6}.${ext}`;
}

/** The options a caller may pass that only some engines read. */
export interface DrawOptions {
  page?: string;
  layout?: MermaidLayout | null;
  look?: MermaidLook | null;
}

/**
 * The options that mean something to this source format: `page` to draw.io, `layout` and `look` to
 * mermaid. Elsewhere they are dropped, since they would only split the cache.
 */
export function drawOptionsOf(sourceFormat: SourceFormat, options: DrawOptions): Pick<RenderInput, 'page' | 'layout' | 'look'> {
  if (sourceFormat === 'drawio' && options.page !== undefined) return { page: options.page };
  if (sourceFormat !== 'mermaid') return {};
  return { ...(options.layout ? { layout: options.layout } : {}), ...(options.look ? { look: options.look } : {}) };
}

/** The render options `width` and `height` of a request, when given (RenderInput; the cache key holds them only then). */
export function sizeOf(options: { width?: number; height?: number }): { width?: number; height?: number } {
  return { ...(options.width ? { width: options.width } : {}), ...(options.height ? { height: options.height } : {}) };
}
