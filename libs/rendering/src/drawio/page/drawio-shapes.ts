/// <reference lib="dom" />
'use strict';
/**
 * draw.io's own shapes, perimeters and edge markers that mxGraph 4.2.2's core lacks, rewritten
 * for the export canvas after draw.io's Shapes.js and mxER.js (Apache-2.0, same geometry and style
 * keys: `size`, `fixedSize`, `arcSize`, `tabWidth`, ...), plus aliases from draw.io's flowchart
 * stencils (`shape=mxgraph.flowchart.*`) to the closest of them. Any other shape name falls back
 * to mxGraph's rectangle. Runs in the page after mxClient, bundled by esbuild into its own IIFE
 * script (drawio-page-script.ts); exposes `window.__flowsmithDrawioShapes`.
 *
 * Supported: cylinder3 (cylinder2), datastore, process (process2), document, note (note2),
 * parallelogram, trapezoid, step, card, callout, hexagon, umlActor, umlLifeline, umlFrame,
 * umlBoundary, umlEntity, umlControl, umlDestroy, folder, tape, cube, internalStorage,
 * manualInput, manualOperation, delay, display, offPageConnector, loopLimit, dataStorage, or,
 * xor, sortShape, collate, partialRectangle (tableRow), table, module, component, message,
 * singleArrow, doubleArrow, plus, cross, corner, tee, lineEllipse, orEllipse, sumEllipse,
 * startState, endState, curlyBracket, annotation, associativeEntity, flexArrow (as mxGraph's
 * arrow connector), image (a placeholder box: images are never fetched); mxGraph's own
 * rectangle, ellipse, doubleEllipse, rhombus, triangle, hexagon, cloud, actor, cylinder, line,
 * arrow, swimlane, label and connector; and draw.io's flowchart stencils, mapped in FLOWCHART below. Markers: ERone, ERmandOne, ERmany, ERoneToMany,
 * ERzeroToMany, ERzeroToOne, dash, cross, circle, circlePlus, halfCircle, box, async, openAsync.
 */
import type {
  DrawioShapes,
  MarkerFactory,
  MxCanvas,
  MxCell,
  MxCellRendererClass,
  MxCellState,
  MxConstants,
  MxMarker,
  MxPerimeter,
  MxPoint,
  MxPointClass,
  MxRectangle,
  MxRectangleClass,
  MxShape,
  MxShapeClass,
  MxStyleRegistry,
  MxSvgCanvasClass,
  MxUtils,
  Perimeter,
  Style,
} from './mxgraph-types';

declare const mxConstants: MxConstants;
declare const mxUtils: MxUtils;
declare const mxCellRenderer: MxCellRendererClass;
declare const mxPoint: MxPointClass;
declare const mxRectangle: MxRectangleClass;
declare const mxShape: MxShapeClass;
declare const mxActor: MxShapeClass;
declare const mxCylinder: MxShapeClass;
declare const mxRectangleShape: MxShapeClass;
declare const mxSwimlane: MxShapeClass;
declare const mxEllipse: MxShapeClass;
declare const mxArrowConnector: MxShapeClass;
declare const mxSvgCanvas2D: MxSvgCanvasClass;
declare const mxPerimeter: MxPerimeter;
declare const mxStyleRegistry: MxStyleRegistry;
declare const mxMarker: MxMarker;

/** A shape's drawing, in its own box: the canvas, its size, and its style. */
type Draw = (this: MxShape, c: MxCanvas, w: number, h: number, s: Style) => void;
/** Strokes drawn over a shape, in the page's coordinates. */
type Decorate = (this: MxShape, c: MxCanvas, x: number, y: number, w: number, h: number, s: Style) => void;
type Polygon = (w: number, h: number, s: Style | null) => Array<[number, number]>;
/** Methods a shape class adds to or overrides on its base. */
type Members = Record<string, unknown> & ThisType<MxShape>;

const shapes: DrawioShapes = { canvasBackground: '#ffffff', placeholderColor: '#888888' };
(window as unknown as { __flowsmithDrawioShapes: DrawioShapes }).__flowsmithDrawioShapes = shapes;

const num = (style: Style | null | undefined, key: string, fallback: number): number => {
  const value = parseFloat((style && style[key]) as string);
  return Number.isFinite(value) ? value : fallback;
};
const clamp = (value: number, low: number, high: number): number => Math.max(low, Math.min(high, value));
const arcOf = (style: Style): number => num(style, 'arcSize', mxConstants.LINE_ARCSIZE) / 2;
// draw.io's convention: 'size' is a fraction of the extent, or absolute with fixedSize=1.
const sizeOf = (style: Style | null, extent: number, fraction: number, fixed: number, max = 1): number =>
  style && style.fixedSize == '1' ? clamp(num(style, 'size', fixed), 0, extent * max) : extent * clamp(num(style, 'size', fraction), 0, max);
const register = (name: string, base: MxShapeClass, members: Members): MxShapeClass => {
  function Shape(this: MxShape) { base.call(this); }
  mxUtils.extend(Shape, base);
  Object.assign(Shape.prototype, members);
  mxCellRenderer.registerShape(name, Shape as unknown as MxShapeClass);
  return Shape as unknown as MxShapeClass;
};

