import type { Box, Point } from './bpmn-layout';

/**
 * The grid of cells that bpmn-layout.ts puts nodes in, and the orthogonal routes of flows between
 * them.
 */

/** Horizontal streets run this far below or above a row, clear of the lane border in the middle of the gap. */
const STREET_OFFSET = 20;
/** Flows that share a street run this far apart. */
const TRACK = 7;

export interface Cell {
  row: number;
  col: number;
}

/** Which cells hold a node; a cell may also be kept free for a flow that runs straight through it. */
export class Grid {
  /** Per column, the rows that hold a node (and those kept free for a flow). */
  private readonly cells = new Map<number, Set<number>>();
  private readonly kept = new Map<number, Set<number>>();
  private static add(map: Map<number, Set<number>>, cell: Cell): void {
    const rows = map.get(cell.col) ?? new Set<number>();
    rows.add(cell.row);
    map.set(cell.col, rows);
  }
  put(cell: Cell): void {
    Grid.add(this.cells, cell);
  }
  keep(cell: Cell): void {
    Grid.add(this.kept, cell);
  }
  has(row: number, col: number): boolean {
    return this.cells.get(col)?.has(row) ?? false;
  }
  taken(row: number, col: number): boolean {
    return this.has(row, col) || (this.kept.get(col)?.has(row) ?? false);
  }
  /** No node in the cells of rows [from, to] and columns [from, to], ends included; an empty range is clear. */
  clear(rows: [number, number], cols: [number, number]): boolean {
    for (let row = rows[0]; row <= rows[1]; row++) {
      for (let col = cols[0]; col <= cols[1]; col++) if (this.has(row, col)) return false;
    }
    return true;
  }
}

/** The rows or columns strictly between a and b, and from a (excluded) to b (included). */
export const between = (a: number, b: number): [number, number] => [Math.min(a, b) + 1, Math.max(a, b) - 1];
export const after = (a: number, b: number): [number, number] => (b > a ? [a + 1, b] : [b, a - 1]);
export const only = (a: number): [number, number] => [a, a];

/** A point on a box's top or bottom, `at` (0 to 1) along it. */
const topAt = (box: Box, at: number): Point => ({ x: Math.round(box.x + box.width * at), y: box.y });
const bottomAt = (box: Box, at: number): Point => ({ x: Math.round(box.x + box.width * at), y: box.y + box.height });

const port = {
  left: (box: Box): Point => ({ x: box.x, y: box.y + box.height / 2 }),
  right: (box: Box): Point => ({ x: box.x + box.width, y: box.y + box.height / 2 }),
  top: (box: Box): Point => ({ x: box.x + box.width / 2, y: box.y }),
  bottom: (box: Box): Point => ({ x: box.x + box.width / 2, y: box.y + box.height }),
};

/**
 * Orthogonal routes on the grid. The streets (the middle of the gap after a column, a line just
 * below a row, the middle of the gap between pools) hold no nodes, so a route made of street
 * segments plus a step into and out of its nodes crosses none. Flows that share a street get
 * tracks a few pixels apart.
 */
export class Router {
  private readonly tracks = new Map<string, number>();
  constructor(
    private readonly grid: Grid,
    private readonly columnX: number[],
    private readonly widths: number[],
    private readonly gaps: number[],
    private readonly rowY: number[],
    private readonly rowHeights: number[],
    private readonly poolOfRow: string[],
  ) {}

  private track(key: string, base: number): number {
    const used = this.tracks.get(key) ?? 0;
    this.tracks.set(key, used + 1);
    return base + (used % 2 ? -1 : 1) * Math.ceil(used / 2) * TRACK;
  }

  /** x of the street after column `col` (-1: the one before the first column). */
  private streetX(col: number): number {
    if (col < 0) return this.columnX[0] - this.gaps[0] / 2;
    return this.columnX[col] + this.widths[col] + this.gaps[col] / 2;
  }

  /** A street inside the band of row `row`: just below it, or just above it (a lane border lies between the two). */
  private below(row: number): number {
    return this.track(`h${row}b`, this.rowY[row] + this.rowHeights[row] + STREET_OFFSET);
  }
  private above(row: number): number {
    return this.track(`h${row}a`, this.rowY[row] - STREET_OFFSET);
  }

  /** For message flows, y of the way between row `row` and the next (-1: above the first row); between pools, the middle of the gap. */
  private way(row: number): number {
    if (row < 0) return this.above(0);
    const bottom = this.rowY[row] + this.rowHeights[row];
    if (row + 1 < this.rowY.length && this.poolOfRow[row + 1] !== this.poolOfRow[row]) return this.track(`h${row}g`, (bottom + this.rowY[row + 1]) / 2);
    return this.below(row);
  }

