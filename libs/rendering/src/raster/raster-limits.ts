import { MAX_PNG_SIDE, RenderFailure } from '@flowsmith/contracts';

/**
 * A PNG's pixels in all: 40 megapixels (8192 × 4883), about 160 MB as RGBA while Chromium draws
 * it. MAX_PNG_SIDE alone would allow 8192 × 8192 (67 megapixels, 268 MB).
 */
export const MAX_PNG_PIXELS = 40_000_000;

/**
 * The most filter primitives a drawing may hold. Diagrams use a handful (a drop shadow is three or
 * four); a document with hundreds is built to be slow, not to be looked at.
 */
export const MAX_FILTER_PRIMITIVES = 200;

/**
 * An estimate of the filter work whose cost grows with a primitive's own parameters, in
 * "pixel-passes": feTurbulence's octaves, feMorphology's radius box and feConvolveMatrix's kernel,
 * times the pixels the filter's region may cover. One octave of feTurbulence over a megapixel
 * takes about 0.1 s of one core here, so 20 million passes are about 2 s: the most a single PNG may
 * ask before it starts. The red-team's bomb (4000 × 4000, numOctaves 200) is 160 million even with
 * its octaves clamped to 10. Primitives whose cost per pixel is fixed (blur, offset, merge, ...) are
 * not counted: their regions are their elements' boxes, which are not known without laying the
 * drawing out, and counting them over the whole canvas would refuse every draw.io diagram with
 * shadows. What the estimate cannot see (such filters over large areas, a filter used by many
 * elements) is bounded by the deadline of the raster process instead (raster-pool.ts).
 */
export const MAX_FILTER_WORK = 20_000_000;

/**
 * feTurbulence octave n adds noise of amplitude 2^-n: past the tenth it changes no 8-bit pixel
 * (the sanitizer clamps numOctaves to this, and svg-engine.spec.ts proves the pixels equal).
 */
export const MAX_TURBULENCE_OCTAVES = 10;

const FILTER = /<filter\b((?:[^>"']+|"[^"]*"|'[^']*')*)>([\s\S]*?)<\/filter\s*>/gi;
const PRIMITIVE = /<(fe[a-z]+)\b((?:[^>"']+|"[^"]*"|'[^']*')*)>/gi;

function attribute(attributes: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'i').exec(attributes);
  return match ? (match[1] ?? match[2]) : undefined;
}

function numbers(value: string | undefined): number[] {
  return (value ?? '').trim().split(/[\s,]+/).filter(Boolean).map(Number).filter((n) => Number.isFinite(n) && n >= 0);
}

/** Passes per pixel of one primitive that grow with its parameters; 0 for fixed-cost primitives. */
function primitiveWeight(name: string, attributes: string, scale: number): number {
  switch (name.toLowerCase()) {
    case 'feturbulence':
      // One noise evaluation per octave and pixel; numOctaves defaults to 1.
      return Math.max(1, numbers(attribute(attributes, 'numOctaves'))[0] ?? 1);
    case 'feconvolvematrix': {
      const [x = 3, y = x] = numbers(attribute(attributes, 'order'));
      return (x * y) / 9;
    }
    case 'femorphology': {
      // Every pixel of the radius' box is looked at, in device pixels.
      const [rx = 0, ry = rx] = numbers(attribute(attributes, 'radius'));
      return ((2 * rx * scale + 1) * (2 * ry * scale + 1)) / 9;
    }
    default:
      return 0;
  }
}

/**
 * The pixels one filter may cover: its region when given in user space (at most the canvas), else
 * the whole canvas, since its element's bounding box is not known without laying out the drawing.
 */
function regionPixels(attributes: string, canvasWidth: number, canvasHeight: number, scale: number): number {
  if (attribute(attributes, 'filterUnits') === 'userSpaceOnUse') {
    const width = numbers(attribute(attributes, 'width'))[0];
    const height = numbers(attribute(attributes, 'height'))[0];
    if (width !== undefined && height !== undefined) return Math.min(width * scale, canvasWidth) * Math.min(height * scale, canvasHeight);
  }
  return canvasWidth * canvasHeight;
}

/**
 * What is checked before a PNG is drawn, in microseconds and without drawing: its size (each side,
 * and its area), and the filters' work (primitive count, and the estimate above). A drawing over
 * either limit fails with output_too_large, once and at once; everything within them is drawn in a
 * raster process that is killed at the render's deadline (raster-pool.ts).
 */
export function checkRasterLimits(svg: string, width: number, height: number, scale: number): RenderFailure | null {
  const outWidth = width * scale;
  const outHeight = height * scale;
  if (outWidth > MAX_PNG_SIDE || outHeight > MAX_PNG_SIDE) {
    return { code: 'output_too_large', message: `The PNG would be ${outWidth}×${outHeight} px; at most ${MAX_PNG_SIDE} px on a side. Use a smaller scale or the SVG format.` };
  }
  if (outWidth * outHeight > MAX_PNG_PIXELS) {
    return { code: 'output_too_large', message: `The PNG would be ${outWidth}×${outHeight} px, ${Math.round((outWidth * outHeight) / 1e6)} megapixels; at most ${MAX_PNG_PIXELS / 1e6}. Use a smaller scale or the SVG format.` };
  }
  if (!/<filter\b/i.test(svg)) return null;
  let primitives = 0;
  let work = 0;
  for (const filter of svg.matchAll(FILTER)) {
    const region = regionPixels(filter[1], outWidth, outHeight, scale);
    for (const primitive of filter[2].matchAll(PRIMITIVE)) {
      // Light sources and merge nodes are parameters of their parent, not passes of their own.
      if (/^fe(distantlight|pointlight|spotlight|mergenode|func[rgba])$/i.test(primitive[1])) continue;
      primitives++;
      work += region * primitiveWeight(primitive[1], primitive[2], scale);
    }
  }
  if (primitives > MAX_FILTER_PRIMITIVES) {
    return { code: 'output_too_large', message: `The drawing has ${primitives} filter primitives; a PNG may have at most ${MAX_FILTER_PRIMITIVES}. Use the SVG format.` };
  }
  if (work > MAX_FILTER_WORK) {
    return {
      code: 'output_too_large',
      message: `The drawing's filters would take too long to draw at ${outWidth}×${outHeight} px (about ${Math.round(work / 1e6)} million pixel-passes; at most ${MAX_FILTER_WORK / 1e6} million). Use a smaller scale, fewer or cheaper filters, or the SVG format.`,
    };
  }
  return null;
}
