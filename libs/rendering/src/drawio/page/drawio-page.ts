/// <reference lib="dom" />
'use strict';
/**
 * The draw.io page: mxGraph (mxClient) with draw.io's shapes (drawio-shapes.ts) and this module,
 * bundled by esbuild into an IIFE script (drawio-page-script.ts), which defines
 * `window.__flowsmithDrawio.render(model, theme, limit)`.
 *
 * A render decodes the page's `<mxGraphModel>` into a fresh graph, turns every label into plain
 * text, lays it out in an off-screen container and exports it with mxImageExport onto an
 * mxSvgCanvas2D in a separate XML document (so clip paths and gradients are plain `#id`
 * references), with `foEnabled = false`: labels are SVG `<text>`, never `<foreignObject>`.
 */
import type {
  DrawioShapes,
  MxAllowEval,
  MxCell,
  MxCodecClass,
  MxConstants,
  MxGraph,
  MxGraphClass,
  MxGraphModel,
  MxGraphModelClass,
  MxGraphViewClass,
  MxImageExportClass,
  MxPointClass,
  MxRectangle,
  MxRectangleClass,
  MxShapeClass,
  MxStylesheet,
  MxStylesheetClass,
  MxSvgCanvas,
  MxSvgCanvasClass,
  MxText,
  MxTextClass,
  MxUtils,
  Style,
} from './mxgraph-types';
import type { DrawioPageApi, PageTheme } from './page-types';

declare const mxObjectCodec: MxAllowEval;
declare const mxStylesheetCodec: MxAllowEval;
declare const mxStencil: MxAllowEval;
declare const mxGraphView: MxGraphViewClass;
declare const mxGraph: MxGraphClass;
declare const mxText: MxTextClass;
declare const mxShape: MxShapeClass;
declare const mxStylesheet: MxStylesheetClass;
declare const mxSvgCanvas2D: MxSvgCanvasClass;
declare const mxUtils: MxUtils;
declare const mxConstants: MxConstants;
declare const mxRectangle: MxRectangleClass;
declare const mxPoint: MxPointClass;
declare const mxGraphModel: MxGraphModelClass;
declare const mxCodec: MxCodecClass;
declare const mxImageExport: MxImageExportClass;

type Role = 'edge' | 'note' | 'node' | 'group';

const shapes = (window as unknown as { __flowsmithDrawioShapes: DrawioShapes }).__flowsmithDrawioShapes;

// Nothing read from a diagram is ever evaluated as code.
mxObjectCodec.allowEval = false;
mxStylesheetCodec.allowEval = false;
mxStencil.allowEval = false;
mxGraphView.prototype.allowEval = false;
// Labels are plain text (see plainLabels): the live view never puts HTML in the page either.
mxGraph.prototype.isHtmlLabel = () => false;
// No folding icons: they are images.
mxGraph.prototype.foldingEnabled = false;
// draw.io's label metrics (its Graph.js).
mxText.prototype.baseSpacingTop = 5;
mxText.prototype.baseSpacingBottom = 1;

// ---- Colours -----------------------------------------------------------------------------

