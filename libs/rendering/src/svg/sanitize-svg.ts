import { CustomPlugin, optimize, PluginConfig, XastElement, XastParent } from 'svgo';
import { positionOf } from '../source-position';

/**
 * Every SVG element that draws, and nothing that runs, embeds a document or fetches: no script,
 * foreignObject, iframe/object/embed, no animation (SMIL can rewrite an href into javascript:).
 * Names are compared in lower case. `a` is kept as a plain group (its link is dropped).
 */
const ALLOWED_ELEMENTS = new Set(
  [
    'svg', 'g', 'defs', 'symbol', 'use', 'switch', 'path', 'rect', 'circle', 'ellipse', 'line', 'polyline', 'polygon',
    'text', 'tspan', 'textPath', 'title', 'desc', 'style', 'image', 'a',
    'linearGradient', 'radialGradient', 'stop', 'pattern', 'clipPath', 'mask', 'marker',
    'filter', 'feBlend', 'feColorMatrix', 'feComponentTransfer', 'feFuncA', 'feFuncR', 'feFuncG', 'feFuncB', 'feComposite',
    'feConvolveMatrix', 'feDiffuseLighting', 'feDisplacementMap', 'feDistantLight', 'feDropShadow', 'feFlood',
    'feGaussianBlur', 'feMerge', 'feMergeNode', 'feMorphology', 'feOffset', 'fePointLight', 'feSpecularLighting',
    'feSpotLight', 'feTile', 'feTurbulence',
  ].map((name) => name.toLowerCase()),
);

/** Pictures embedded in the file itself are kept; an image from anywhere else is not. */
export const RASTER_DATA_URI = /^data:image\/(png|jpe?g|gif|webp);base64,[a-z0-9+/=\s]*$/i;
/**
 * Script URLs as browsers read them: tabs, newlines and control characters inside a scheme are
 * ignored (`java\tscript:`), so values are matched with those removed (squeeze).
 */