  /**
   * A sequence flow (or a long association). `sourceBottom`/`targetBottom`: whether the flow may
   * use that end's bottom, which boundary events or a message flow may hold; a flow back to an
   * earlier column goes over the top when it may not.
   */
  sequence(source: Box, s: Cell, target: Box, t: Cell, how: { attached: boolean; split: boolean; join: boolean; sourceBottom?: boolean; targetBottom?: boolean }): Point[] {
    const sourceBottom = how.sourceBottom ?? true;
    const targetBottom = how.targetBottom ?? true;
    const { grid } = this;
    const sy = source.y + source.height / 2;
    const ty = target.y + target.height / 2;
    const down = t.row > s.row;
    if (how.attached) {
      const start = port.bottom(source);
      if (t.col > s.col && t.row > s.row && grid.clear(after(s.row, t.row), only(s.col)) && grid.clear(only(t.row), [s.col, t.col - 1])) return [start, { x: start.x, y: ty }, port.left(target)];
      return this.viaStreets(start, this.below(s.row), target, t);
    }
    if (t.row === s.row && t.col > s.col && grid.clear(only(s.row), between(s.col, t.col))) return [port.right(source), port.left(target)];
    if (t.row === s.row && t.col > s.col) {
      // Past the nodes in between: under them, or over them when a bottom is taken.
      const under = sourceBottom && targetBottom;
      const [start, end] = under ? [port.bottom(source), port.bottom(target)] : [port.top(source), port.top(target)];
      const y = under ? this.below(s.row) : this.above(s.row);
      return [start, { x: start.x, y }, { x: end.x, y }, end];
    }
    if (t.col === s.col && t.row !== s.row && (down ? sourceBottom : targetBottom) && grid.clear(between(s.row, t.row), only(s.col))) {
      return down ? [port.bottom(source), port.top(target)] : [port.top(source), port.bottom(target)];
    }
    if (t.col > s.col && t.row !== s.row) {
      const bendFirst = () => {
        if (down && !sourceBottom) return null;
        const start = down ? port.bottom(source) : port.top(source);
        if (!grid.clear(after(s.row, t.row), only(s.col)) || !grid.clear(only(t.row), [s.col, t.col - 1])) return null;
        return [start, { x: start.x, y: ty }, port.left(target)];
      };
      const bendLast = () => {
        if (!down && !targetBottom) return null;
        const end = down ? port.top(target) : port.bottom(target);
        if (!grid.clear(only(s.row), [s.col + 1, t.col]) || !grid.clear(between(s.row, t.row), only(t.col))) return null;
        return [port.right(source), { x: end.x, y: sy }, end];
      };
      // A split's other branches leave at the bottom or top, so they share no segment with the straight one.
      const route = how.join && !how.split ? (bendLast() ?? bendFirst()) : how.split ? bendFirst() : (bendFirst() ?? bendLast());
      if (route) return route;
      if (how.split && (sourceBottom || !down)) return this.viaStreets(down ? port.bottom(source) : port.top(source), down ? this.below(s.row) : this.above(s.row), target, t);
      if (t.col === s.col + 1) {
        const x = this.track(`v${s.col}`, this.streetX(s.col));
        return [port.right(source), { x, y: sy }, { x, y: ty }, port.left(target)];
      }
    }
    if (t.col === s.col && t.row === s.row) {
      // A loop on one node: out at the right, round its lower right corner, in at the bottom.
      const [right, bottom] = [port.right(source), port.bottom(source)];
      const x = right.x + 20;
      const y = bottom.y + 20;
      return [right, { x, y: right.y }, { x, y }, { x: bottom.x, y }, bottom];
    }
    if (t.col <= s.col) {
      // Back to an earlier column: out at the bottom, along the street below, into the target's bottom (or over the top).
      const lowest = Math.max(s.row, t.row);
      const highest = Math.min(s.row, t.row);
      if (!sourceBottom || !targetBottom) {
        const end = port.top(target);
        const high = this.above(highest);
        if (grid.clear([highest, s.row - 1], only(s.col)) && grid.clear([highest, t.row - 1], only(t.col))) {
          const start = port.top(source);
          return [start, { x: start.x, y: high }, { x: end.x, y: high }, end];
        }
        // Out at the right, up the street after the source's column, over to the target.
        const start = port.right(source);
        const x = this.track(`v${s.col}`, this.streetX(s.col));
        const top = grid.clear([highest, t.row - 1], only(t.col)) ? high : this.above(t.row);
        return [start, { x, y: start.y }, { x, y: top }, { x: end.x, y: top }, end];
      }
      if (grid.clear([s.row + 1, lowest], only(s.col)) && grid.clear([t.row + 1, lowest], only(t.col))) {
        const [start, end] = [port.bottom(source), port.bottom(target)];
        const y = this.below(lowest);
        return [start, { x: start.x, y }, { x: end.x, y }, end];
      }
      return this.viaStreets(port.bottom(source), this.below(s.row), target, t);
    }
    return this.viaStreets(port.right(source), null, target, t, s);
  }

