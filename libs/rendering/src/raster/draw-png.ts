import sharp from 'sharp';
import { rasterStyleSheets } from '../svg/raster-css';

export interface DrawPngRequest {
  svg: string;
  /** Device pixels per CSS pixel: 1, 2 or 4. */
  scale: number;
  background: string;
  /** sharp's own guard on the drawing's pixels (raster-limits.ts checks them before). */
  limitInputPixels: number;
}

export interface DrawnPng {
  png: Uint8Array;
  width: number;
  height: number;
}

/**
 * SVG to PNG with librsvg (inside sharp), on the theme's background: what a raster process does
 * for each request (raster-child.ts). Labels are SVG <text> in the fonts Chromium measured with, so
 * both agree. librsvg gets the SVG without the style rules that cannot match (svg/raster-css.ts:
 * the same pixels, ~3 ms less), and zlib level 3 writes a file ~3% larger than level 6 in half
 * the time (~2 ms). Never call this in the worker's own process: a drawing can keep libvips busy
 * for minutes, and nothing but killing the process stops it (raster-pool.ts).
 */
export async function drawPng(request: DrawPngRequest): Promise<DrawnPng> {
  const { data, info } = await sharp(Buffer.from(rasterStyleSheets(request.svg)), { density: 72 * request.scale, limitInputPixels: request.limitInputPixels })
    .flatten({ background: request.background })
    .png({ compressionLevel: 3, adaptiveFiltering: false })
    .toBuffer({ resolveWithObject: true });
  return { png: data, width: info.width, height: info.height };
}