const SCRIPT_URL = /(?:java|vb)script:/i;
/** A data: URL that is not a picture, at the start of any attribute's value. */
const NON_RASTER_DATA = /^data:(?!image\/(png|jpe?g|gif|webp);base64,)/i;
// eslint-disable-next-line no-control-regex -- control characters are what browsers skip inside a URL scheme
const squeeze = (text: string) => text.replace(/[\s\u0000-\u001f\u007f-\u009f\u00a0\u200b-\u200d\u2028\u2029\ufeff]/g, '');
/** CSS that fetches without url(): image-set(), its -webkit- form, and src(). */
const CSS_IMAGE_SET = /(?:-webkit-)?image-set\s*\((?:[^()]|\([^()]*\))*\)|(^|[^-\w])src\s*\((?:[^()]|\([^()]*\))*\)/gi;
const EXTERNAL_CSS_URL = /url\(\s*(['"]?)(?!#)[^)]*\)/gi;

/** CSS escapes as the CSS tokenizer reads them: `@\69mport` is `@import` and `u\72l(` is `url(`. */
const decodeCssEscapes = (css: string) =>
  css.replace(/\\([0-9a-f]{1,6})\s?|\\([^\n0-9a-f])/gi, (_, hex: string | undefined, char: string | undefined) => {
    if (hex === undefined) return char ?? '';
    const code = parseInt(hex, 16);
    return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : '\uFFFD';
  });

export function cleanCss(css: string): string {
  // Escapes could spell @import or url( past the patterns below, so CSS that has any is cleaned in its decoded form.
  return (css.includes('\\') ? decodeCssEscapes(css) : css)
    .replace(/@import[^;]*;?/gi, '')
    .replace(EXTERNAL_CSS_URL, 'none')
    .replace(CSS_IMAGE_SET, '$1none')
    .replace(/expression\s*\(/gi, '(')
    .replace(/(?:j[\s\\]*a[\s\\]*v[\s\\]*a|v[\s\\]*b)[\s\\]*s[\s\\]*c[\s\\]*r[\s\\]*i[\s\\]*p[\s\\]*t[\s\\]*:/gi, '')
    .replace(/(?:-moz-binding|behavior)\s*:[^;}]*;?/gi, '');
}

/** The root element's sizing attributes, as the source gave them. */
export interface SvgRootSize {
  width?: string;
  height?: string;
  viewBox?: string;
  preserveAspectRatio?: string;
}

export interface SanitizedSvg {
  svg: string;
  root: SvgRootSize;
  /** What was removed, for logs and tests: element names and attribute kinds. */
  removed: string[];
}

export class SvgSourceError extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'SvgSourceError';
  }
}

const localName = (name: string) => name.slice(name.indexOf(':') + 1).toLowerCase();

function detach(node: XastElement, parent: XastParent): void {
  parent.children = parent.children.filter((child) => child !== node);
  node.children = [];
}

function sanitizePlugin(report: { root: SvgRootSize; removed: string[]; sawRoot: boolean }): CustomPlugin {
  return {
    name: 'flowsmithSanitize',
    fn: () => ({
      element: {
        enter(node, parent) {
          const name = localName(node.name);
          if (parent.type === 'root') {
            if (name !== 'svg') throw new SvgSourceError(`The source is not an SVG document: its root element is <${node.name}>.`);
            report.sawRoot = true;
            report.root = { width: node.attributes.width, height: node.attributes.height, viewBox: node.attributes.viewBox, preserveAspectRatio: node.attributes.preserveAspectRatio };
          }
          if (!ALLOWED_ELEMENTS.has(name)) {
            report.removed.push(`<${node.name}>`);
            detach(node, parent);
            return;
          }
          if (name === 'a') node.name = 'g';
          for (const [attribute, value] of Object.entries(node.attributes)) {
            const key = localName(attribute);
            let keep = true;
            if (key.startsWith('on')) keep = false;
            else if (key === 'href') keep = value.trim().startsWith('#') ? /^#[\w.:-]*$/.test(value.trim()) : name === 'image' && RASTER_DATA_URI.test(value.trim());
            else if (SCRIPT_URL.test(squeeze(value)) || NON_RASTER_DATA.test(squeeze(value)) || /data\s*:\s*text\/html/i.test(value)) keep = false;
            else if (key === 'style') node.attributes[attribute] = cleanCss(value);
            else if (/url\(/i.test(value)) node.attributes[attribute] = value.replace(EXTERNAL_CSS_URL, 'none');
            if (!keep) {
              report.removed.push(`${attribute}=`);
              delete node.attributes[attribute];
            }
          }
          // An image without a picture of its own draws nothing.
          if (name === 'image' && !Object.keys(node.attributes).some((attribute) => localName(attribute) === 'href')) {
            report.removed.push('<image>');
            detach(node, parent);
            return;
          }
          if (name === 'style') {
            for (const child of node.children) if (child.type === 'text' || child.type === 'cdata') child.value = cleanCss(child.value);
          }
        },
      },
    }),
  };
}

/** Optimisations that keep every id, class and text (styles and `use` may point at them). */
const OPTIMISE: PluginConfig[] = [
  {
    name: 'preset-default',
    params: { overrides: { cleanupIds: false, removeUnknownsAndDefaults: { keepDataAttrs: false, keepRoleAttr: true, keepAriaAttrs: true }, inlineStyles: false, removeHiddenElems: false, convertShapeToPath: false, mergePaths: false } },
  },
];
/** For engines' own output: only strip what is not drawing (the drawing is already lean). */
const TIDY: PluginConfig[] = ['removeDoctype', 'removeXMLProcInst', 'removeComments', 'removeMetadata', 'removeEditorsNSData'];

const MAX_SOURCE_BYTES = 2 * 1024 * 1024;

/**
 * The SVG step of every engine but mermaid (whose page sanitizes with DOMPurify): parses the SVG
 * with svgo, removes everything that could run or fetch (an allowlist of elements; no event
 * handlers, no links or CSS that leave the document), and optionally optimises it. Entity
 * declarations are refused outright: svgo's parser would expand them (billion laughs).
 */
export function sanitizeSvg(source: string, options: { optimise: boolean }): SanitizedSvg {
  if (Buffer.byteLength(source) > MAX_SOURCE_BYTES) throw new SvgSourceError(`The SVG is larger than ${MAX_SOURCE_BYTES / 1024 / 1024} MB.`);
  const entity = /<!ENTITY/i.exec(source);
  if (entity) {
    const { line, column } = positionOf(source, entity.index);
    throw new SvgSourceError('The SVG declares XML entities, which are not allowed (they can expand without bound).', line, column);
  }
  const report = { root: {} as SvgRootSize, removed: [] as string[], sawRoot: false };
  const run = (plugins: PluginConfig[]) => {
    report.removed = [];
    return optimize(source, { multipass: false, plugins: [sanitizePlugin(report), ...plugins] }).data;
  };
  let svg: string;
  try {
    try {
      svg = run(options.optimise ? OPTIMISE : TIDY);
    } catch (error) {
      // An optimisation that trips over odd CSS must not lose the drawing: sanitize without it.
      if (!options.optimise || error instanceof SvgSourceError || (error as Error).name === 'SvgoParserError') throw error;
      svg = run(TIDY);
    }
  } catch (error) {
    if (error instanceof SvgSourceError) throw error;
    const parserError = error as { name?: string; reason?: string; line?: number; column?: number; message: string };
    if (parserError.name === 'SvgoParserError') {
      const where = parserError.line ? ` (line ${parserError.line}, column ${parserError.column})` : '';
      throw new SvgSourceError(`The source is not well-formed XML${where}: ${parserError.reason ?? parserError.message}`, parserError.line, parserError.column);
    }
    throw error;
  }
  if (!report.sawRoot) throw new SvgSourceError('The source holds no <svg> element.');
  return { svg, root: report.root, removed: report.removed };
}