  /**
   * From `start` (a bottom or top port, or a right port when `from` is given) onto the street at
   * `streetY` or after the source's column, along the street before the target's column, into its left.
   */
  private viaStreets(start: Point, streetY: number | null, target: Box, t: Cell, from?: Cell): Point[] {
    const ty = target.y + target.height / 2;
    const entryX = this.track(`v${t.col - 1}`, this.streetX(t.col - 1));
    const points: Point[] = [start];
    if (from) {
      const exitX = this.track(`v${from.col}`, this.streetX(from.col));
      const y = t.row > from.row ? this.above(t.row) : this.below(t.row);
      points.push({ x: exitX, y: start.y }, { x: exitX, y }, { x: entryX, y });
    } else {
      const y = streetY ?? start.y;
      points.push({ x: start.x, y }, { x: entryX, y });
    }
    points.push({ x: entryX, y: ty }, port.left(target));
    return dedupe(points);
  }

  /** A message flow leaves towards the other pool and enters from its side. */
  /** `at`: where along its top or bottom (0 to 1) each end is left or entered (bpmn-layout.ts spreads them). */
  message(source: Box, s: Cell, target: Box, t: Cell, at: { source: number; target: number }): Point[] {
    const { grid } = this;
    const down = t.row > s.row;
    const start = down ? bottomAt(source, at.source) : topAt(source, at.source);
    const end = down ? topAt(target, at.target) : bottomAt(target, at.target);
    if (start.x === end.x && grid.clear(between(s.row, t.row), only(s.col))) return [start, end];
    const nearTarget = this.way(down ? t.row - 1 : t.row);
    if (grid.clear(between(s.row, t.row), only(s.col))) return [start, { x: start.x, y: nearTarget }, { x: end.x, y: nearTarget }, end];
    const nearSource = this.way(down ? s.row : s.row - 1);
    if (grid.clear(between(s.row, t.row), only(t.col))) return [start, { x: start.x, y: nearSource }, { x: end.x, y: nearSource }, end];
    const x = this.track(`v${t.col > s.col ? t.col - 1 : t.col}`, this.streetX(t.col > s.col ? t.col - 1 : t.col));
    return [start, { x: start.x, y: nearSource }, { x, y: nearSource }, { x, y: nearTarget }, { x: end.x, y: nearTarget }, end];
  }

  /** A message flow to a pool drawn without its process: it ends on the pool's border. */
  toPool(source: Box, s: Cell, pool: Box, rows: [number, number], at: number): Point[] {
    const down = rows[0] > s.row;
    const start = down ? bottomAt(source, at) : topAt(source, at);
    const edgeY = down ? pool.y : pool.y + pool.height;
    if (this.grid.clear(between(s.row, down ? rows[0] : rows[1]), only(s.col))) return [start, { x: start.x, y: edgeY }];
    const y = this.way(down ? s.row : s.row - 1);
    const x = this.track(`v${s.col}`, this.streetX(s.col));
    return [start, { x: start.x, y }, { x, y }, { x, y: edgeY }];
  }

  /** An association (to an annotation or data): a straight line between the nearest sides. */
  association(source: Box, target: Box): Point[] {
    if (target.y + target.height <= source.y) return [port.top(source), port.bottom(target)];
    if (target.y >= source.y + source.height) return [port.bottom(source), port.top(target)];
    return target.x > source.x ? [port.right(source), port.left(target)] : [port.left(source), port.right(target)];
  }
}

export function dedupe(points: Point[]): Point[] {
  const rounded = points.map((point) => ({ x: Math.round(point.x), y: Math.round(point.y) }));
  return rounded.filter((point, i) => {
    if (i === 0) return true;
    const previous = rounded[i - 1];
    if (point.x === previous.x && point.y === previous.y) return false;
    const next = rounded[i + 1];
    // Drop a point in the middle of a straight run.
    return !next || !((previous.x === point.x && point.x === next.x) || (previous.y === point.y && point.y === next.y));
  });
}
