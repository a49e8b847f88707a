/**
 * What mxGraph 4.2.2 (mxClient, loaded as a classic script before the page's modules) exposes on
 * window, as far as the draw.io page uses it: narrow interfaces, no more. Each page module declares
 * the globals it uses (`declare const mxGraph: MxGraphClass;` and so on) with these types.
 */

/** A cell style, resolved: style keys to their values (strings as written in the style). */
export type Style = Record<string, string>;

/** A method that mxGraph calls with arguments of its own; patched ones hand them all on. */
export type Method<This, Args extends unknown[] = unknown[], Result = unknown> = (this: This, ...args: Args) => Result;

export interface MxPoint {
  x: number;
  y: number;
  clone(): MxPoint;
}

export interface MxPointClass {
  new (x?: number, y?: number): MxPoint;
}

export interface MxRectangle extends MxPoint {
  width: number;
  height: number;
  clone(): MxRectangle;
  getCenterX(): number;
  getCenterY(): number;
}

export interface MxRectangleClass {
  new (x?: number, y?: number, width?: number, height?: number): MxRectangle;
  fromRectangle(rect: MxRectangle): MxRectangle;
}

/** mxAbstractCanvas2D as the shapes draw on it. */
export interface MxCanvas {
  begin(): void;
  close(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  quadTo(x1: number, y1: number, x2: number, y2: number): void;
  curveTo(x1: number, y1: number, x2: number, y2: number, x3: number, y3: number): void;
  arcTo(rx: number, ry: number, angle: number, largeArcFlag: number, sweepFlag: number, x: number, y: number): void;
  rect(x: number, y: number, w: number, h: number): void;
  ellipse(x: number, y: number, w: number, h: number): void;
  image(x: number, y: number, w: number, h: number, ...rest: unknown[]): void;
  fill(): void;
  stroke(): void;
  fillAndStroke(): void;
  translate(dx: number, dy: number): void;
  save(): void;
  restore(): void;
  setShadow(enabled: boolean): void;
  setDashed(dashed: boolean): void;
  setFillColor(color: string | null): void;
  setStrokeColor(color: string): void;
  setStrokeWidth(width: number): void;
}

export interface MxSvgCanvasState {
  scale: number;
  fontStyle: number;
  fontSize: number;
  fontFamily: string;
  fontBackgroundColor: string | null;
  fontBorderColor: string | null;
}

/** mxSvgCanvas2D: the export canvas. */
export interface MxSvgCanvas extends MxCanvas {
  state: MxSvgCanvasState;
  foEnabled: boolean;
  createElement(name: string): Element;
  format(value: number): number;
  plainText: Method<MxSvgCanvas, unknown[], unknown>;
  addTextBackground: Method<MxSvgCanvas, unknown[], unknown>;
}

export interface MxSvgCanvasClass {
  new (root: Element, styleEnabled: boolean): MxSvgCanvas;
  prototype: MxSvgCanvas;
}

export interface MxCell {
  id: string;
  value: unknown;
  style: string | null;
  geometry: MxRectangle | null;
}

export interface MxGraphModel {
  root: MxCell;
  cells: Record<string, MxCell> | null;
  isEdge(cell: MxCell): boolean;
  isVertex(cell: MxCell): boolean;
  getParent(cell: MxCell): MxCell | null;
  getChildCount(cell: MxCell): number;
  getChildAt(cell: MxCell, index: number): MxCell;
  getChildCells(parent: MxCell, vertices?: boolean, edges?: boolean): MxCell[];
}

export interface MxGraphModelClass {
  new (): MxGraphModel;
}

export interface MxCellState extends MxRectangle {
  cell: MxCell;
  style: Style;
  view: MxGraphView;
}

export interface MxGraphView {
  scale: number;
  graph: MxGraph;
  getState(cell: MxCell): MxCellState;
}

export interface MxGraphViewClass {
  prototype: MxGraphView & { allowEval: boolean };
}

export interface MxCellRenderer {
  getShape(name: string): MxShapeClass | null;
}

export interface MxStylesheet {
  putDefaultVertexStyle(style: Record<string, string>): void;
  putDefaultEdgeStyle(style: Record<string, string>): void;
  putCellStyle(name: string, style: Record<string, string>): void;
}

export interface MxStylesheetClass {
  new (): MxStylesheet;
}

export interface MxGraph {
  model: MxGraphModel;
  cellRenderer: MxCellRenderer;
  isHtmlLabel(cell: MxCell): boolean;
  foldingEnabled: boolean;
  getCellStyle(cell: MxCell): Style;
  setEnabled(enabled: boolean): void;
  getGraphBounds(): MxRectangle;
  getView(): MxGraphView;
  destroy(): void;
}

export interface MxGraphClass {
  new (container: HTMLElement, model: MxGraphModel, renderHint: null, stylesheet: MxStylesheet): MxGraph;
  prototype: MxGraph;
}

/** mxShape and its subclasses, with the fields and methods the shapes use. */
export interface MxShape {
  style: Style;
  scale: number;
  fill: string;
  strokewidth: number;
  isRounded: boolean;
  state: MxCellState | null;
  bounds: MxRectangle;
  boundingBox: MxRectangle | null;
  useSvgBoundingBox: boolean;
  addPoints(c: MxCanvas, pts: MxPoint[], rounded: boolean, arcSize: number, close: boolean, exclude?: number[]): void;
  getTitleSize(): number;
  apply(state: MxCellState): void;
  getLabelBounds(rect: MxRectangle): MxRectangle;
  paintVertexShape(c: MxCanvas, x: number, y: number, w: number, h: number): void;
  paintBackground(c: MxCanvas, x: number, y: number, w: number, h: number): void;
  paintForeground(c: MxCanvas, x: number, y: number, w: number, h: number, ...rest: unknown[]): void;
  redrawShape(): void;
  updateBoundingBox(): void;
}

export interface MxShapeClass {
  new (): MxShape;
  prototype: MxShape;
  call(self: unknown): void;
}

/** mxText: a label's shape. */
export interface MxText extends MxShape {
  value: unknown;
  size: string | number;
  family: string;
  fontStyle: number;
  wrap: boolean;
  clipped: boolean;
  overflow: string;
  ignoreStringSize: boolean;
  ignoreClippedStringSize: boolean;
  margin: MxPoint;
  unrotatedBoundingBox: MxRectangle | null;
  baseSpacingTop: number;
  baseSpacingBottom: number;
  getTextRotation(): number;
}

export interface MxTextClass {
  prototype: MxText;
}

export interface MxCellRendererClass {
  defaultShapes: Record<string, MxShapeClass>;
  registerShape(name: string, shape: MxShapeClass): void;
}

export interface MxUtils {
  extend(ctor: unknown, superCtor: unknown): void;
  getValue(style: unknown, key: string, defaultValue?: unknown): unknown;
  getBoundingBox(rect: MxRectangle, rotation: number, center: MxPoint): MxRectangle;
  intersection(x0: number, y0: number, x1: number, y1: number, x2: number, y2: number, x3: number, y3: number): MxPoint | null;
}

export interface MxConstants {
  [name: string]: string | number;
  NONE: string;
  NS_SVG: string;
  ALIGN_CENTER: string;
  ALIGN_MIDDLE: string;
  ALIGN_RIGHT: string;
  ALIGN_BOTTOM: string;
  STYLE_SHAPE: string;
  STYLE_DIRECTION: string;
  STYLE_STROKEWIDTH: string;
  STYLE_LABEL_POSITION: string;
  STYLE_VERTICAL_LABEL_POSITION: string;
  STYLE_SWIMLANE_FILLCOLOR: string;
  LINE_ARCSIZE: number;
  RECTANGLE_ROUNDING_FACTOR: number;
  DEFAULT_FONTSIZE: number;
  LINE_HEIGHT: number;
}

/** A perimeter: where an edge from `next` meets the vertex drawn in `bounds`. */
export type Perimeter = (bounds: MxRectangle, vertex: MxCellState | null, next: MxPoint | null, orthogonal?: boolean) => MxPoint | null;

export interface MxPerimeter {
  RectanglePerimeter(bounds: MxRectangle, vertex: MxCellState | null, next: MxPoint | null, orthogonal?: boolean): MxPoint;
}

export interface MxStyleRegistry {
  putValue(name: string, value: unknown): void;
}

/** A marker's factory: it may move `pe` (the line's end) and returns the function that paints the marker. */
export type MarkerFactory = (
  c: MxCanvas,
  shape: MxShape,
  type: string,
  pe: MxPoint,
  unitX: number,
  unitY: number,
  size: number,
  source: boolean,
  sw: number,
  filled: boolean,
) => () => void;

export interface MxMarker {
  addMarker(name: string, factory: MarkerFactory): void;
}

export interface MxCodecClass {
  new (document: Document): { decode(node: Element, into: unknown): unknown };
}

export interface MxImageExportClass {
  new (): { drawState(state: MxCellState, canvas: MxCanvas): void };
}

/** Codecs and stencils that could evaluate code read from a diagram (switched off by the page). */
export interface MxAllowEval {
  allowEval: boolean;
}

/** What draw.io's shapes (drawio-shapes.ts) share with the page, on `window.__flowsmithDrawioShapes`. */
export interface DrawioShapes {
  canvasBackground: string;
  placeholderColor: string;
  /** Rewrites a resolved cell style in place so that its shape is one this page can draw. */
  resolve?: (style: Style) => void;
}