// Polygons in the shape's own box, shared by the shapes and their perimeters.
const POLYGONS: Record<string, Polygon> = {
  parallelogram: (w, h, s) => { const d = sizeOf(s, w, 0.2, 20); return [[0, h], [d, 0], [w, 0], [w - d, h]]; },
  trapezoid: (w, h, s) => { const d = sizeOf(s, w, 0.2, 20, 0.5); return [[0, h], [d, 0], [w - d, 0], [w, h]]; },
  step: (w, h, s) => { const d = sizeOf(s, w, 0.2, 20); return [[0, 0], [w - d, 0], [w, h / 2], [w - d, h], [0, h], [d, h / 2]]; },
  hexagon: (w, h, s) => { const d = sizeOf(s, w, 0.25, 20, 0.5); return [[d, 0], [w - d, 0], [w, h / 2], [w - d, h], [d, h], [0, h / 2]]; },
  card: (w, h, s) => { const d = clamp(num(s, 'size', 30), 0, Math.min(w, h)); return [[d, 0], [w, 0], [w, h], [0, h], [0, d]]; },
  manualInput: (w, h, s) => { const d = Math.min(h, num(s, 'size', 30)); return [[0, h], [0, d], [w, 0], [w, h]]; },
  manualOperation: (w, h) => [[0, 0], [w, 0], [w * 0.9, h], [w * 0.1, h]],
  loopLimit: (w, h, s) => { const d = Math.min(w / 2, h, num(s, 'size', 20)); return [[d, 0], [w - d, 0], [w, d * 0.8], [w, h], [0, h], [0, d * 0.8]]; },
  offPageConnector: (w, h, s) => { const d = h * clamp(num(s, 'size', 3 / 8), 0, 1); return [[0, 0], [w, 0], [w, h - d], [w / 2, h], [0, h - d]]; },
  triangleUp: (w, h) => [[w / 2, 0], [w, h], [0, h]],
  triangleDown: (w, h) => [[0, 0], [w, 0], [w / 2, h]],
  corner: (w, h, s) => { const dx = clamp(num(s, 'dx', 20), 0, w); const dy = clamp(num(s, 'dy', 20), 0, h); return [[0, 0], [w, 0], [w, dy], [dx, dy], [dx, h], [0, h]]; },
  tee: (w, h, s) => {
    const dx = clamp(num(s, 'dx', 20), 0, w);
    const dy = clamp(num(s, 'dy', 20), 0, h);
    return [[0, 0], [w, 0], [w, dy], [(w + dx) / 2, dy], [(w + dx) / 2, h], [(w - dx) / 2, h], [(w - dx) / 2, dy], [0, dy]];
  },
  singleArrow: (w, h, s) => {
    const aw = h * clamp(num(s, 'arrowWidth', 0.3), 0, 1);
    const as = w * clamp(num(s, 'arrowSize', 0.2), 0, 1);
    const top = (h - aw) / 2;
    return [[0, top], [w - as, top], [w - as, 0], [w, h / 2], [w - as, h], [w - as, top + aw], [0, top + aw]];
  },
  doubleArrow: (w, h, s) => {
    const aw = h * clamp(num(s, 'arrowWidth', 0.3), 0, 1);
    const as = w * clamp(num(s, 'arrowSize', 0.2), 0, 1);
    const top = (h - aw) / 2;
    return [[0, h / 2], [as, 0], [as, top], [w - as, top], [w - as, 0], [w, h / 2], [w - as, h], [w - as, top + aw], [as, top + aw], [as, h]];
  },
  cross: (w, h, s) => {
    const m = Math.min(w, h);
    const d = clamp(m * num(s, 'size', 0.2), 0, m);
    const [t, b, l, r] = [(h - d) / 2, (h + d) / 2, (w - d) / 2, (w + d) / 2];
    return [[0, t], [l, t], [l, 0], [r, 0], [r, t], [w, t], [w, b], [r, b], [r, h], [l, h], [l, b], [0, b]];
  },
};
for (const name of Object.keys(POLYGONS)) {
  register(name, mxActor, {
    isRoundable: () => true,
    redrawPath(this: MxShape, c: MxCanvas, x: number, y: number, w: number, h: number) {
      this.addPoints(c, POLYGONS[name](w, h, this.style).map(([px, py]) => new mxPoint(px, py)), this.isRounded, arcOf(this.style), true);
    },
  });
}

// Shapes drawn as an outline (filled and stroked) plus strokes over it, like mxCylinder.
const composite = (name: string, outline: Draw | null, details: Draw | null, members: Members = {}) => register(name, mxCylinder, {
  redrawPath(this: MxShape, c: MxCanvas, x: number, y: number, w: number, h: number, foreground: boolean) {
    const draw = foreground ? details : outline;
    if (draw) draw.call(this, c, w, h, this.style);
  },
  ...members,
});
const boundedLabel = (margins: (this: MxShape, rect: MxRectangle) => MxRectangle) => function (this: MxShape, rect: MxRectangle): MxRectangle | null {
  return mxUtils.getValue(this.style, 'boundedLbl', false) ? margins.call(this, rect) : null;
};

const lidOf = (style: Style, h: number): number => Math.max(0, Math.min(h * 0.5, num(style, 'size', 15)));
composite('cylinder3', function (c, w, h, s) {
  const d = lidOf(s, h);
  c.moveTo(0, d);
  c.arcTo(w * 0.5, d, 0, 0, 1, w * 0.5, 0);
  c.arcTo(w * 0.5, d, 0, 0, 1, w, d);
  c.lineTo(w, h - d);
  c.arcTo(w * 0.5, d, 0, 0, 1, w * 0.5, h);
  c.arcTo(w * 0.5, d, 0, 0, 1, 0, h - d);
  c.close();
}, function (c, w, h, s) {
  const d = lidOf(s, h);
  c.moveTo(w, d);
  c.arcTo(w * 0.5, d, 0, 0, 1, w * 0.5, 2 * d);
  c.arcTo(w * 0.5, d, 0, 0, 1, 0, d);
}, {
  getLabelMargins: boundedLabel(function (rect) {
    const d = num(this.style, 'size', 15);
    return new mxRectangle(0, Math.min(rect.height * this.scale, d * 2 * this.scale), 0, Math.max(0, d * 0.3 * this.scale));
  }),
});
mxCellRenderer.registerShape('cylinder2', mxCellRenderer.defaultShapes.cylinder3);

composite('datastore', function (c, w, h) {
  const d = Math.min(h / 2, Math.round(h / 8) + this.strokewidth - 1);
  c.moveTo(0, d);
  c.curveTo(0, -d / 3, w, -d / 3, w, d);
  c.lineTo(w, h - d);
  c.curveTo(w, h + d / 3, 0, h + d / 3, 0, h - d);
  c.close();
}, function (c, w, h) {
  const d = Math.min(h / 2, Math.round(h / 8) + this.strokewidth - 1);
  for (const offset of [0, d / 2, d]) {
    c.moveTo(0, d + offset);
    c.curveTo(0, 2 * d + offset, w, 2 * d + offset, w, d + offset);
  }
});

