/// <reference lib="dom" />
/**
 * The mermaid page's own script: runs after mermaid (its patched bundle, page-script.ts) and
 * DOMPurify are loaded, bundled by esbuild into an IIFE script (mermaid-page-script.ts) that the
 * engine evaluates in the page. It defines `window.__flowsmith` with `render` and `parse`, and
 * `globalThis.__fsLabelTags`, which the patched bundle calls.
 *
 * DOMPurify (SVG profile) removes scripts, event handlers and foreign content; its hooks also strip
 * every reference that would leave the document: `href`s that are not in-page fragments, CSS
 * `@import` and `url(...)` that is not a fragment.
 */

import { SUSPICIOUS } from './suspicious';

// ---- What mermaid's and DOMPurify's bundles expose, as far as this page uses them ------------

/** Theme variables as mermaid computes them (and as a configuration gives them). */
interface ThemeVariables {
  [name: string]: unknown;
  fontFamily?: string;
  fontSize?: string | number;
  textColor?: string;
  primaryTextColor?: string;
  noteTextColor?: string;
  gridColor?: string;
  wardley?: { componentLabelColor?: string; gridColor?: string };
}

/** A render's mermaid configuration (mermaid-engine.ts, mermaidConfig): only these keys are read here. */
interface MermaidConfig {
  [key: string]: unknown;
  fontFamily?: string;
  themeVariables?: ThemeVariables;
}

declare const mermaid: {
  initialize(config: MermaidConfig): void;
  parse(source: string): Promise<{ diagramType: string }>;
  render(id: string, source: string): Promise<{ svg: string; diagramType: string }>;
  mermaidAPI: { getConfig(): { themeVariables?: ThemeVariables } };
};

declare const DOMPurify: {
  addHook(hook: 'uponSanitizeElement', callback: (node: Node, data: { tagName: string }) => void): void;
  addHook(hook: 'afterSanitizeAttributes', callback: (node: Element) => void): void;
  sanitize(dirty: string, config: Record<string, unknown>): string;
};

/** What mermaid's parsers throw: jison's errors carry the position in `hash.loc`. */
interface ParseError {
  message?: unknown;
  hash?: { loc?: { first_line: number; first_column?: number } };
}

/** A word of a label as createText splits it. */
interface LabelWord {
  content: string;
  type: string;
}

interface PageFailure {
  ok: false;
  message: string;
  line?: number;
  column?: number;
}

// ---- The page --------------------------------------------------------------------------------