const probe = document.createElement('canvas').getContext('2d') as CanvasRenderingContext2D;
const hexes = new Map<string, string | null>();
/** Any CSS colour as '#rrggbb', 'none' for a transparent one, or null for what is not a colour. */
const toHex = (value: unknown): string | null => {
  const key = String(value).trim().toLowerCase();
  if (hexes.has(key)) return hexes.get(key) as string | null;
  let result: string | null = null;
  // Only colour syntax reaches the probe: no url(), quotes or other CSS.
  if (key.length <= 64 && /^[#a-z0-9(),.%\s-]+$/.test(key)) {
    probe.fillStyle = '#010203';
    probe.fillStyle = key;
    const out = probe.fillStyle as string;
    if (out !== '#010203' || key === '#010203') {
      const rgba = /^rgba\((\d+), (\d+), (\d+), ([\d.]+)\)$/.exec(out);
      if (!rgba) result = out;
      else if (Number(rgba[4]) === 0) result = 'none';
      else result = '#' + rgba.slice(1, 4).map((v) => Number(v).toString(16).padStart(2, '0')).join('');
    }
  }
  hexes.set(key, result);
  return result;
};

const inversions = new Map<string, string>();
/**
 * draw.io's dark mode for an author's colour: the same hue and saturation with the lightness
 * mirrored (HSL L -> 1 - L), blended 93% of the way as draw.io does, so a pale fill becomes a
 * deep one of the same hue, black text and lines become near-white, and mid tones stay put.
 */
const invertLightness = (hex: string): string => {
  if (inversions.has(hex)) return inversions.get(hex) as string;
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const l = (max + min) / 2;
  const d = max - min;
  let h = 0;
  let s = 0;
  if (d > 0) {
    s = d / (1 - Math.abs(2 * l - 1));
    h = max === r ? ((g - b) / d + 6) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  }
  const l2 = 0.07 * l + 0.93 * (1 - l);
  const c = (1 - Math.abs(2 * l2 - 1)) * s;
  const x = c * (1 - Math.abs((h % 2) - 1));
  const m = l2 - c / 2;
  const rgb = h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x] : h < 4 ? [0, x, c] : h < 5 ? [x, 0, c] : [c, 0, x];
  const result = '#' + rgb.map((v) => Math.round(Math.min(1, Math.max(0, v + m)) * 255).toString(16).padStart(2, '0')).join('');
  inversions.set(hex, result);
  return result;
};