const foldOf = (style: Style, w: number, h: number): number => clamp(num(style, 'size', 30), 0, Math.min(w, h));
composite('note', function (c, w, h, s) {
  const d = foldOf(s, w, h);
  c.moveTo(0, 0); c.lineTo(w - d, 0); c.lineTo(w, d); c.lineTo(w, h); c.lineTo(0, h); c.close();
}, function (c, w, h, s) {
  const d = foldOf(s, w, h);
  c.moveTo(w - d, 0); c.lineTo(w - d, d); c.lineTo(w, d);
});
mxCellRenderer.registerShape('note2', mxCellRenderer.defaultShapes.note);

composite('cube', function (c, w, h, s) {
  const d = foldOf(s, w, h) * 2 / 3;
  c.moveTo(0, 0); c.lineTo(w - d, 0); c.lineTo(w, d); c.lineTo(w, h); c.lineTo(d, h); c.lineTo(0, h - d); c.close();
}, function (c, w, h, s) {
  const d = foldOf(s, w, h) * 2 / 3;
  c.moveTo(d, h); c.lineTo(d, d); c.lineTo(0, 0); c.moveTo(d, d); c.lineTo(w, d);
});

const waveOf = (style: Style, h: number, fallback: number): number => h * clamp(num(style, 'size', fallback), 0, 1);
composite('document', function (c, w, h, s) {
  const d = waveOf(s, h, 0.3);
  c.moveTo(0, 0); c.lineTo(w, 0); c.lineTo(w, h - d / 2);
  c.quadTo(w * 3 / 4, h - d * 1.4, w / 2, h - d / 2);
  c.quadTo(w / 4, h - d * (1 - 1.4), 0, h - d / 2);
  c.close();
}, null, {
  getLabelMargins: boundedLabel(function (rect) { return new mxRectangle(0, 0, 0, num(this.style, 'size', 0.3) * rect.height); }),
});

composite('tape', function (c, w, h, s) {
  const d = waveOf(s, h, 0.4);
  c.moveTo(0, d / 2);
  c.quadTo(w / 4, d * 1.4, w / 2, d / 2);
  c.quadTo(w * 3 / 4, d * (1 - 1.4), w, d / 2);
  c.lineTo(w, h - d / 2);
  c.quadTo(w * 3 / 4, h - d * 1.4, w / 2, h - d / 2);
  c.quadTo(w / 4, h - d * (1 - 1.4), 0, h - d / 2);
  c.close();
}, null);

composite('folder', function (c, w, h, s) {
  const tw = clamp(num(s, 'tabWidth', 60), 0, w);
  const th = clamp(num(s, 'tabHeight', 20), 0, h);
  const left = mxUtils.getValue(s, 'tabPosition', 'right') === 'left';
  const x0 = left ? 0 : w - tw;
  c.moveTo(x0, th); c.lineTo(x0, 0); c.lineTo(x0 + tw, 0); c.lineTo(x0 + tw, th);
  c.moveTo(0, th); c.lineTo(w, th); c.lineTo(w, h); c.lineTo(0, h); c.close();
}, null);

composite('delay', function (c, w, h) {
  const d = Math.min(w, h / 2);
  c.moveTo(0, 0); c.lineTo(w - d, 0); c.quadTo(w, 0, w, h / 2); c.quadTo(w, h, w - d, h); c.lineTo(0, h); c.close();
}, null);

composite('display', function (c, w, h, s) {
  const d = Math.min(w, h / 2);
  const t = Math.min(w - d, Math.max(0, num(s, 'size', 0.25)) * w);
  c.moveTo(0, h / 2); c.lineTo(t, 0); c.lineTo(w - d, 0); c.quadTo(w, 0, w, h / 2); c.quadTo(w, h, w - d, h); c.lineTo(t, h); c.close();
}, null);

composite('dataStorage', function (c, w, h, s) {
  const d = sizeOf(s, w, 0.1, 20);
  c.moveTo(d, 0); c.lineTo(w, 0); c.quadTo(w - d * 2, h / 2, w, h); c.lineTo(d, h); c.quadTo(-d, h / 2, d, 0); c.close();
}, null);

composite('or', function (c, w, h) {
  c.moveTo(0, 0); c.quadTo(w, 0, w, h / 2); c.quadTo(w, h, 0, h); c.close();
}, null);
composite('xor', function (c, w, h) {
  c.moveTo(0, 0); c.quadTo(w, 0, w, h / 2); c.quadTo(w, h, 0, h); c.quadTo(w / 2, h / 2, 0, 0); c.close();
}, null);

composite('sortShape', function (c, w, h) {
  c.moveTo(w / 2, 0); c.lineTo(w, h / 2); c.lineTo(w / 2, h); c.lineTo(0, h / 2); c.close();
}, function (c, w, h) {
  c.moveTo(0, h / 2); c.lineTo(w, h / 2);
});
composite('collate', function (c, w, h) {
  c.moveTo(0, 0); c.lineTo(w, 0); c.lineTo(w / 2, h / 2); c.close();
  c.moveTo(0, h); c.lineTo(w / 2, h / 2); c.lineTo(w, h); c.close();
}, null);

// UML module and component: a box with two jetties on its left side.
type Jetty = (w: number, h: number, s: Style) => { x0: number; x1: number; dy: number; ys: number[] };
const jetty = (width: number, height: number, rows: (h: number, dy: number) => number[]): Jetty => (w, h, s) => {
  const dx = num(s, 'jettyWidth', width);
  const dy = num(s, 'jettyHeight', height);
  return { x0: dx / 2, x1: dx, dy, ys: rows(h, dy) };
};
for (const [name, geometry] of [
  ['module', jetty(20, 10, (h, dy) => { const y0 = Math.min(dy, h - dy); return [y0, Math.min(y0 + 2 * dy, h - dy)]; })],
  ['component', jetty(32, 12, (h, dy) => [0.3 * h - dy / 2, 0.7 * h - dy / 2])],
] as Array<[string, Jetty]>) {
  composite(name, function (c, w, h, s) {
    const { x0, dy, ys: [y0, y1] } = geometry(w, h, s);
    c.moveTo(x0, 0); c.lineTo(w, 0); c.lineTo(w, h); c.lineTo(x0, h);
    c.lineTo(x0, y1 + dy); c.lineTo(0, y1 + dy); c.lineTo(0, y1); c.lineTo(x0, y1);
    c.lineTo(x0, y0 + dy); c.lineTo(0, y0 + dy); c.lineTo(0, y0); c.lineTo(x0, y0);
    c.close();
  }, function (c, w, h, s) {
    const { x0, x1, dy, ys } = geometry(w, h, s);
    for (const y of ys) { c.moveTo(x0, y); c.lineTo(x1, y); c.lineTo(x1, y + dy); c.lineTo(x0, y + dy); }
  });
}

