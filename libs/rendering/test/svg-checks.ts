import { XMLParser, XMLValidator } from 'fast-xml-parser';
import sharp from 'sharp';
import type { ThemeId } from '@flowsmith/contracts';
import { isSafeSvg, MAX_PNG_PIXELS, Renderer, THEME_DEFINITIONS } from '../src';

/** A picture embedded in the SVG itself: the one kind of <image> allowed out. */
const RASTER = /^data:image\/(png|jpe?g|gif|webp);base64,/i;

/**
 * What is wrong with a finished SVG in `theme`, as a list (empty when nothing is): well-formed
 * XML, safe (isSafeSvg and structuralFindings), no foreignObject, and on a dark theme the canvas
 * of the theme's background. The quality gate checks every corpus SVG in every theme with it.
 */
export function finishedSvgProblems(svg: string, theme: ThemeId): string[] {
  const found: string[] = [];
  if (XMLValidator.validate(svg) !== true) found.push('not well-formed XML');
  if (!isSafeSvg(svg)) found.push('not safe (isSafeSvg)');
  found.push(...structuralFindings(svg));
  if (svg.includes('<foreignObject')) found.push('a foreignObject');
  if (THEME_DEFINITIONS[theme].tone === 'dark' && !svg.includes(`fill="${THEME_DEFINITIONS[theme].background}"`)) found.push("no canvas of the theme's background");
  return found;
}

/** Pixels that differ between two same-size RGB images by more than `tolerance` (summed over channels). */
export async function differingPixels(a: Buffer, b: Buffer, tolerance = 60): Promise<number> {
  const [x, y] = await Promise.all([a, b].map((png) => sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true })));
  expect([x.info.width, x.info.height]).toEqual([y.info.width, y.info.height]);
  let count = 0;
  for (let i = 0; i < x.data.length; i += 3) {
    if (Math.abs(x.data[i] - y.data[i]) + Math.abs(x.data[i + 1] - y.data[i + 1]) + Math.abs(x.data[i + 2] - y.data[i + 2]) > tolerance) count++;
  }
  return count;
}

/**
 * The same SVG drawn by the Renderer's raster processes (as a PNG render is), e.g. without its text:
 * what a PNG is compared with to show that its labels are drawn.
 */
export async function drawnByRenderer(renderer: Renderer, svg: string, width: number, height: number, scale: number, background: string): Promise<Buffer> {
  const drawn = await renderer.raster.draw({ svg, width, height, format: 'png', scale, background, limitInputPixels: MAX_PNG_PIXELS }, Date.now() + 30_000);
  if (!drawn.ok) throw new Error(drawn.error.message);
  return drawn.data;
}

/**
 * Walks the parsed SVG: no element that can run or embed, no event handler attribute, no reference
 * or CSS that leaves the document. Text is only text: an escaped "<img onerror>" label is harmless.
 */
export function structuralFindings(svg: string): string[] {
  const tree = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', preserveOrder: true, trimValues: false }).parse(svg);
  const findings: string[] = [];
  const visit = (nodes: any[]) => {
    for (const node of nodes) {
      const isImage = 'image' in node;
      for (const [key, value] of Object.entries(node)) {
        if (key === ':@') {
          for (const [attribute, v] of Object.entries(value as Record<string, string>)) {
            const name = attribute.slice(1);
            if (/^on/i.test(name)) findings.push(`handler ${name}`);
            if (/href$/i.test(name) && !String(v).startsWith('#') && !(isImage && RASTER.test(String(v)))) findings.push(`href ${v}`);
            if (/javascript:|url\(\s*['"]?(?!#)/i.test(String(v))) findings.push(`${name}=${v}`);
          }
        } else if (key === '#text') {
          continue;
        } else {
          if (/^(script|foreignObject|iframe|object|embed|animate|set)$/i.test(key)) findings.push(`element ${key}`);
          if (key === 'image' && !Object.entries(node[':@'] ?? {}).some(([attribute, v]) => /href$/.test(attribute) && RASTER.test(String(v)))) findings.push('element image');
          if (key === 'style') {
            const css = JSON.stringify(value);
            if (/@import|url\(\s*['"]?(?!#)|attacker/i.test(css)) findings.push('style sheet reaches out');
          }
          if (Array.isArray(value)) visit(value);
        }
      }
    }
  };
  visit(tree);
  return findings;
}

/** The SVG with every text element removed: what a PNG without labels would look like. */
export const withoutText = (svg: string) => svg.replace(/<text\b[\s\S]*?<\/text>/g, '');
