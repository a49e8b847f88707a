import type { Box, Point } from './bpmn-layout';

/** Where labels go: beside the nodes and on the flows that bpmn-layout.ts has placed. */

/** bpmn-js wraps external labels at 90 px and draws them in 12 px type (bpmn-engine.ts). */
const LABEL_WIDTH = 90;
const LINE_HEIGHT = 15;
const CHAR_WIDTH = 6.6;

/** The size an external label takes, wrapped as bpmn-js wraps it (at `wrap` px), from an average glyph width. */
export function labelSize(text: string, wrap = LABEL_WIDTH): { width: number; height: number } {
  const lines: number[] = [];
  let line = 0;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const width = word.length * CHAR_WIDTH;
    if (line && line + CHAR_WIDTH + width > wrap) {
      lines.push(line);
      line = 0;
    }
    line = line ? line + CHAR_WIDTH + width : width;
  }
  if (line || !lines.length) lines.push(line);
  return { width: Math.ceil(Math.min(wrap, Math.max(...lines))) + 4, height: lines.length * LINE_HEIGHT };
}

/** A text annotation big enough for its text, which bpmn-js writes inside it with 5 px of padding: wider for a long text. */
export function annotationSize(text: string): { width: number; height: number } {
  const width = text.length > 40 ? 180 : 100;
  return { width, height: Math.max(30, labelSize(text, width - 10).height + 10) };
}

export function sideOf(box: Box, point: Point): string {
  if (Math.abs(point.y - box.y) < 1) return 'top';
  if (Math.abs(point.y - box.y - box.height) < 1) return 'bottom';
  if (Math.abs(point.x - box.x) < 1) return 'left';
  return 'right';
}

/** A node's external label: below it, or above when a flow leaves or enters at the bottom. */
export function nodeLabel(box: Box, size: { width: number; height: number }, sides: Set<string>): Box {
  const cx = box.x + box.width / 2;
  if (!sides.has('bottom')) return { x: Math.round(cx - size.width / 2), y: box.y + box.height + 5, ...size };
  if (!sides.has('top')) return { x: Math.round(cx - size.width / 2), y: box.y - size.height - 5, ...size };
  return { x: box.x + box.width + 4, y: box.y - size.height - 2, ...size };
}

/** Whether segment a-b runs along a segment of one of `others` (so a label there would be ambiguous). */
function shared(a: Point, b: Point, others: Point[][]): boolean {
  const overlap = (p: number, q: number, r: number, s: number) => Math.min(Math.max(p, q), Math.max(r, s)) - Math.max(Math.min(p, q), Math.min(r, s)) > 1;
  return others.some((points) =>
    points.slice(1).some((d, i) => {
      const c = points[i];
      if (a.y === b.y) return c.y === a.y && d.y === a.y && overlap(a.x, b.x, c.x, d.x);
      return c.x === a.x && d.x === a.x && overlap(a.y, b.y, c.y, d.y);
    }),
  );
}

const overlaps = (a: Box, b: Box) => a.x + 1 < b.x + b.width && b.x + 1 < a.x + a.width && a.y + 1 < b.y + b.height && b.y + 1 < a.y + a.height;
const contains = (outer: Box, inner: Box) => outer.x <= inner.x && outer.y <= inner.y && outer.x + outer.width >= inner.x + inner.width && outer.y + outer.height >= inner.y + inner.height;

/**
 * A flow's name, beside a segment of its own (not shared with a flow from the same source or into
 * the same target): above or below a horizontal segment near its start or its end, or beside a
 * vertical one, the first spot that covers no node and no other label (`obstacles`; a subprocess
 * holding the spot does not count). Failing that, the first spot.
 */
export function flowLabel(waypoints: Point[], size: { width: number; height: number }, siblings: Point[][], obstacles: Box[]): Box {
  const segments = waypoints.slice(1).map((b, i) => [waypoints[i], b] as const);
  const own = segments.filter(([a, b]) => !shared(a, b, siblings));
  const spots: Box[] = [];
  const at = (x: number, y: number): Box => ({ x: Math.round(x), y: Math.round(y), ...size });
  // Horizontal segments first: a name reads best over a line that runs along it.
  for (const [a, b] of own) {
    if (a.y !== b.y || Math.abs(b.x - a.x) < size.width + 12) continue;
    const [start, end] = b.x > a.x ? [a.x + 6, b.x - 6 - size.width] : [a.x - 6 - size.width, b.x + 6];
    for (const x of [start, end]) spots.push(at(x, a.y - size.height - 2), at(x, a.y + 3));
  }
  for (const [a, b] of own) {
    if (a.x !== b.x || Math.abs(b.y - a.y) < size.height + 8) continue;
    const mid = Math.min(a.y, b.y) + Math.abs(b.y - a.y) / 2 - size.height / 2;
    spots.push(at(a.x + 6, mid), at(a.x - 6 - size.width, mid));
  }
  const free = spots.find((spot) => !obstacles.some((box) => overlaps(spot, box) && !contains(box, spot)));
  if (free) return free;
  if (spots.length) return spots[0];
  const [a, b] = own[0] ?? segments[0];
  if (a.y === b.y) return at(Math.min(a.x, b.x) + 6, a.y - size.height - 2);
  return at(a.x + 6, Math.min(a.y, b.y) + Math.abs(b.y - a.y) / 2 - size.height / 2);
}