composite('message', function (c, w, h) {
  c.moveTo(0, 0); c.lineTo(w, 0); c.lineTo(w, h); c.lineTo(0, h); c.close();
}, function (c, w, h) {
  c.moveTo(0, 0); c.lineTo(w / 2, h / 2); c.lineTo(w, 0);
});

composite('callout', function (c, w, h, s) {
  const d = clamp(num(s, 'size', 30), 0, h);
  const dx = w * clamp(num(s, 'position', 0.5), 0, 1);
  const dx2 = w * clamp(num(s, 'position2', 0.5), 0, 1);
  const base = clamp(num(s, 'base', 20), 0, w);
  const pts = [[0, 0], [w, 0], [w, h - d], [Math.min(w, dx + base), h - d], [dx2, h], [Math.max(0, dx), h - d], [0, h - d]];
  this.addPoints(c, pts.map(([px, py]) => new mxPoint(px, py)), this.isRounded, arcOf(s), true, [4]);
}, null, {
  getLabelMargins() { return new mxRectangle(0, 0, 0, num(this.style, 'size', 30) * this.scale); },
});

composite('curlyBracket', null, function (c, w, h, s) {
  const d = w * clamp(num(s, 'size', 0.5), 0, 1);
  const pts = [[w, 0], [d, 0], [d, h / 2], [0, h / 2], [d, h / 2], [d, h], [w, h]];
  this.addPoints(c, pts.map(([px, py]) => new mxPoint(px, py)), this.isRounded, arcOf(s), false);
});
composite('annotation', null, function (c, w, h) {
  c.moveTo(Math.min(w, 20), 0); c.lineTo(0, 0); c.lineTo(0, h); c.lineTo(Math.min(w, 20), h);
});

// Rectangles with strokes drawn over them; mxRectangleShape keeps rounded corners and glass.
const decorated = (name: string, decorate: Decorate, members: Members = {}) => register(name, mxRectangleShape, {
  isHtmlAllowed: () => false,
  paintForeground(this: MxShape, c: MxCanvas, x: number, y: number, w: number, h: number, ...rest: unknown[]) {
    c.begin();
    decorate.call(this, c, x, y, w, h, this.style);
    c.stroke();
    mxRectangleShape.prototype.paintForeground.call(this, c, x, y, w, h, ...rest);
  },
  ...members,
});
const processInset = (shape: MxShape, w: number, h: number): number => {
  const s = shape.style;
  let inset = mxUtils.getValue(s, 'fixedSize', '0') == '1' ? clamp(num(s, 'size', 20), 0, w) : w * clamp(num(s, 'size', 0.1), 0, 1);
  if (shape.isRounded) {
    const f = num(s, 'arcSize', mxConstants.RECTANGLE_ROUNDING_FACTOR * 100) / 100;
    inset = Math.max(inset, Math.min(w * f, h * f));
  }
  return Math.round(inset);
};
decorated('process', function (c, x, y, w, h) {
  const inset = processInset(this, w, h);
  c.moveTo(x + inset, y); c.lineTo(x + inset, y + h);
  c.moveTo(x + w - inset, y); c.lineTo(x + w - inset, y + h);
}, {
  getLabelBounds(rect: MxRectangle) {
    const inset = processInset(this, rect.width / this.scale, rect.height / this.scale) * this.scale;
    return new mxRectangle(rect.x + inset, rect.y, Math.max(0, rect.width - 2 * inset), rect.height);
  },
});
mxCellRenderer.registerShape('process2', mxCellRenderer.defaultShapes.process);

decorated('internalStorage', function (c, x, y, w, h, s) {
  const dx = clamp(num(s, 'dx', 20), 0, w);
  const dy = clamp(num(s, 'dy', 20), 0, h);
  c.moveTo(x, y + dy); c.lineTo(x + w, y + dy);
  c.moveTo(x + dx, y); c.lineTo(x + dx, y + h);
});
decorated('plus', function (c, x, y, w, h) {
  const border = Math.min(w / 5, h / 5) + 1;
  c.moveTo(x + w / 2, y + border); c.lineTo(x + w / 2, y + h - border);
  c.moveTo(x + border, y + h / 2); c.lineTo(x + w - border, y + h / 2);
});
decorated('associativeEntity', function (c, x, y, w, h) {
  c.moveTo(x + w / 2, y); c.lineTo(x + w, y + h / 2); c.lineTo(x + w / 2, y + h); c.lineTo(x, y + h / 2); c.close();
});
/** A cell with a geometry. */
const placed = (cell: MxCell): cell is MxCell & { geometry: MxRectangle } => Boolean(cell.geometry);
// draw.io's table: a swimlane whose title is its header, with lines between rows and columns.
register('table', mxSwimlane, {
  getLabelBounds(rect: MxRectangle) {
    return this.getTitleSize() === 0 ? mxShape.prototype.getLabelBounds.call(this, rect) : mxSwimlane.prototype.getLabelBounds.call(this, rect);
  },
  paintVertexShape(c: MxCanvas, x: number, y: number, w: number, h: number) {
    if (this.getTitleSize() === 0) {
      mxRectangleShape.prototype.paintBackground.call(this, c, x, y, w, h);
    } else {
      mxSwimlane.prototype.paintVertexShape.call(this, c, x, y, w, h);
      c.translate(-x, -y);
    }
    if (!this.state) return;
    const model = this.state.view.graph.model;
    const rows = model.getChildCells(this.state.cell, true).filter(placed);
    const start = this.getTitleSize();
    c.begin();
    if (rows.length > 0 && mxUtils.getValue(this.style, 'rowLines', '1') != '0') {
      for (const row of rows.slice(1)) { c.moveTo(x, y + row.geometry.y); c.lineTo(x + w, y + row.geometry.y); }
    }
    if (rows.length > 0 && mxUtils.getValue(this.style, 'columnLines', '1') != '0') {
      for (const column of model.getChildCells(rows[0], true).filter(placed).slice(1)) { c.moveTo(x + column.geometry.x, y + start); c.lineTo(x + column.geometry.x, y + h); }
    }
    c.stroke();
  },
});