const cleanCss = (css: unknown): string => String(css)
  .replace(/@import[^;]*;?/gi, '')
  .replace(/url\(\s*(['"]?)(?!#)[^)]*\)/gi, 'none')
  .replace(/expression\s*\(/gi, '(')
  .replace(/javascript\s*:/gi, '')
  .replace(/-moz-binding|behavior\s*:/gi, '');
DOMPurify.addHook('uponSanitizeElement', (node, data) => {
  if (data.tagName === 'style') node.textContent = cleanCss(node.textContent);
});
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  for (const name of ['href', 'xlink:href']) {
    const value = node.getAttribute(name);
    if (value !== null && !/^#[\w.:-]*$/.test(value.trim())) node.removeAttribute(name);
  }
  if (node.hasAttribute('style')) node.setAttribute('style', cleanCss(node.getAttribute('style')));
});
const PURIFY = {
  USE_PROFILES: { svg: true, svgFilters: true },
  ADD_TAGS: ['style'],
  FORBID_TAGS: ['script', 'foreignObject', 'iframe', 'object', 'embed', 'image', 'animate', 'set', 'animateTransform', 'animateMotion'],
  FORBID_ATTR: ['onload', 'onerror', 'onclick', 'onmouseover', 'onbegin', 'onend', 'formaction'],
  ALLOW_UNKNOWN_PROTOCOLS: false,
};

const position = (thrown: unknown): { line: number | undefined; column: number | undefined } => {
  const error = thrown as ParseError | null | undefined;
  const loc = error && error.hash && error.hash.loc;
  if (loc) return { line: loc.first_line, column: (loc.first_column || 0) + 1 };
  const text = String((error && error.message) || error);
  const line = /line[\s:]*(\d+)/i.exec(text);
  const column = /col(?:umn)?[\s:]*(\d+)/i.exec(text);
  return { line: line ? Number(line[1]) : undefined, column: column ? Number(column[1]) : undefined };
};
const failure = (thrown: unknown): PageFailure => {
  const error = thrown as ParseError | null | undefined;
  return { ok: false, message: String((error && error.message) || error).slice(0, 2000), ...position(error) };
};

let sequence = 0;
const cleanup = (): void => {
  for (const node of document.querySelectorAll('body > :not(#keep)')) node.remove();
};

// initialize() rebuilds mermaid's whole configuration; skip it when the config is unchanged.
let lastConfig = '';
const configure = (config: MermaidConfig): void => {
  const key = JSON.stringify(config);
  if (key !== lastConfig) {
    mermaid.initialize(config);
    lastConfig = key;
  }
};
const viewBoxOf = (svg: string): number[] | null => {
  const root = /<svg\b[^>]*>/i.exec(svg);
  const match = root && /\sviewBox\s*=\s*"([^"]*)"/i.exec(root[0]);
  const box = match ? match[1].trim().split(/[\s,]+/).map(Number) : [];
  return box.length === 4 && box.every(Number.isFinite) ? box : null;
};

// Label markup. Mermaid draws labels as SVG text (htmlLabels: false), where <b>, <i> and their
// kin would show as literal tags. Only these four tags are read, as word styles; every word stays
// text (d3's .text() below, escaped text nodes here), so no markup of the source reaches the SVG.
// Attributes (what DOMPurify left of them) are dropped with the tag.
const STYLE_TAG = /^<\s*(\/?)\s*(b|strong|i|em)(?:\s[^>]*)?>$/i;
// createText's words (patched into mermaid, page-script.ts "createText tags"): a tag word sets
// the style of the words after it, up to its closing tag or the end of the label. Bold and
// italic together draw bold (mermaid's words have one style each).
(globalThis as unknown as { __fsLabelTags: (lines: LabelWord[][]) => LabelWord[][] }).__fsLabelTags = (lines) => {
  if (!lines.some((line) => line.some((word) => STYLE_TAG.test(word.content)))) return lines;
  let bold = 0;
  let italic = 0;
  return lines.map((line) => line.flatMap((word) => {
    const tag = STYLE_TAG.exec(word.content);
    if (tag) {
      const step = tag[1] ? -1 : 1;
      if (/^(b|strong)$/i.test(tag[2])) bold = Math.max(0, bold + step);
      else italic = Math.max(0, italic + step);
      return [];
    }
    if (word.type !== 'normal' || (!bold && !italic)) return [word];
    return [{ ...word, type: bold ? 'strong' : 'em' }];
  }));
};
// Text that other renderers (sequence messages and notes, ...) wrote as it was: within one text
// node, the words between a tag and its closing tag become a bold or italic tspan.
const ESCAPED_TAG = /&lt;\s*(\/?)\s*(b|strong|i|em)\s*&gt;/gi;
const styledRuns = (text: string): string => {
  let bold = 0;
  let italic = 0;
  let out = '';
  let last = 0;
  const flush = (end: number) => {
    const run = text.slice(last, end);
    if (!run) return;
    if (!bold && !italic) out += run;
    else out += '<tspan' + (bold ? ' font-weight="bold"' : '') + (italic ? ' font-style="italic"' : '') + '>' + run + '</tspan>';
  };
  for (const tag of text.matchAll(ESCAPED_TAG)) {
    flush(tag.index);
    const step = tag[1] ? -1 : 1;
    if (/^(b|strong)$/i.test(tag[2])) bold = Math.max(0, bold + step);
    else italic = Math.max(0, italic + step);
    last = tag.index + tag[0].length;
  }
  flush(text.length);
  return out;
};
const TEXT_WITH_TAGS = /(<(?:text|tspan)\b[^>]*>)([^<]*&lt;\s*\/?\s*(?:b|strong|i|em)\s*&gt;[^<]*)/gi;

// A few renderers write their text as HTML in a <foreignObject> whatever htmlLabels says
// (eventmodeling's boxes, venn's text nodes). The sanitizer removes foreignObject (many SVG
// viewers do not draw it), so those words become SVG text, centred in the object's box and wrapped to its
// width. Parsed inert (DOMParser), measured on a canvas in the diagram's font.
const SVG_NS = 'http://www.w3.org/2000/svg';
const measure = document.createElement('canvas').getContext('2d') as CanvasRenderingContext2D;
const luminance = (colour: string | null | undefined): number | null => {
  if (/^white$/i.test(colour || '')) return 1;
  if (/^black$/i.test(colour || '')) return 0;
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(colour || '');
  const rgb = /^rgba?\(\s*(\d+)[\s,]+(\d+)[\s,]+(\d+)/i.exec(colour || '');
  let channels: number[] | null = null;
  if (hex) channels = ((hex[1].length === 3 ? [...hex[1]].map((c) => c + c) : hex[1].match(/../g)) as string[]).map((c) => parseInt(c, 16));
  else if (rgb) channels = rgb.slice(1, 4).map(Number);
  if (!channels) return null;
  const [r, g, b] = channels.map((c) => { const v = c / 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const foreignObjectsToText = (svg: string, config: MermaidConfig): string => {
  // The HTML parser: the HTML inside may not be well-formed XML (<br>). Its document is inert.
  const doc = new DOMParser().parseFromString(svg, 'text/html');
  const root = doc.querySelector('svg');
  if (!root) return svg;
  const variables: ThemeVariables = config.themeVariables || {};
  const fontFamily = config.fontFamily || variables.fontFamily || 'sans-serif';
  const textColour = variables.textColor || variables.primaryTextColor || '#333333';
  for (const object of [...doc.getElementsByTagNameNS(SVG_NS, 'foreignObject')]) {
    const [x, y, width, height] = ['x', 'y', 'width', 'height'].map((name) => parseFloat(object.getAttribute(name) as string) || 0);
    const styled = [...object.querySelectorAll('[style]')].find((element) => /(?:^|;)\s*color:/.test(element.getAttribute('style') as string));
    const fontSize = parseFloat((/font-size:\s*([\d.]+)px/.exec(object.innerHTML) || [])[1] as string) || parseFloat(variables.fontSize as string) || 16;
    measure.font = fontSize + 'px ' + fontFamily;
    // Its words, line by line: <br> and block elements end a line.
    const paragraphs = [''];
    const walk = (node: Node) => {
      for (const child of node.childNodes) {
        if (child.nodeType === 3) paragraphs[paragraphs.length - 1] += child.nodeValue;
        else if (child.nodeType === 1) {
          const name = (child as Element).localName.toLowerCase();
          if (name === 'br') paragraphs.push('');
          else {
            const block = /^(div|p|li|h\d)$/.test(name) && paragraphs[paragraphs.length - 1].trim() !== '';
            if (block) paragraphs.push('');
            walk(child);
          }
        }
      }
    };
    walk(object);
    const lines: string[] = [];
    for (const paragraph of paragraphs) {
      let line = '';
      for (const word of paragraph.split(/\s+/).filter(Boolean)) {
        const next = line ? line + ' ' + word : word;
        if (line && width > 0 && measure.measureText(next).width > width) {
          lines.push(line);
          line = word;
        } else line = next;
      }
      if (line) lines.push(line);
    }
    const text = doc.createElementNS(SVG_NS, 'text');
    if (lines.length) {
      let fill = styled ? (/(?:^|;)\s*color:\s*([^;]+)/.exec(styled.getAttribute('style') as string) as RegExpExecArray)[1].trim() : null;
      if (!fill) {
        let box = object.previousElementSibling;
        while (box && box.localName !== 'rect') box = box.previousElementSibling;
        const under = box ? luminance(box.getAttribute('fill')) : null;
        fill = under === null ? textColour : under > 0.18 ? '#1f2328' : '#ffffff';
      }
      const lineHeight = fontSize * 1.2;
      const centreX = x + width / 2;
      text.setAttribute('class', 'fs-foreign-text');
      text.setAttribute('text-anchor', 'middle');
      text.setAttribute('font-size', String(fontSize));
      text.setAttribute('fill', fill);
      text.setAttribute('x', String(centreX));
      text.setAttribute('y', String(y + height / 2 - ((lines.length - 1) * lineHeight) / 2 + fontSize * 0.35));
      lines.forEach((line, index) => {
        const span = doc.createElementNS(SVG_NS, 'tspan');
        span.setAttribute('x', String(centreX));
        if (index) span.setAttribute('dy', String(lineHeight));
        span.textContent = line;
        text.appendChild(span);
      });
    }
    object.replaceWith(text);
  }
  return new XMLSerializer().serializeToString(root);
};

// Fixes of single diagram types' drawings, on the SVG string mermaid returns. Colours come from
// mermaid's configuration as the render left it (theme variables computed, a diagram's own
// directives applied), else from the configuration passed in.
const themeVariables = (config: MermaidConfig): ThemeVariables => {
  let current: ThemeVariables | null | undefined = null;
  try {
    current = mermaid.mermaidAPI.getConfig().themeVariables;
  } catch {
    current = null;
  }
  return current || config.themeVariables || {};
};
// Wardley (mermaid 12.4.0): the renderer empties the SVG it is given, the diagram's style sheet
// with it, so no themeCSS reaches the drawing, and writes two colours of its own: anchor labels
// in #000 and the evolution stages' boundaries in #000. They take the colours mermaid's Wardley
// theme variables give its component labels and its grid.
const ANCHOR_LABEL = /(<g class="wardley-node wardley-node--anchor">(?:(?!<\/g>)[\s\S])*?<text\b[^>]*?class="wardley-node-label") fill="#000"/g;
const STAGES = /<g class="wardley-stages">(?:(?!<\/g>)[\s\S])*<\/g>/;
const finishWardley = (svg: string, config: MermaidConfig): string => {
  const variables = themeVariables(config);
  const wardley = variables.wardley || {};
  const label = wardley.componentLabelColor || variables.primaryTextColor;
  const grid = wardley.gridColor || variables.gridColor;
  let out = svg;
  if (label) out = out.replace(ANCHOR_LABEL, (_, head: string) => head + ' fill="' + label + '"');
  if (grid) out = out.replace(STAGES, (group) => group.replace(/(<line\b[^>]*?) stroke="#000"/g, (__, line: string) => line + ' stroke="' + grid + '"'));
  return out;
};
// Sankey: mermaid draws the node labels before the links, which then cover them (half
// transparent, multiplied). The labels go last, over the links; the themes give them a halo in
// the canvas colour (themes.ts) so they read on whatever link lies beneath.
const NODE_LABELS = /<g class="node-labels"[^>]*>(?:(?!<\/?g\b)[\s\S])*<\/g>/;
const finishSankey = (svg: string): string => {
  const labels = NODE_LABELS.exec(svg);
  const end = svg.lastIndexOf('</svg>');
  if (!labels || end < labels.index) return svg;
  const rest = svg.slice(0, labels.index) + svg.slice(labels.index + labels[0].length);
  const close = rest.lastIndexOf('</svg>');
  return rest.slice(0, close) + labels[0] + rest.slice(close);
};
const finishDrawing = (svg: string, diagramType: string, config: MermaidConfig): string => {
  if (diagramType === 'wardley' || diagramType === 'wardley-beta') return finishWardley(svg, config);
  if (diagramType === 'sankey') return finishSankey(svg);
  return svg;
};

// A drawing mermaid gave no viewBox (info sizes its SVG by CSS alone: width 100%, max-width):
// its numeric width and height if it has both, else the box of what it draws, measured in the
// page with the diagram's own style sheet, padded as mermaid pads its diagrams.
const PADDING = 8;
const measuredBox = (svg: string): number[] | null => {
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  const root = doc.documentElement;
  if (!root || root.localName !== 'svg' || doc.getElementsByTagName('parsererror').length) return null;
  const [width, height] = ['width', 'height'].map((name) => /^\s*([\d.]+)\s*(px)?\s*$/.exec(root.getAttribute(name) || ''));
  if (width && height && Number(width[1]) > 0 && Number(height[1]) > 0) return [0, 0, Number(width[1]), Number(height[1])];
  const live = document.importNode(root, true) as unknown as SVGSVGElement;
  document.body.appendChild(live);
  try {
    const box = live.getBBox();
    if (!(box.width > 0 && box.height > 0)) return null;
    const x = Math.floor(box.x - PADDING);
    const y = Math.floor(box.y - PADDING);
    return [x, y, Math.ceil(box.x + box.width + PADDING) - x, Math.ceil(box.y + box.height + PADDING) - y];
  } finally {
    live.remove();
  }
};

const finishLabels = (svg: string, config: MermaidConfig): string => {
  let out = svg.includes('<foreignObject') ? foreignObjectsToText(svg, config) : svg;
  if (/&lt;\s*\/?\s*(?:b|strong|i|em)\s*&gt;/i.test(out)) out = out.replace(TEXT_WITH_TAGS, (_, open: string, text: string) => open + styledRuns(text));
  return out;
};

const api = {
  async parse(source: string, config: MermaidConfig) {
    configure(config);
    try {
      const result = await mermaid.parse(source);
      return { ok: true, diagramType: result.diagramType };
    } catch (error) {
      return failure(error);
    }
  },
  // withMermaidSvg: also return mermaid's own SVG, before finishDrawing and finishLabels (for the spec that
  // compares patched and stock mermaid).
  async render(source: string, config: MermaidConfig, withMermaidSvg?: boolean) {
    configure(config);
    const id = 'fs' + (++sequence);
    try {
      const { svg: drawn, diagramType } = await mermaid.render(id, source);
      const svg = finishLabels(finishDrawing(drawn, diagramType, config), config);
      const clean = SUSPICIOUS.test(svg) ? DOMPurify.sanitize(svg, PURIFY) : svg;
      return { ok: true, svg: clean, diagramType, viewBox: viewBoxOf(clean) || measuredBox(clean), ...(withMermaidSvg ? { mermaidSvg: drawn } : {}) };
    } catch (error) {
      return failure(error);
    } finally {
      cleanup();
    }
  },
};

(window as unknown as { __flowsmith: typeof api }).__flowsmith = api;