const channel = (c: number): number => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const luminance = (hex: string): number => {
  const [r, g, b] = [1, 3, 5].map((i) => channel(parseInt(hex.slice(i, i + 2), 16) / 255));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const contrast = (a: string, b: string): number => {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
};
const legibles = new Map<string, string>();
/**
 * An author's colour made to stand out from what it is drawn on, by as little as it takes: the
 * same hue, mixed towards black (on a light ground) or white (on a dark one) until it reaches
 * WCAG's ratio (4.5 for text, 3 for lines and outlines). draw.io's own palette draws #82B366
 * green and #D6B656 yellow outlines at 2:1 on white; they come out as deeper greens and yellows.
 */
const legible = (hex: string, ground: string, ratio: number): string => {
  const key = hex + ground + ratio;
  if (legibles.has(key)) return legibles.get(key) as string;
  const towards = luminance(ground) > 0.18 ? 0 : 255;
  const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let result = hex;
  for (let t = 0.04; contrast(result, ground) < ratio && t <= 1.0001; t += 0.04) {
    result = '#' + rgb.map((c) => Math.round(c + (towards - c) * t).toString(16).padStart(2, '0')).join('');
  }
  legibles.set(key, result);
  return result;
};
const isHex = (value: unknown): value is string => typeof value === 'string' && /^#[0-9a-f]{6}$/i.test(value);

// ---- Styles ------------------------------------------------------------------------------

/**
 * draw.io's default stylesheet (its styles/default.xml), with 'default' wherever draw.io puts
 * its own black, white or page colour: the theme decides those (see themedColour).
 */
const NAMED_STYLES: Record<string, Record<string, string>> = {
  text: { fillColor: 'none', gradientColor: 'none', strokeColor: 'none', align: 'left', verticalAlign: 'top' },
  edgeLabel: { extend: 'text', labelBackgroundColor: 'default', fontSize: '11' },
  label: { fontStyle: '1', align: 'left', verticalAlign: 'middle', spacing: '2', spacingLeft: '52', imageWidth: '42', imageHeight: '42', rounded: '1' },
  icon: { extend: 'label', align: 'center', imageAlign: 'center', verticalLabelPosition: 'bottom', verticalAlign: 'top', labelBackgroundColor: 'default', spacing: '0', spacingLeft: '0', spacingTop: '6', fontStyle: '0', imageWidth: '48', imageHeight: '48' },
  swimlane: { shape: 'swimlane', fontSize: '12', fontStyle: '1', startSize: '23' },
  group: { verticalAlign: 'top', fillColor: 'none', strokeColor: 'none', gradientColor: 'none', pointerEvents: '0' },
  ellipse: { shape: 'ellipse', perimeter: 'ellipsePerimeter' },
  rhombus: { shape: 'rhombus', perimeter: 'rhombusPerimeter' },
  triangle: { shape: 'triangle', perimeter: 'trianglePerimeter' },
  line: { shape: 'line', strokeWidth: '4', labelBackgroundColor: 'default', verticalAlign: 'top', spacingTop: '8' },
  image: { shape: 'image', labelBackgroundColor: 'default', verticalAlign: 'top', verticalLabelPosition: 'bottom' },
  roundImage: { extend: 'image', perimeter: 'ellipsePerimeter' },
  rhombusImage: { extend: 'image', perimeter: 'rhombusPerimeter' },
  arrow: { shape: 'arrow', edgeStyle: 'none', fillColor: 'default' },
};
const SWATCHES: Record<string, [string, string, string]> = {
  gray: ['#F5F5F5', '#666666', '#B3B3B3'], blue: ['#DAE8FC', '#6C8EBF', '#7EA6E0'], green: ['#D5E8D4', '#82B366', '#97D077'],
  turquoise: ['#D5E8D4', '#6A9153', '#67AB9F'], yellow: ['#FFF2CC', '#D6B656', '#FFD966'], orange: ['#FFCD28', '#D79B00', '#FFA500'],
  red: ['#F8CECC', '#B85450', '#EA6B66'], pink: ['#E6D0DE', '#996185', '#B5739D'], purple: ['#E1D5E7', '#9673A6', '#8C6C9C'],
};
for (const [name, [fillColor, strokeColor, gradientColor]] of Object.entries(SWATCHES)) {
  NAMED_STYLES[name] = NAMED_STYLES['plain-' + name] = { fillColor, strokeColor, gradientColor };
}

const stylesheets = new Map<string, MxStylesheet>();
const stylesheetFor = (fontFamily: string): MxStylesheet => {
  if (stylesheets.has(fontFamily)) return stylesheets.get(fontFamily) as MxStylesheet;
  const sheet = new mxStylesheet();
  sheet.putDefaultVertexStyle({ shape: 'label', perimeter: 'rectanglePerimeter', fontSize: '12', fontFamily, align: 'center', verticalAlign: 'middle', fillColor: 'default', strokeColor: 'default', fontColor: 'default' });
  sheet.putDefaultEdgeStyle({ shape: 'connector', labelBackgroundColor: 'default', endArrow: 'classic', fontSize: '11', fontFamily, align: 'center', verticalAlign: 'middle', rounded: '1', strokeColor: 'default', fontColor: 'default' });
  const resolve = (name: string): Record<string, string> => {
    const { extend, ...own } = NAMED_STYLES[name];
    return extend ? { ...resolve(extend), ...own } : own;
  };
  for (const name of Object.keys(NAMED_STYLES)) sheet.putCellStyle(name, resolve(name));
  stylesheets.set(fontFamily, sheet);
  return sheet;
};

const ownStyles = new Map<string, Map<string, string>>();
/** The keys a cell's own style string sets (not those of its named styles or the defaults). */
const ownStyle = (style: string | null): Map<string, string> => {
  const key = style || '';
  let own = ownStyles.get(key);
  if (!own) {
    own = new Map();
    for (const entry of key.split(';')) {
      const eq = entry.indexOf('=');
      if (eq > 0) own.set(entry.slice(0, eq), entry.slice(eq + 1));
    }
    ownStyles.set(key, own);
  }
  return own;
};

const COLOUR_KEY = /Color$|^imageBorder$|^imageBackground$/;
const LIGHT_DARK = /^light-dark\(\s*([^,()]+(?:\([^()]*\))?)\s*,\s*([^,()]+(?:\([^()]*\))?)\s*\)$/i;
const SAFE_FONT = /^[^<>(){}\\:;@&]{1,120}$/;
// Set for the length of a render (render, below); mxGraph's patched methods read it.
let theme: PageTheme | null = null;
/** The theme of the render under way: getCellStyle themes styles only then. */
const activeTheme = (): PageTheme => theme as PageTheme;

/** What a cell is, for the palette colours it gets where its author left colours default. */
const roleOf = (graph: MxGraph, cell: MxCell, style: Style): Role => {
  const model = graph.model;
  if (model.isEdge(cell)) return 'edge';
  if (style.shape === 'note' || style.shape === 'note2') return 'note';
  // UML classes, lists, tables and lifelines hold cells but are boxes, not containers.
  if (style.childLayout || style.shape === 'umlLifeline') return 'node';
  if (style.shape === 'swimlane' || style.shape === 'umlFrame' || style.container == '1') return 'group';
  for (let i = 0; i < model.getChildCount(cell); i++) if (model.isVertex(model.getChildAt(cell, i))) return 'group';
  return 'node';
};

const paletteColour = (key: string, role: Role): string => {
  const p = activeTheme().palette;
  switch (key) {
    case 'fillColor': return role === 'note' ? p.noteFill : role === 'group' ? p.groupFill : p.nodeFill;
    case 'strokeColor': return role === 'edge' ? p.line : role === 'note' ? p.noteStroke : p.nodeStroke;
    case 'fontColor': return role === 'note' ? p.noteText : p.text;
    case 'gradientColor': return 'none';
    case 'labelBackgroundColor':
    case 'swimlaneFillColor': return p.background;
    default: return p.nodeStroke;
  }
};

/**
 * The theme rule. Where the author left a colour to draw.io ('default', or no colour at all,
 * which draw.io draws black on white), the theme's palette decides, in every theme. Light themes
 * keep every colour the author chose. Dark themes keep its hue and mirror its lightness
 * (invertLightness), except draw.io's own defaults written out in full (black text and lines,
 * white fills and label backgrounds), which take the palette's colours like 'default' does.
 * light-dark(a, b) picks a or b as written; 'inherit' takes the parent's colour.
 */
const themedColour = (graph: MxGraph, cell: MxCell, key: string, raw: unknown, role: Role): string => {
  let value = String(raw).trim();
  const pair = LIGHT_DARK.exec(value);
  if (pair) value = (activeTheme().dark ? pair[2] : pair[1]).trim();
  if (value === 'inherit') {
    const parent = graph.model.getParent(cell);
    const inherited = parent && graph.model.getParent(parent) ? graph.getCellStyle(parent)[key] : null;
    return inherited || paletteColour(key, role);
  }
  if (value === 'default' || value === '') return paletteColour(key, role);
  if (value.toLowerCase() === 'none') return 'none';
  const hex = toHex(value);
  if (hex === null) return paletteColour(key, role);
  if (hex === 'none' || !activeTheme().dark || pair) return hex;
  if (hex === '#000000' && (key === 'fontColor' || key === 'strokeColor')) return paletteColour(key, role);
  if (hex === '#ffffff' && (key === 'fillColor' || key === 'labelBackgroundColor')) return paletteColour(key, role);
  return invertLightness(hex);
};

/** Themes a resolved cell style in place, and keeps every value that reaches the SVG inert. */
const themeStyle = (graph: MxGraph, cell: MxCell, style: Style): void => {
  (shapes.resolve as (style: Style) => void)(style);
  // Images are never fetched or embedded; image cells draw a placeholder box.
  delete style.image;
  delete style.indicatorImage;
  style.shadow = '0';
  const role = roleOf(graph, cell, style);
  for (const key of Object.keys(style)) {
    if (COLOUR_KEY.test(key)) style[key] = themedColour(graph, cell, key, style[key], role);
  }
  // Lines and outlines stand out 3:1 from the canvas, text 4.5:1 from what it is written on (its
  // shape's fill when the label sits inside a filled shape, else its label background or the canvas).
  // An outline also parts a shape's fill from what lies beside it (a lane's header from its body),
  // so it stands out from a fill on the canvas's side too. A little over the ratios: what a
  // reader sees is antialiased.
  const canvas = activeTheme().palette.background;
  if (isHex(style.strokeColor)) {
    style.strokeColor = legible(style.strokeColor, canvas, 3.1);
    if (isHex(style.fillColor) && (luminance(style.fillColor) > 0.18) === (luminance(canvas) > 0.18)) style.strokeColor = legible(style.strokeColor, style.fillColor, 3.1);
  }
  if (isHex(style.fontColor)) {
    const outside = style.labelPosition === 'left' || style.labelPosition === 'right' || style.verticalLabelPosition === 'top' || style.verticalLabelPosition === 'bottom';
    const ground = isHex(style.labelBackgroundColor) ? style.labelBackgroundColor : !graph.model.isEdge(cell) && !outside && isHex(style.fillColor) ? style.fillColor : canvas;
    style.fontColor = legible(style.fontColor, ground, 4.7);
  }
  const own = ownStyle(cell.style);
  if (own.has('fontFamily')) {
    const font = (own.get('fontFamily') as string).trim();
    style.fontFamily = SAFE_FONT.test(font) ? font + ', ' + activeTheme().palette.fontFamily : activeTheme().palette.fontFamily;
  }
  const size = parseFloat(style.fontSize);
  if (!(size > 0)) delete style.fontSize;
  else if (size > 400) style.fontSize = '400';
  if (style.dashPattern !== undefined && !/^[\d.\s]+$/.test(style.dashPattern)) delete style.dashPattern;
};

const baseCellStyle = mxGraph.prototype.getCellStyle;
mxGraph.prototype.getCellStyle = function (cell: MxCell, ...rest: unknown[]) {
  const style = Object.assign({}, (baseCellStyle as (this: MxGraph, ...args: unknown[]) => Style).call(this, cell, ...rest));
  if (theme && cell) themeStyle(this, cell, style);
  return style;
};

// ---- Labels ------------------------------------------------------------------------------

const BLOCKS = new Set(['ADDRESS', 'ARTICLE', 'BLOCKQUOTE', 'DD', 'DIV', 'DL', 'DT', 'FIGCAPTION', 'FIGURE', 'FOOTER', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'HEADER', 'HR', 'LI', 'OL', 'P', 'PRE', 'SECTION', 'TABLE', 'TR', 'UL']);
const UNSEEN = new Set(['SCRIPT', 'STYLE', 'TEMPLATE', 'NOSCRIPT', 'TITLE', 'HEAD', 'IFRAME', 'OBJECT', 'EMBED', 'SVG', 'MATH', 'CANVAS', 'AUDIO', 'VIDEO', 'SELECT', 'TEXTAREA']);
const htmlParser = new DOMParser();

/**
 * An HTML label as the plain text it shows, line breaks kept (<br>, block elements, and newlines,
 * which draw.io also breaks on). DOMParser's documents are inert: no script runs, nothing loads.
 */
const htmlToText = (html: unknown): string => {
  const lines = [''];
  const breakLine = () => { if (lines[lines.length - 1].trim() !== '') lines.push(''); };
  const walk = (node: Node) => {
    for (const child of node.childNodes) {
      if (child.nodeType === 3) {
        (child as Text).data.split('\n').forEach((part, i) => {
          if (i > 0) lines.push('');
          lines[lines.length - 1] += part.replace(/[ \t\r\f]+/g, ' ');
        });
      } else if (child.nodeType === 1 && !UNSEEN.has((child as Element).tagName)) {
        const element = child as Element;
        if (element.tagName === 'BR') { lines.push(''); continue; }
        const block = BLOCKS.has(element.tagName);
        if (block) breakLine();
        if (element.tagName === 'LI') lines[lines.length - 1] += '\u2022 ';
        walk(element);
        if (block) breakLine();
      }
    }
  };
  walk(htmlParser.parseFromString(String(html), 'text/html').body);
  return lines.map((line) => line.replace(/ {2,}/g, ' ').trim()).join('\n').replace(/^\n+|\n+$/g, '');
};

/** A cell's value when it is an XML element (a cell with data of its own: <object label=...>). */
const elementOf = (data: unknown): Element | null => (data && typeof data === 'object' && (data as Node).nodeType === 1 ? (data as Element) : null);

/** draw.io's %name% placeholders: attributes of the cell's own data, then of its ancestors'. */
const fillPlaceholders = (model: MxGraphModel, cell: MxCell, label: string): string => label.replace(/%([^%\s]{1,100})%/g, (match, name: string) => {
  if (name === 'id') return cell.id;
  for (let current: MxCell | null = cell; current; current = model.getParent(current)) {
    const data = elementOf(current.value);
    if (data && data.hasAttribute(name)) return data.getAttribute(name) as string;
  }
  return match;
});

/** Every label becomes plain text before the graph sees it, so no HTML ever enters the page. */
const plainLabels = (model: MxGraphModel): void => {
  for (const cell of Object.values(model.cells || {})) {
    const data = elementOf(cell.value);
    let label: string;
    if (data) {
      label = data.getAttribute('label') || '';
      if (data.getAttribute('placeholders') === '1') label = fillPlaceholders(model, cell, label);
    } else {
      label = cell.value == null ? '' : String(cell.value);
    }
    cell.value = ownStyle(cell.style).get('html') === '1' ? htmlToText(label) : label;
  }
};

// mxSvgCanvas2D draws plain text on one line per newline; whiteSpace=wrap labels are broken here
// to the label's width, measured with the fonts the rasterizer draws with. As in draw.io's HTML
// labels (word-wrap: normal), lines break between words and CJK characters, never inside a word.
const ruler = document.createElement('canvas').getContext('2d') as CanvasRenderingContext2D;
const WORDS = /[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]\s*|[^\s\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]+\s*|\s+/g;
const useFont = (fontStyle: number, fontSize: number, fontFamily: string): void => {
  ruler.font = ((fontStyle & 2) ? 'italic ' : '') + ((fontStyle & 1) ? 'bold ' : '') + fontSize + 'px ' + fontFamily;
};
const widthOf = (line: string): number => ruler.measureText(line.trimEnd()).width;
/** The lines a label is drawn as, in the ruler's current font; width 0 does not wrap. */
const linesOf = (text: unknown, width: number): string[] => {
  const out: string[] = [];
  for (const line of String(text).split('\n')) {
    if (width <= 0 || widthOf(line) <= width) {
      out.push(line);
      continue;
    }
    let current = '';
    for (const word of line.match(WORDS) || []) {
      if (current.trim() && widthOf(current + word) > width) {
        out.push(current.trimEnd());
        current = word.trimStart();
      } else {
        current += word;
      }
    }
    out.push(current.trimEnd());
  }
  return out;
};
const plainText = mxSvgCanvas2D.prototype.plainText;
mxSvgCanvas2D.prototype.plainText = function (x, y, w, h, str, align, valign, wrapped, overflow, clip, rotation, dir) {
  useFont(this.state.fontStyle, this.state.fontSize, this.state.fontFamily);
  const text = linesOf(str, wrapped ? (w as number) : 0).join('\n');
  return plainText.call(this, x, y, w, h, text, align, valign, wrapped, overflow, clip, rotation, dir);
};

// The live view only lays the graph out; the export paints it, once. Painting shapes into the
// page as well, and measuring each label with getBBox (a forced layout per label), was most of
// a render: labels are measured with the ruler instead, as the box plainText will draw.
mxShape.prototype.redrawShape = function () {
  // nothing: the export paints
};
const shapeBoundingBox = mxShape.prototype.updateBoundingBox;
mxShape.prototype.updateBoundingBox = function () {
  this.useSvgBoundingBox = false; // the live node is empty: measure from the geometry
  shapeBoundingBox.call(this);
};
mxText.prototype.updateBoundingBox = function (this: MxText) {
  this.boundingBox = this.bounds.clone();
  const position = mxUtils.getValue(this.style, mxConstants.STYLE_LABEL_POSITION, mxConstants.ALIGN_CENTER);
  const vertical = mxUtils.getValue(this.style, mxConstants.STYLE_VERTICAL_LABEL_POSITION, mxConstants.ALIGN_MIDDLE);
  if (!this.ignoreStringSize && this.overflow != 'fill' && (!this.clipped || !this.ignoreClippedStringSize || position != mxConstants.ALIGN_CENTER || vertical != mxConstants.ALIGN_MIDDLE)) {
    if (this.value == null || String(this.value).trim() === '') {
      this.boundingBox = null;
      return;
    }
    // Style values may still be strings here ('12'), before mxText.apply parses them.
    const size = parseFloat(this.size as string) || mxConstants.DEFAULT_FONTSIZE;
    useFont(this.fontStyle, size, this.family);
    const lines = linesOf(this.value, this.wrap ? this.bounds.width / this.scale : 0);
    const width = Math.max(...lines.map(widthOf));
    const height = size + (lines.length - 1) * Math.round(size * mxConstants.LINE_HEIGHT);
    this.boundingBox = new mxRectangle(this.bounds.x, this.bounds.y, width * this.scale, height * this.scale);
  }
  const box = this.boundingBox as MxRectangle;
  const rotation = this.getTextRotation();
  if (rotation != 0) {
    const rotated = mxUtils.getBoundingBox(new mxRectangle(this.margin.x * box.width, this.margin.y * box.height, box.width, box.height), rotation, new mxPoint(0, 0));
    this.unrotatedBoundingBox = mxRectangle.fromRectangle(box);
    this.unrotatedBoundingBox.x += this.margin.x * this.unrotatedBoundingBox.width;
    this.unrotatedBoundingBox.y += this.margin.y * this.unrotatedBoundingBox.height;
    box.x += rotated.x;
    box.y += rotated.y;
    box.width = rotated.width;
    box.height = rotated.height;
  } else {
    box.x += this.margin.x * box.width;
    box.y += this.margin.y * box.height;
    this.unrotatedBoundingBox = null;
  }
};

// Label backgrounds, sized with the ruler as well: mxGraph measures a hidden <div> per label
// when drawing outside the page's document. The rectangle is the one mxGraph would draw.
const addTextBackground = mxSvgCanvas2D.prototype.addTextBackground;
mxSvgCanvas2D.prototype.addTextBackground = function (...args: unknown[]) {
  const [node, str, x, y, , , align, valign, overflow] = args as [Element, unknown, number, number, number, number, string, string, string];
  const s = this.state;
  if ((s.fontBackgroundColor == null && s.fontBorderColor == null) || overflow == 'fill' || overflow == 'width') {
    return addTextBackground.apply(this, args);
  }
  useFont(s.fontStyle, s.fontSize, s.fontFamily);
  const lines = String(str).split('\n');
  const width = Math.ceil(Math.max(...lines.map(widthOf)));
  const height = Math.round(lines.length * s.fontSize * mxConstants.LINE_HEIGHT);
  const left = align == mxConstants.ALIGN_CENTER ? x - width / 2 : align == mxConstants.ALIGN_RIGHT ? x - width : x;
  const top = valign == mxConstants.ALIGN_MIDDLE ? y - height / 2 : valign == mxConstants.ALIGN_BOTTOM ? y - height : y;
  const rect = this.createElement('rect');
  rect.setAttribute('fill', s.fontBackgroundColor || 'none');
  rect.setAttribute('stroke', s.fontBorderColor || 'none');
  rect.setAttribute('x', String(Math.floor((left + 1) * s.scale - 1)));
  rect.setAttribute('y', String(Math.floor((top + 2) * s.scale - 1)));
  rect.setAttribute('width', String(Math.ceil(width * s.scale + 2)));
  rect.setAttribute('height', String(Math.ceil((height + 1) * s.scale)));
  rect.setAttribute('stroke-width', String(s.fontBorderColor != null ? Math.max(1, this.format(s.scale)) : 0));
  node.insertBefore(rect, node.firstChild);
};

// ---- Render ------------------------------------------------------------------------------

const MARGIN = 8;

// The drawing's own allowlist, a last line behind the style filtering above: only elements the
// SVG canvas draws, no event handlers, and references only to fragments of this document.
const ELEMENTS = new Set(['defs', 'g', 'path', 'rect', 'ellipse', 'circle', 'line', 'polyline', 'polygon', 'text', 'tspan', 'clipPath', 'linearGradient', 'radialGradient', 'stop']);
const OUTSIDE = /url\(\s*['"]?(?!#)|(?:java|vb)script\s*:|expression\s*\(|@import|-moz-binding|behavior\s*:/i;
const scrub = (element: Element): void => {
  for (const child of [...element.children]) {
    if (!ELEMENTS.has(child.localName)) {
      child.remove();
      continue;
    }
    for (const { name, value } of [...child.attributes]) {
      if (/^on/i.test(name) || (/href$/i.test(name) && !/^#[\w.:-]*$/.test(value)) || OUTSIDE.test(value)) child.removeAttribute(name);
    }
    scrub(child);
  }
};

const exportSvg = (graph: MxGraph, bounds: MxRectangle, pageBackground: string | null): { svg: string; viewBox: [number, number, number, number] } => {
  const width = Math.ceil(bounds.width + 2 * MARGIN);
  const height = Math.ceil(bounds.height + 2 * MARGIN);
  const doc = document.implementation.createDocument(mxConstants.NS_SVG, 'svg', null);
  const svg = doc.documentElement;
  svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  const canvas: MxSvgCanvas = new mxSvgCanvas2D(svg, false);
  canvas.foEnabled = false;
  if (pageBackground) {
    canvas.setFillColor(pageBackground);
    canvas.rect(0, 0, width, height);
    canvas.fill();
  }
  canvas.translate(MARGIN - bounds.x, MARGIN - bounds.y);
  new mxImageExport().drawState(graph.getView().getState(graph.model.root), canvas);
  scrub(svg);
  return { svg: new XMLSerializer().serializeToString(svg), viewBox: [0, 0, width, height] };
};

const api: DrawioPageApi = {
  /**
   * theme: { dark, palette } (themePalette's fields); limit: the largest width or height drawn.
   * Returns { ok: true, svg, viewBox } or { ok: false, message } for a page that cannot be drawn.
   */
  render(xml, themeSpec, limit) {
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    if (doc.getElementsByTagName('parsererror').length > 0) return { ok: false, message: 'The draw.io model is not well-formed XML.' };
    theme = themeSpec;
    shapes.canvasBackground = theme.palette.background;
    shapes.placeholderColor = theme.palette.nodeStroke;
    const container = document.createElement('div');
    container.style.cssText = 'position:absolute;left:0;top:0;width:1px;height:1px;overflow:hidden;visibility:hidden';
    let graph: MxGraph | null = null;
    try {
      const model = new mxGraphModel();
      new mxCodec(doc).decode(doc.documentElement, model);
      plainLabels(model);
      document.body.appendChild(container);
      graph = new mxGraph(container, model, null, stylesheetFor(theme.palette.fontFamily));
      graph.setEnabled(false);
      const bounds = graph.getGraphBounds();
      if (!(bounds.width <= limit && bounds.height <= limit)) {
        return { ok: false, message: 'The page draws ' + Math.round(bounds.width) + ' × ' + Math.round(bounds.height) + ' units, larger than the ' + limit + ' × ' + limit + ' this renderer draws.' };
      }
      const background = theme.dark ? null : toHex(doc.documentElement.getAttribute('background') || 'none');
      return { ok: true, ...exportSvg(graph, bounds, background && background !== 'none' && background !== '#ffffff' ? background : null) };
    } catch (error) {
      return { ok: false, message: 'The draw.io page could not be drawn: ' + String((error && (error as { message?: unknown }).message) || error).slice(0, 300) };
    } finally {
      if (graph) graph.destroy();
      container.remove();
      ownStyles.clear();
      theme = null;
    }
  },
};

(window as unknown as { __flowsmithDrawio: DrawioPageApi }).__flowsmithDrawio = api;
