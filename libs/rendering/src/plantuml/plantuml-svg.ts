import { cleanCss, RASTER_DATA_URI } from '../svg/sanitize-svg';
import type { FramedSource } from './plantuml-source';

/**
 * PlantUML's SVG without what no diagram needs: comments (they repeat element names), processing
 * instructions, script and style sheets (PlantUML writes them only for `!pragma svginteractive`,
 * which the source check refuses) and links (kept as plain groups). Raster sprites (C4's person)
 * stay: they are embedded pictures, which the shared SVG step keeps.
 */
export function cleanPlantumlSvg(svg: string): string {
  return svg
    .replace(/<\?[\s\S]*?\?>/g, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<a\b[^>]*>/gi, '<g>')
    .replace(/<\/a\s*>/gi, '</g>');
}

/** The elements PlantUML 1.2025.8 draws with (links are groups by now, see cleanPlantumlSvg). */
const PLANTUML_ELEMENTS = new Set(
  ['svg', 'g', 'defs', 'title', 'desc', 'rect', 'path', 'text', 'tspan', 'line', 'polygon', 'polyline', 'ellipse', 'circle', 'image', 'use', 'symbol', 'clipPath',
   'filter', 'feGaussianBlur', 'feColorMatrix', 'feOffset', 'feBlend', 'feFlood', 'feComposite', 'feMerge', 'feMergeNode', 'linearGradient', 'radialGradient', 'stop'].map((name) => name.toLowerCase()),
);
/** One start or end tag whose attributes are all quoted: nothing else may follow a `<`. */
const TAG = /<(\/?)([A-Za-z][\w.-]*(?::[A-Za-z][\w.-]*)?)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y;
const ATTRIBUTE = /([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
/** Entity references other than these five could spell `javascript:` or `url(` past the checks below. */
const OTHER_ENTITY = /&(?!(?:amp|lt|gt|quot|apos);)/;
const SCRIPT_URL = /(?:java|vb)script\s*:|data\s*:\s*text\/html/i;

/**
 * True when PlantUML's SVG holds nothing but drawing: known elements, quoted attributes, no event
 * handler, no reference or CSS url() that leaves the document (embedded raster pictures aside),
 * no comment, CDATA or processing instruction left. Such an SVG needs no sanitizing pass (an svgo
 * parse and print, 2-27 ms per diagram here); any other goes through sanitizeSvg as before. Either
 * way the renderer's assertSafeSvg checks the result.
 */
export function isPlainPlantumlSvg(svg: string): boolean {
  let at = svg.indexOf('<');
  while (at >= 0) {
    TAG.lastIndex = at;
    const tag = TAG.exec(svg);
    if (!tag) return false;
    const name = tag[2].slice(tag[2].indexOf(':') + 1).toLowerCase();
    if (!PLANTUML_ELEMENTS.has(name)) return false;
    if (!tag[1]) {
      for (const [, attribute, double, single] of tag[3].matchAll(ATTRIBUTE)) {
        const value = double ?? single ?? '';
        const key = attribute.slice(attribute.indexOf(':') + 1).toLowerCase();
        if (key.startsWith('on') || OTHER_ENTITY.test(value) || SCRIPT_URL.test(value)) return false;
        if (key === 'href' && !/^#[\w.:-]*$/.test(value) && !(name === 'image' && RASTER_DATA_URI.test(value))) return false;
        if (/url\(\s*["']?(?!#)/i.test(value) || (key === 'style' && cleanCss(value) !== value)) return false;
      }
    }
    at = svg.indexOf('<', TAG.lastIndex);
  }
  return true;
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * A few kinds (math, creole) ignore themes and draw dark ink for white paper. On a dark theme they
 * keep the light background PlantUML meant for them, painted in, so they stay legible.
 */
export function keepLightBackground(svg: string, viewBox: [number, number, number, number]): string {
  const root = /<svg\b[^>]*>/.exec(svg);
  const background = root && /background:\s*(#[0-9a-f]{6})\b/i.exec(root[0])?.[1];
  if (!root || !background || luminance(background) < 0.5) return svg;
  const [x, y, width, height] = viewBox;
  const end = root.index + root[0].length;
  return `${svg.slice(0, end)}<rect x="${x}" y="${y}" width="${width}" height="${height}" fill="${background}"/>${svg.slice(end)}`;
}

/** [minX, minY, width, height] from the root element. */
export function plantumlViewBox(svg: string): [number, number, number, number] | null {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const values = /\sviewBox="([^"]*)"/.exec(root)?.[1].trim().split(/[\s,]+/).map(Number);
  return values?.length === 4 && values.every(Number.isFinite) ? (values as [number, number, number, number]) : null;
}

const has = (body: readonly string[], pattern: RegExp) => body.some((line) => pattern.test(line.trim()));

/**
 * PlantUML draws use-case, component and deployment diagrams (and C4, from the standard library)
 * as one kind, DESCRIPTION; the source tells them apart.
 */
function descriptionType(body: readonly string[]): string {
  if (has(body, /^!include\w*\s*<C4\//i)) return 'c4';
  if (has(body, /^usecase\b/i) || has(body, /(^|[-.>]\s*)\([^()]+\)/)) return 'usecase';
  if (has(body, /^(node|artifact|device)\b/i)) return 'deployment';
  return 'component';
}

/** Object diagrams come out as CLASS. */
function classType(body: readonly string[]): string {
  const objects = has(body, /^(object|map)\b/i);
  const classes = has(body, /^(class|abstract|interface|enum|annotation|entity|exception|struct|record|protocol|metaclass|stereotype|dataclass)\b/i);
  return objects && !classes ? 'object' : 'class';
}

/** `plantuml:<kind>` from the root's data-diagram-type (which PlantUML sets for nearly every kind), else the @start word. */
export function plantumlDiagramType(svg: string, framed: FramedSource): string {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const type = /\sdata-diagram-type="([A-Z_]+)"/.exec(root)?.[1];
  if (!type) return `plantuml:${framed.kind}`;
  if (type === 'DESCRIPTION') return `plantuml:${descriptionType(framed.body)}`;
  if (type === 'CLASS') return `plantuml:${classType(framed.body)}`;
  if (type === 'CHEN_EER') return 'plantuml:chen';
  return `plantuml:${type.toLowerCase()}`;
}
