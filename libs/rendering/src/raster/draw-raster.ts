import type { RasterFormat } from '@flowsmith/contracts';
import sharp from 'sharp';
import { rasterSvg } from '../svg/raster-css';

export interface DrawRasterRequest {
  svg: string;
  format: RasterFormat;
  /** Device pixels per CSS pixel: 1, 2 or 4. */
  scale: number;
  background: string;
  /** sharp's own guard on the drawing's pixels (raster-limits.ts checks them before). */
  limitInputPixels: number;
}

export interface DrawnRaster {
  data: Uint8Array;
  width: number;
  height: number;
}

export const RASTER_CONTENT_TYPES = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const satisfies Record<RasterFormat, string>;

/**
 * The encoders' settings, measured on a mermaid flowchart of 481×615 px (docs/rendering.md,
 * "Rasters"); the worst 4×4 block of each against the PNG is in brackets:
 * - PNG: zlib level 3 writes a file ~3% larger than level 6 in half the time (~4 ms).
 * - JPEG: quality 90 without chroma subsampling (4:4:4): 4 ms, 32 KB [8 levels]. 4:2:0 is 2 ms and
 *   25 KB but halves the colour resolution of thin coloured text and strokes [13 levels]; mozjpeg's
 *   trellis and scans cost 28 ms for 11% fewer bytes.
 * - WebP: lossy, quality 90, effort 2: 8 ms, 13 KB [11 levels]. `smartSubsample` costs 30 ms for
 *   the same bytes and error; effort 4 takes 18 ms for 5% fewer bytes.
 */
export function encodeRaster(image: sharp.Sharp, format: RasterFormat): sharp.Sharp {
  switch (format) {
    case 'png':
      return image.png({ compressionLevel: 3, adaptiveFiltering: false });
    case 'jpeg':
      return image.jpeg({ quality: 90, chromaSubsampling: '4:4:4', mozjpeg: false, trellisQuantisation: false, overshootDeringing: false, optimiseScans: false, progressive: false });
    case 'webp':
      return image.webp({ quality: 90, effort: 2 });
  }
}

/**
 * SVG to PNG, JPEG or WebP with librsvg (inside sharp), on the theme's background: what a raster
 * process does for each request (raster-child.ts). Labels are SVG <text> in the fonts Chromium
 * measured with, so both agree; librsvg gets the SVG rewritten where it would draw otherwise than
 * Chromium, and without the style rules that cannot match (svg/raster-css.ts). Never call this in
 * the worker's own process: a drawing can keep libvips busy for minutes, and nothing but killing
 * the process stops it (raster-pool.ts).
 */
export async function drawRaster(request: DrawRasterRequest): Promise<DrawnRaster> {
  const drawn = sharp(Buffer.from(rasterSvg(request.svg)), { density: 72 * request.scale, limitInputPixels: request.limitInputPixels }).flatten({ background: request.background });
  const { data, info } = await encodeRaster(drawn, request.format).toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