// A rectangle whose sides are drawn one by one (top=0 and so on): draw.io's table cells.
register('partialRectangle', mxRectangleShape, {
  paintBackground(c: MxCanvas, x: number, y: number, w: number, h: number) {
    c.rect(x, y, w, h);
    c.fill();
    c.setShadow(false);
    c.begin();
    const side = (key: string) => mxUtils.getValue(this.style, key, '1') == '1';
    c.moveTo(x, y);
    if (side('top')) c.lineTo(x + w, y); else c.moveTo(x + w, y);
    if (side('right')) c.lineTo(x + w, y + h); else c.moveTo(x + w, y + h);
    if (side('bottom')) c.lineTo(x, y + h); else c.moveTo(x, y + h);
    if (side('left')) c.lineTo(x, y);
    c.stroke();
  },
  paintForeground() {
    // nothing: the sides are drawn with the background
  },
});
mxCellRenderer.registerShape('tableRow', mxCellRenderer.defaultShapes.partialRectangle);

const ellipseWith = (name: string, strokes: (this: MxShape, c: MxCanvas, x: number, y: number, w: number, h: number) => void) => register(name, mxEllipse, {
  paintVertexShape(c: MxCanvas, x: number, y: number, w: number, h: number, ...rest: unknown[]) {
    (mxEllipse.prototype.paintVertexShape as (this: MxShape, ...args: unknown[]) => void).call(this, c, x, y, w, h, ...rest);
    c.setShadow(false);
    c.begin();
    strokes.call(this, c, x, y, w, h);
    c.stroke();
  },
});
ellipseWith('lineEllipse', function (c, x, y, w, h) {
  if (mxUtils.getValue(this.style, 'line') === 'vertical') { c.moveTo(x + w / 2, y); c.lineTo(x + w / 2, y + h); }
  else { c.moveTo(x, y + h / 2); c.lineTo(x + w, y + h / 2); }
});
ellipseWith('orEllipse', function (c, x, y, w, h) {
  c.moveTo(x + w / 2, y); c.lineTo(x + w / 2, y + h); c.moveTo(x, y + h / 2); c.lineTo(x + w, y + h / 2);
});
ellipseWith('sumEllipse', function (c, x, y, w, h) {
  const [dx, dy] = [w * Math.SQRT1_2 / 2, h * Math.SQRT1_2 / 2];
  const [cx, cy] = [x + w / 2, y + h / 2];
  c.moveTo(cx - dx, cy - dy); c.lineTo(cx + dx, cy + dy); c.moveTo(cx + dx, cy - dy); c.lineTo(cx - dx, cy + dy);
});
ellipseWith('umlEntity', function (c, x, y, w, h) {
  c.moveTo(x + w / 8, y + h); c.lineTo(x + w * 7 / 8, y + h);
});

const states = (name: string, outer: boolean) => register(name, mxEllipse, {
  paintVertexShape(c: MxCanvas, x: number, y: number, w: number, h: number) {
    const inset = Math.min(4, w / 5, h / 5);
    c.ellipse(x + inset, y + inset, w - 2 * inset, h - 2 * inset);
    c.fillAndStroke();
    c.setShadow(false);
    if (outer) { c.ellipse(x, y, w, h); c.stroke(); }
  },
});
states('endState', true);
states('startState', false);

register('umlActor', mxShape, {
  paintBackground(c: MxCanvas, x: number, y: number, w: number, h: number) {
    c.translate(x, y);
    c.ellipse(w / 4, 0, w / 2, h / 4);
    c.fillAndStroke();
    c.begin();
    c.moveTo(w / 2, h / 4); c.lineTo(w / 2, 2 * h / 3);
    c.moveTo(w / 2, h / 3); c.lineTo(0, h / 3);
    c.moveTo(w / 2, h / 3); c.lineTo(w, h / 3);
    c.moveTo(w / 2, 2 * h / 3); c.lineTo(0, h);
    c.moveTo(w / 2, 2 * h / 3); c.lineTo(w, h);
    c.stroke();
  },
});
register('umlBoundary', mxShape, {
  getLabelMargins: (rect: MxRectangle) => new mxRectangle(rect.width / 6, 0, 0, 0),
  paintBackground(c: MxCanvas, x: number, y: number, w: number, h: number) {
    c.translate(x, y);
    c.begin(); c.moveTo(0, h / 4); c.lineTo(0, h * 3 / 4); c.moveTo(0, h / 2); c.lineTo(w / 6, h / 2); c.stroke();
    c.ellipse(w / 6, 0, w * 5 / 6, h);
    c.fillAndStroke();
  },
});
register('umlControl', mxShape, {
  getLabelBounds: (rect: MxRectangle) => new mxRectangle(rect.x, rect.y + rect.height / 8, rect.width, rect.height * 7 / 8),
  paintBackground(c: MxCanvas, x: number, y: number, w: number, h: number) {
    c.translate(x, y);
    c.begin(); c.moveTo(w * 3 / 8, h / 8 * 1.1); c.lineTo(w * 5 / 8, 0); c.stroke();
    c.ellipse(0, h / 8, w, h * 7 / 8);
    c.fillAndStroke();
  },
  // Drawn in the box paintBackground translated to.
  paintForeground(c: MxCanvas, x: number, y: number, w: number, h: number) {
    c.begin(); c.moveTo(w * 3 / 8, h / 8 * 1.1); c.lineTo(w * 5 / 8, h / 4); c.stroke();
  },
});
register('umlDestroy', mxShape, {
  paintVertexShape(c: MxCanvas, x: number, y: number, w: number, h: number) {
    c.translate(x, y);
    c.begin(); c.moveTo(w, 0); c.lineTo(0, h); c.moveTo(0, 0); c.lineTo(w, h); c.stroke();
  },
});

