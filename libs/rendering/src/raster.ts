import sharp from 'sharp';
import { MAX_PNG_SIDE, RenderFailure, Scale } from '@flowsmith/contracts';
import { rasterStyleSheets } from './svg/raster-css';

export type RasterResult = { ok: true; png: Buffer; width: number; height: number } | { ok: false; error: RenderFailure };

/**
 * SVG to PNG with librsvg (inside sharp) at 1, 2 or 4 device pixels per CSS pixel, on the theme's
 * background. Labels are SVG <text> in the fonts Chromium measured with, so both agree. librsvg
 * gets the SVG without the style rules that cannot match (svg/raster-css.ts: the same pixels, ~3 ms
 * less), and zlib level 3 writes a file ~3% larger than level 6 in half the time (~2 ms).
 */
export async function rasterize(svg: string, width: number, height: number, scale: Scale, background: string): Promise<RasterResult> {
  const outWidth = width * scale;
  const outHeight = height * scale;
  if (outWidth > MAX_PNG_SIDE || outHeight > MAX_PNG_SIDE) {
    return {
      ok: false,
      error: {
        code: 'output_too_large',
        message: `The PNG would be ${outWidth}×${outHeight} px; at most ${MAX_PNG_SIDE} px on a side. Use a smaller scale or the SVG format.`,
      },
    };
  }
  const { data, info } = await sharp(Buffer.from(rasterStyleSheets(svg)), { density: 72 * scale, limitInputPixels: MAX_PNG_SIDE * MAX_PNG_SIDE })
    .flatten({ background })
    .png({ compressionLevel: 3, adaptiveFiltering: false })
    .toBuffer({ resolveWithObject: true });
  return { ok: true, png: data, width: info.width, height: info.height };
}
