import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

/**
 * The measure of issue 14, item 3: a raster agrees with Chromium's drawing of the same SVG when at
 * most `maxFraction` of its 4×4 pixel blocks differ by a mean of more than `levels` (over the
 * block's pixels and their three channels). Blocks, not pixels: antialiasing that differs by a
 * shade along every edge is no difference a reader sees; a missing marker, a label on the wrong
 * line or a clipped outline is.
 */
export interface FidelityLimit {
  block: number;
  levels: number;
  maxFraction: number;
}

export const FIDELITY: FidelityLimit = { block: 4, levels: 24, maxFraction: 0.0025 };

export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

export interface Comparison {
  blocks: number;
  differing: number;
  fraction: number;
  /** The largest mean difference of any block (0-255). */
  worst: number;
  /** One byte per block: 1 where the block differs. */
  mask: Uint8Array;
  columns: number;
}

/** Any picture sharp reads (PNG, JPEG, WebP), as RGB on `background` (alpha flattened). */
export async function rgb(image: Buffer, background: string): Promise<RgbImage> {
  const { data, info } = await sharp(image).flatten({ background }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

export function compareBlocks(expected: RgbImage, actual: RgbImage, limit: FidelityLimit = FIDELITY): Comparison {
  if (expected.width !== actual.width || expected.height !== actual.height) {
    throw new Error(`sizes differ: ${expected.width}×${expected.height} against ${actual.width}×${actual.height}`);
  }
  const { width, height } = expected;
  const columns = Math.ceil(width / limit.block);
  const rows = Math.ceil(height / limit.block);
  const mask = new Uint8Array(columns * rows);
  let differing = 0;
  let worst = 0;
  for (let by = 0; by < rows; by++) {
    for (let bx = 0; bx < columns; bx++) {
      let sum = 0;
      let samples = 0;
      for (let y = by * limit.block; y < Math.min(height, (by + 1) * limit.block); y++) {
        for (let x = bx * limit.block; x < Math.min(width, (bx + 1) * limit.block); x++) {
          const i = (y * width + x) * 3;
          sum += Math.abs(expected.data[i] - actual.data[i]) + Math.abs(expected.data[i + 1] - actual.data[i + 1]) + Math.abs(expected.data[i + 2] - actual.data[i + 2]);
          samples += 3;
        }
      }
      const mean = sum / samples;
      if (mean > worst) worst = mean;
      if (mean > limit.levels) {
        mask[by * columns + bx] = 1;
        differing++;
      }
    }
  }
  const blocks = columns * rows;
  return { blocks, differing, fraction: differing / blocks, worst, mask, columns };
}

/**
 * Chromium's drawing, the raster, and the raster with its differing blocks in red over a faded
 * copy, side by side: what a person looks at when a comparison fails.
 */
export async function writeSideBySide(dir: string, name: string, expected: RgbImage, actual: RgbImage, comparison: Comparison, block = FIDELITY.block): Promise<string> {
  const { width, height } = expected;
  const marked = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if (comparison.mask[Math.floor(y / block) * comparison.columns + Math.floor(x / block)]) {
        marked[i] = 255;
        marked[i + 1] = 0;
        marked[i + 2] = 0;
      } else {
        const grey = Math.round((actual.data[i] + actual.data[i + 1] + actual.data[i + 2]) / 3);
        marked[i] = marked[i + 1] = marked[i + 2] = 128 + (grey >> 1);
      }
    }
  }
  const gap = 8;
  const raw = (image: RgbImage | Buffer) => ({ raw: { width, height, channels: 3 as const } , input: Buffer.isBuffer(image) ? image : image.data });
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await sharp({ create: { width: width * 3 + gap * 2, height, channels: 3, background: '#ff00ff' } })
    .composite([
      { ...raw(expected), left: 0, top: 0 },
      { ...raw(actual), left: width + gap, top: 0 },
      { ...raw(marked), left: 2 * (width + gap), top: 0 },
    ])
    .png()
    .toFile(path);
  return path;
}