const headOf = (shape: MxShape, h: number): number => clamp(num(shape.style, 'size', 40), 0, h);
const Lifeline: MxShapeClass = register('umlLifeline', mxRectangleShape, {
  isHtmlAllowed: () => false,
  getLabelBounds(rect: MxRectangle) {
    return new mxRectangle(rect.x, rect.y, rect.width, clamp(num(this.style, 'size', 40) * this.scale, 0, rect.height));
  },
  paintBackground(c: MxCanvas, x: number, y: number, w: number, h: number) {
    const head = headOf(this, h);
    const participant = mxUtils.getValue(this.style, 'participant') as string | undefined;
    const Participant = participant && this.state ? this.state.view.graph.cellRenderer.getShape(participant) : null;
    if (Participant && Participant !== Lifeline) {
      const shape = new Participant();
      shape.apply(this.state as MxCellState);
      c.save();
      shape.paintVertexShape(c, x, y, w, head);
      c.restore();
    } else {
      mxRectangleShape.prototype.paintBackground.call(this, c, x, y, w, head);
    }
    if (head < h) {
      c.setDashed(mxUtils.getValue(this.style, 'lifelineDashed', '1') == '1');
      c.begin(); c.moveTo(x + w / 2, y + head); c.lineTo(x + w / 2, y + h); c.stroke();
    }
  },
  paintForeground(c: MxCanvas, x: number, y: number, w: number, h: number) {
    mxRectangleShape.prototype.paintForeground.call(this, c, x, y, w, headOf(this, h));
  },
});

register('umlFrame', mxShape, {
  getLabelMargins(rect: MxRectangle) {
    return new mxRectangle(0, 0, rect.width - num(this.style, 'width', 60) * this.scale, rect.height - num(this.style, 'height', 30) * this.scale);
  },
  paintBackground(c: MxCanvas, x: number, y: number, w: number, h: number) {
    const corner = 10;
    const w0 = Math.min(w, Math.max(corner, num(this.style, 'width', 60)));
    const h0 = Math.min(h, Math.max(corner * 1.5, num(this.style, 'height', 30)));
    const lane = mxUtils.getValue(this.style, mxConstants.STYLE_SWIMLANE_FILLCOLOR, mxConstants.NONE) as string;
    if (lane !== mxConstants.NONE) {
      c.setFillColor(lane);
      c.rect(x, y, w, h);
      c.fill();
    }
    c.setFillColor(this.fill);
    c.begin();
    c.moveTo(x, y); c.lineTo(x + w0, y); c.lineTo(x + w0, y + Math.max(0, h0 - corner * 1.5)); c.lineTo(x + Math.max(0, w0 - corner), y + h0); c.lineTo(x, y + h0); c.close();
    c.fillAndStroke();
    c.begin();
    c.moveTo(x + w0, y); c.lineTo(x + w, y); c.lineTo(x + w, y + h); c.lineTo(x, y + h); c.lineTo(x, y + h0);
    c.stroke();
  },
});

// Images are never fetched nor embedded: an image cell is drawn as an empty, crossed box.
register('image', mxShape, {
  paintVertexShape(c: MxCanvas, x: number, y: number, w: number, h: number) { c.image(x, y, w, h); },
});
mxSvgCanvas2D.prototype.image = function (x, y, w, h) {
  this.save();
  this.setStrokeColor(shapes.placeholderColor);
  this.setStrokeWidth(1);
  this.setDashed(true);
  this.setFillColor(mxConstants.NONE);
  this.begin();
  this.rect(x, y, w, h);
  this.stroke();
  this.begin();
  this.moveTo(x, y); this.lineTo(x + w, y + h); this.moveTo(x + w, y); this.lineTo(x, y + h);
  this.stroke();
  this.restore();
};

mxCellRenderer.registerShape('flexArrow', mxArrowConnector);

// Perimeters: where an edge meets a shape. Polygons: the ray from the centre (or, for
// orthogonal routing, the axis-aligned ray from the next point) against the outline.
const polygonPerimeter = (name: string): Perimeter => (bounds, vertex, next, orthogonal) => {
  const direction = vertex && vertex.style[mxConstants.STYLE_DIRECTION];
  if (!next || (direction && direction !== 'east')) return mxPerimeter.RectanglePerimeter(bounds, vertex, next, orthogonal);
  const scale = vertex ? vertex.view.scale : 1;
  const pts = POLYGONS[name](bounds.width / scale, bounds.height / scale, vertex && vertex.style).map(([px, py]) => [bounds.x + px * scale, bounds.y + py * scale]);
  const [cx, cy] = [bounds.getCenterX(), bounds.getCenterY()];
  let origin = [cx, cy];
  if (orthogonal && next.x >= bounds.x && next.x <= bounds.x + bounds.width) origin = [next.x, cy];
  else if (orthogonal && next.y >= bounds.y && next.y <= bounds.y + bounds.height) origin = [cx, next.y];
  const [dx, dy] = [next.x - origin[0], next.y - origin[1]];
  const length = Math.hypot(dx, dy);
  if (length === 0) return new mxPoint(cx, cy);
  const reach = 2 * (bounds.width + bounds.height) / length;
  const end = [origin[0] + dx * reach, origin[1] + dy * reach];
  let best: MxPoint | null = null;
  let bestDistance = -1;
  for (let i = 0; i < pts.length; i++) {
    const [a, b] = [pts[i], pts[(i + 1) % pts.length]];
    const hit = mxUtils.intersection(origin[0], origin[1], end[0], end[1], a[0], a[1], b[0], b[1]);
    const distance = hit ? Math.hypot(hit.x - origin[0], hit.y - origin[1]) : -1;
    if (distance > bestDistance) [best, bestDistance] = [hit, distance];
  }
  return best || mxPerimeter.RectanglePerimeter(bounds, vertex, next, orthogonal);
};
for (const [key, polygon] of [['parallelogramPerimeter', 'parallelogram'], ['trapezoidPerimeter', 'trapezoid'], ['stepPerimeter', 'step'], ['hexagonPerimeter2', 'hexagon']]) {
  mxStyleRegistry.putValue(key, polygonPerimeter(polygon));
}
mxStyleRegistry.putValue('centerPerimeter', (bounds: MxRectangle) => new mxPoint(bounds.getCenterX(), bounds.getCenterY()));
mxStyleRegistry.putValue('orthogonalPerimeter', (bounds: MxRectangle, vertex: MxCellState, next: MxPoint) => mxPerimeter.RectanglePerimeter(bounds, vertex, next, true));
mxStyleRegistry.putValue('calloutPerimeter', (bounds: MxRectangle, vertex: MxCellState, next: MxPoint, orthogonal: boolean) => {
  const tail = clamp(num(vertex.style, 'size', 30) * vertex.view.scale, 0, bounds.height);
  return mxPerimeter.RectanglePerimeter(new mxRectangle(bounds.x, bounds.y, bounds.width, bounds.height - tail), vertex, next, orthogonal);
});
// Messages meet a lifeline on its dashed line, at their own height.
mxStyleRegistry.putValue('lifelinePerimeter', (bounds: MxRectangle, vertex: MxCellState, next: MxPoint) => {
  const head = num(vertex.style, 'size', 40) * vertex.view.scale;
  let sw = (num(vertex.style, mxConstants.STYLE_STROKEWIDTH, 1) * vertex.view.scale) / 2 - 1;
  if (next.x < bounds.getCenterX()) sw = -(sw + 1);
  return new mxPoint(bounds.getCenterX() + sw, Math.min(bounds.y + bounds.height, Math.max(bounds.y + head, next.y)));
});
mxStyleRegistry.putValue('backbonePerimeter', (bounds: MxRectangle, vertex: MxCellState, next: MxPoint) => {
  let sw = (num(vertex.style, mxConstants.STYLE_STROKEWIDTH, 1) * vertex.view.scale) / 2 - 1;
  const vertical = ['south', 'north'].includes(vertex.style[mxConstants.STYLE_DIRECTION]);
  if (vertical ? next.x < bounds.getCenterX() : next.y < bounds.getCenterY()) sw = -(sw + 1);
  return vertical
    ? new mxPoint(bounds.getCenterX() + sw, Math.min(bounds.y + bounds.height, Math.max(bounds.y, next.y)))
    : new mxPoint(Math.min(bounds.x + bounds.width, Math.max(bounds.x, next.x)), bounds.getCenterY() + sw);
});

