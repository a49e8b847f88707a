import { isScaled, RasterFormat, Scale } from '@flowsmith/contracts';
import { checkRasterLimits, MAX_PNG_PIXELS } from './raster/raster-limits';
import type { RasterPool, RasterResult } from './raster/raster-pool';

export * from './raster/raster-limits';
export { RasterPool } from './raster/raster-pool';
export type { RasterPoolOptions, RasterResult } from './raster/raster-pool';
export { ChromiumRasterizer, encodeRaster, RASTER_CHROMIUM_ARGS, RASTER_CONTENT_TYPES } from './raster/draw-raster';
export type { DrawRasterRequest } from './raster/draw-raster';

/**
 * SVG to PNG, JPEG or WebP at 1, 2 or 4 device pixels per CSS pixel, on the theme's background,
 * with a hard limit on each step: the size and the filters' work are checked first
 * (raster/raster-limits.ts, output_too_large at once), then one of the pool's raster processes
 * draws it and is killed if it is still drawing at `deadline` (render_timeout) or outgrows its
 * memory (output_too_large). The formats differ only in the encoder (raster/draw-raster.ts).
 */
export function rasterize(pool: RasterPool, svg: string, width: number, height: number, scale: Scale, background: string, deadline: number, format: RasterFormat = 'png'): Promise<RasterResult> {
  // A PDF is vector, drawn at scale 1 (raster/draw-raster.ts); its filters are bounded all the same.
  const drawnScale = isScaled(format) ? scale : 1;
  const refused = checkRasterLimits(svg, width, height, drawnScale);
  if (refused) return Promise.resolve({ ok: false, error: refused });
  return pool.draw({ svg, width, height, format, scale: drawnScale, background, limitInputPixels: MAX_PNG_PIXELS }, deadline);
}