// Edge markers. Each returns the function that paints it; moving pe shortens the line.
type Paint = (c: MxCanvas, pe: MxPoint, nx: number, ny: number, size: number, filled: boolean, shape: MxShape) => void;
const marker = (name: string, paint: Paint) => mxMarker.addMarker(name, (c, shape, type, pe, unitX, unitY, size, source, sw, filled) => {
  const nx = unitX * (size + sw + 1);
  const ny = unitY * (size + sw + 1);
  return () => paint(c, pe, nx, ny, size, filled, shape);
});
const bar = (c: MxCanvas, x: number, y: number, nx: number, ny: number) => { c.moveTo(x - ny / 2, y + nx / 2); c.lineTo(x + ny / 2, y - nx / 2); };
const crowFoot = (c: MxCanvas, pe: MxPoint, nx: number, ny: number) => { c.moveTo(pe.x + ny / 2, pe.y - nx / 2); c.lineTo(pe.x - nx, pe.y - ny); c.lineTo(pe.x - ny / 2, pe.y + nx / 2); };
const ring = (c: MxCanvas, pe: MxPoint, nx: number, ny: number, size: number, filled: boolean) => {
  const a = size / 2;
  c.begin();
  c.ellipse(pe.x - 1.5 * nx - a, pe.y - 1.5 * ny - a, 2 * a, 2 * a);
  if (filled) { c.setFillColor(shapes.canvasBackground); c.fillAndStroke(); } else c.stroke();
};
marker('ERone', (c, pe, nx, ny) => { c.begin(); bar(c, pe.x - nx / 2, pe.y - ny / 2, nx, ny); c.stroke(); });
marker('ERmandOne', (c, pe, nx, ny) => { c.begin(); bar(c, pe.x - nx / 2, pe.y - ny / 2, nx, ny); bar(c, pe.x - nx, pe.y - ny, nx, ny); c.stroke(); });
marker('ERmany', (c, pe, nx, ny) => { c.begin(); crowFoot(c, pe, nx, ny); c.stroke(); });
marker('ERoneToMany', (c, pe, nx, ny) => { c.begin(); bar(c, pe.x - nx, pe.y - ny, nx, ny); crowFoot(c, pe, nx, ny); c.stroke(); });
marker('ERzeroToMany', (c, pe, nx, ny, size, filled) => { ring(c, pe, nx, ny, size, filled); c.begin(); crowFoot(c, pe, nx, ny); c.stroke(); });
marker('ERzeroToOne', (c, pe, nx, ny, size, filled) => { ring(c, pe, nx, ny, size, filled); c.begin(); bar(c, pe.x - nx / 2, pe.y - ny / 2, nx, ny); c.stroke(); });
marker('dash', (c, pe, nx, ny) => { c.begin(); c.moveTo(pe.x - nx / 2 - ny / 2, pe.y - ny / 2 + nx / 2); c.lineTo(pe.x + ny / 2 - 3 * nx / 2, pe.y - 3 * ny / 2 - nx / 2); c.stroke(); });
marker('cross', (c, pe, nx, ny) => {
  c.begin();
  c.moveTo(pe.x - nx / 2 - ny / 2, pe.y - ny / 2 + nx / 2); c.lineTo(pe.x + ny / 2 - 3 * nx / 2, pe.y - 3 * ny / 2 - nx / 2);
  c.moveTo(pe.x - nx / 2 + ny / 2, pe.y - ny / 2 - nx / 2); c.lineTo(pe.x - ny / 2 - 3 * nx / 2, pe.y - 3 * ny / 2 + nx / 2);
  c.stroke();
});
const circle = (c: MxCanvas, shape: MxShape, type: string, pe: MxPoint, unitX: number, unitY: number, size: number, source: boolean, sw: number, filled: boolean) => {
  const r = size + sw;
  const centre = [pe.x - unitX * (r + sw), pe.y - unitY * (r + sw)];
  pe.x -= unitX * (2 * r + sw);
  pe.y -= unitY * (2 * r + sw);
  return { centre, r, paint: () => { c.ellipse(centre[0] - r, centre[1] - r, 2 * r, 2 * r); if (filled) c.fillAndStroke(); else c.stroke(); } };
};
mxMarker.addMarker('circle', (...args) => circle(...args).paint);
mxMarker.addMarker('circlePlus', (c, shape, type, pe, unitX, unitY, size, source, sw, _filled) => {
  const { centre, r, paint } = circle(c, shape, type, pe, unitX, unitY, size, source, sw, false);
  return () => {
    paint();
    c.begin();
    c.moveTo(centre[0] - r, centre[1]); c.lineTo(centre[0] + r, centre[1]);
    c.moveTo(centre[0], centre[1] - r); c.lineTo(centre[0], centre[1] + r);
    c.stroke();
  };
});
mxMarker.addMarker('halfCircle', (c, shape, type, pe, unitX, unitY, size, source, sw) => {
  const nx = unitX * (size + sw + 1);
  const ny = unitY * (size + sw + 1);
  const pt = pe.clone();
  pe.x -= nx;
  pe.y -= ny;
  return () => { c.begin(); c.moveTo(pt.x - ny, pt.y + nx); c.quadTo(pe.x - ny, pe.y + nx, pe.x, pe.y); c.quadTo(pe.x + ny, pe.y - nx, pt.x + ny, pt.y - nx); c.stroke(); };
});
mxMarker.addMarker('box', (c, shape, type, pe, unitX, unitY, size, source, sw, filled) => {
  const nx = unitX * (size + sw + 1);
  const ny = unitY * (size + sw + 1);
  const [px, py] = [pe.x + nx / 2, pe.y + ny / 2];
  pe.x -= nx;
  pe.y -= ny;
  return () => {
    c.begin();
    c.moveTo(px - nx / 2 - ny / 2, py - ny / 2 + nx / 2); c.lineTo(px - nx / 2 + ny / 2, py - ny / 2 - nx / 2);
    c.lineTo(px + ny / 2 - 3 * nx / 2, py - 3 * ny / 2 - nx / 2); c.lineTo(px - ny / 2 - 3 * nx / 2, py - 3 * ny / 2 + nx / 2);
    c.close();
    if (filled) c.fillAndStroke(); else c.stroke();
  };
});
const halfArrow = (closed: boolean): MarkerFactory => (c, shape, type, pe, unitX, unitY, size, source, sw, filled) => {
  const [ex, ey] = closed ? [unitX * sw * 1.118, unitY * sw * 1.118] : [0, 0];
  const [ux, uy] = [unitX * (size + sw), unitY * (size + sw)];
  const pt = new mxPoint(pe.x - ex, pe.y - ey);
  if (closed) { pe.x += -ux - ex; pe.y += -uy - ey; }
  return () => {
    c.begin();
    c.moveTo(pt.x, pt.y);
    if (source) c.lineTo(pt.x - ux - uy / 2, pt.y - uy + ux / 2); else c.lineTo(pt.x + uy / 2 - ux, pt.y - uy - ux / 2);
    if (!closed) { c.stroke(); return; }
    c.lineTo(pt.x - ux, pt.y - uy);
    c.close();
    if (filled) c.fillAndStroke(); else c.stroke();
  };
};
mxMarker.addMarker('async', halfArrow(true));
mxMarker.addMarker('openAsync', halfArrow(false));

// draw.io's flowchart stencils, drawn with the closest shape above. Keys are set only where
// the cell's style has none of its own.
const FLOWCHART: Record<string, Record<string, string>> = {
  process: { shape: 'rectangle' },
  decision: { shape: 'rhombus', perimeter: 'rhombusPerimeter' },
  terminator: { shape: 'rectangle', rounded: '1', arcSize: '50' },
  document: { shape: 'document', size: '0.2' },
  'multi-document': { shape: 'document', size: '0.2' },
  data: { shape: 'parallelogram', perimeter: 'parallelogramPerimeter' },
  predefined_process: { shape: 'process' },
  manual_input: { shape: 'manualInput' },
  manual_operation: { shape: 'manualOperation' },
  preparation: { shape: 'hexagon', perimeter: 'hexagonPerimeter2', size: '0.2' },
  delay: { shape: 'delay' },
  display: { shape: 'display' },
  database: { shape: 'cylinder3', size: '10' },
  direct_data: { shape: 'cylinder3', size: '10', direction: 'south' },
  stored_data: { shape: 'dataStorage' },
  internal_storage: { shape: 'internalStorage' },
  sequential_data: { shape: 'ellipse', perimeter: 'ellipsePerimeter' },
  'on-page_reference': { shape: 'ellipse', perimeter: 'ellipsePerimeter' },
  'off-page_reference': { shape: 'offPageConnector' },
  start_1: { shape: 'ellipse', perimeter: 'ellipsePerimeter' },
  start_2: { shape: 'ellipse', perimeter: 'ellipsePerimeter' },
  annotation_1: { shape: 'annotation' },
  annotation_2: { shape: 'annotation' },
  card: { shape: 'card', size: '15' },
  collate: { shape: 'collate' },
  sort: { shape: 'sortShape' },
  extract_or_measurement: { shape: 'triangleUp' },
  merge_or_storage: { shape: 'triangleDown' },
  loop_limit: { shape: 'loopLimit' },
  paper_tape: { shape: 'tape', size: '0.2' },
  or: { shape: 'orEllipse', perimeter: 'ellipsePerimeter' },
  summing_function: { shape: 'sumEllipse', perimeter: 'ellipsePerimeter' },
  transfer: { shape: 'singleArrow', arrowWidth: '0.5', arrowSize: '0.3' },
  parallel_mode: { shape: 'rectangle' },
};
/** Rewrites a resolved cell style in place so that its shape is one this page can draw. */
shapes.resolve = (style) => {
  const name = style[mxConstants.STYLE_SHAPE];
  const alias = typeof name === 'string' && name.startsWith('mxgraph.flowchart.') ? FLOWCHART[name.slice(18)] : null;
  if (!alias) return;
  for (const [key, value] of Object.entries(alias)) {
    if (key === 'shape') style.shape = value;
    else if (style[key] === undefined) style[key] = value;
  }
};
