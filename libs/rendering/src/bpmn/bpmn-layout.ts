/**
 * Lays out BPMN that has no DI: pools stacked top to bottom, lanes as bands inside them, flow nodes
 * in columns (by the longest path from a start) and rows (a branch keeps its row, the next branch
 * takes the next free row of its lane), flows drawn orthogonally. A flow either goes straight,
 * bends once through cells that are empty, or travels along the streets between rows and columns,
 * so that no flow crosses a node. Names of flows go above their first long horizontal segment.
 *
 * Pure geometry on a graph read from the source (bpmn-graph.ts), so it runs in Node and is tested
 * without a browser. Routes are in bpmn-routes.ts, labels in bpmn-labels.ts.
 */
import { flowLabel, labelSize, nodeLabel, sideOf } from './bpmn-labels';
import { between, type Cell, dedupe, Grid, Router } from './bpmn-routes';

export type NodeKind = 'task' | 'gateway' | 'event' | 'data' | 'annotation';

export interface GraphNode {
  id: string;
  kind: NodeKind;
  width: number;
  height: number;
  /** Shown outside the shape (events, gateways, data): its size is kept free around the node. */
  label?: string;
  /** The leaf lane (or, without lanes, the pool) it sits in. */
  band: string;
  /** A boundary event's host activity. */
  attachedTo?: string;
  /** An expanded subprocess's contents, laid out inside it. */
  inner?: LayoutGraph;
}

export interface GraphEdge {
  id: string;
  kind: 'sequence' | 'message' | 'association';
  source: string;
  target: string;
  label?: string;
}

/** A pool, a lane or a lane's sub-lanes: leaves hold nodes, the others span their children. */
export interface GraphBand {
  id: string;
  /** Drawn as a shape (participant or lane); a process without a collaboration has none. */
  drawn: boolean;
  children: GraphBand[];
}

export interface LayoutGraph {
  /** One per pool, top to bottom. */
  pools: GraphBand[];
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface Layout {
  shapes: Array<{ id: string; bounds: Box; label?: Box }>;
  bands: Array<{ id: string; bounds: Box }>;
  edges: Array<{ id: string; waypoints: Point[]; label?: Box }>;
}

const ROW_HEIGHT = 80;
const ROW_GAP = 60;
const COLUMN_GAP = 50;
const POOL_GAP = 40;
/** Room above and below an activity with boundary events, which hang 18 px below it with their names. */
const HOST_OVERHANG = 30;
const BAND_HEADER = 30;
const MARGIN = 40;

/** Adds `value` to the list under `key`. */
function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const leaves = (band: GraphBand): GraphBand[] => (band.children.length ? band.children.flatMap(leaves) : [band]);
const depth = (band: GraphBand): number => (band.children.length ? 1 + Math.max(...band.children.map(depth)) : 0);

/**
 * Columns by the longest path from a node without incoming flows, over the flows that do not close
 * a cycle; a boundary event's flows count from its host. A message flow asks that its target be in
 * its source's column or later, so that message flows between pools run straight down where they
 * can; associations do not take part.
 */
function columns(graph: LayoutGraph, flowNodes: GraphNode[], hostOf: (id: string) => string): { column: Map<string, number>; order: string[]; backEdges: Set<string> } {
  const outgoing = new Map<string, GraphEdge[]>(flowNodes.map((node) => [node.id, []]));
  const incoming = new Map<string, number>(flowNodes.map((node) => [node.id, 0]));
  // Sequence flows first, so that depth first follows a process before it crosses to another pool.
  for (const edge of [...graph.edges].sort((a, b) => Number(a.kind !== 'sequence') - Number(b.kind !== 'sequence'))) {
    if (edge.kind === 'association') continue;
    const source = hostOf(edge.source);
    if (!outgoing.has(source) || !incoming.has(edge.target) || source === edge.target) continue;
    outgoing.get(source)?.push(edge);
    if (edge.kind === 'sequence') incoming.set(edge.target, (incoming.get(edge.target) ?? 0) + 1);
  }
  // Depth first from the starts, in document order: a flow back to a node on the path closes a cycle.
  const backEdges = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const order: string[] = [];
  const visit = (id: string) => {
    state.set(id, 'open');
    order.push(id);
    // A boundary event's flows after the host's own, so that the normal path keeps its row.
    const edges = [...(outgoing.get(id) ?? [])].sort((a, b) => Number(a.kind !== 'sequence') - Number(b.kind !== 'sequence') || Number(a.source !== id) - Number(b.source !== id));
    for (const edge of edges) {
      const next = state.get(edge.target);
      if (next === 'open') backEdges.add(edge.id);
      else if (!next) visit(edge.target);
    }
    state.set(id, 'done');
  };
  const starts = flowNodes.filter((node) => incoming.get(node.id) === 0);
  for (const node of [...starts, ...flowNodes]) if (!state.has(node.id)) visit(node.id);

  const column = new Map<string, number>();
  const done = new Set<string>();
  const into = new Map<string, GraphEdge[]>();
  for (const edge of graph.edges) if (edge.kind !== 'association' && !backEdges.has(edge.id)) push(into, edge.target, edge);
  const longest = (id: string): number => {
    if (done.has(id)) return column.get(id) ?? 0;
    done.add(id);
    column.set(id, 0);
    let best = 0;
    for (const edge of into.get(id) ?? []) {
      const source = hostOf(edge.source);
      if (source === id || !outgoing.has(source)) continue;
      best = Math.max(best, longest(source) + (edge.kind === 'sequence' ? 1 : 0));
    }
    column.set(id, best);
    return best;
  };
  for (const node of flowNodes) longest(node.id);
  return { column, order, backEdges };
}

/** Room around an expanded subprocess's contents; more at the top, where bpmn-js writes its name. */
const INNER_PADDING = 20;
const INNER_TOP = 30;

/** The box around everything a layout draws. */
function extent(layout: Layout): Box {
  const boxes = [...layout.shapes.flatMap((shape) => [shape.bounds, ...(shape.label ? [shape.label] : [])]), ...layout.edges.flatMap((edge) => [...edge.waypoints.map((point) => ({ ...point, width: 0, height: 0 })), ...(edge.label ? [edge.label] : [])])];
  const x = Math.min(...boxes.map((box) => box.x));
  const y = Math.min(...boxes.map((box) => box.y));
  return { x, y, width: Math.max(...boxes.map((box) => box.x + box.width)) - x, height: Math.max(...boxes.map((box) => box.y + box.height)) - y };
}

/**
 * Lays out expanded subprocesses first (inside out), then the graph with each at the size of its
 * contents, which then move into it. A flow of this level that ends at a node inside a subprocess
 * (a message flow, most often) is routed to the subprocess, then carried in to the node.
 */
export function layoutGraph(input: LayoutGraph): Layout {
  const containerOf = new Map<string, string>();
  const collect = (graph: LayoutGraph, top: string): void => {
    for (const node of graph.nodes) {
      containerOf.set(node.id, top);
      if (node.inner) collect(node.inner, top);
    }
  };
  for (const node of input.nodes) if (node.inner) collect(node.inner, node.id);
  const carried = new Map<string, { source?: string; target?: string }>();
  // A flow written at this level between two nodes of one subprocess is laid out in there.
  const pushedDown = new Map<string, GraphEdge[]>();
  const edges = input.edges.flatMap((edge) => {
    const [source, target] = [containerOf.get(edge.source), containerOf.get(edge.target)];
    if (!source && !target) return [edge];
    if (source && source === target) {
      push(pushedDown, source, edge);
      return [];
    }
    carried.set(edge.id, { source: source && edge.source, target: target && edge.target });
    return [{ ...edge, source: source ?? edge.source, target: target ?? edge.target }];
  });

  const inner = new Map<string, { layout: Layout; extent: Box }>();
  const nodes = input.nodes.map((node) => {
    if (!node.inner) return node;
    const layout = layoutGraph({ ...node.inner, edges: [...node.inner.edges, ...(pushedDown.get(node.id) ?? [])] });
    const box = extent(layout);
    inner.set(node.id, { layout, extent: box });
    return { ...node, width: Math.max(node.width, Math.ceil(box.width) + 2 * INNER_PADDING), height: Math.max(node.height, Math.ceil(box.height) + INNER_TOP + INNER_PADDING) };
  });
  const layout = layoutFlat({ ...input, nodes, edges });
  for (const [id, { layout: contents, extent: box }] of inner) {
    const host = layout.shapes.find((shape) => shape.id === id)?.bounds;
    if (!host) continue;
    const dx = host.x + (host.width - box.width) / 2 - box.x;
    const dy = host.y + INNER_TOP - box.y;
    const move = <T extends { x: number; y: number }>(item: T): T => ({ ...item, x: Math.round(item.x + dx), y: Math.round(item.y + dy) });
    layout.shapes.push(...contents.shapes.map((shape) => ({ ...shape, bounds: move(shape.bounds), ...(shape.label ? { label: move(shape.label) } : {}) })));
    layout.edges.push(...contents.edges.map((edge) => ({ ...edge, waypoints: edge.waypoints.map(move), ...(edge.label ? { label: move(edge.label) } : {}) })));
  }
  const boundsOf = (id: string) => layout.shapes.find((shape) => shape.id === id)?.bounds;
  for (const edge of layout.edges) {
    const ends = carried.get(edge.id);
    if (!ends) continue;
    const [source, target] = [ends.source && boundsOf(ends.source), ends.target && boundsOf(ends.target)];
    const [sourceHost, targetHost] = [ends.source && boundsOf(containerOf.get(ends.source) ?? ''), ends.target && boundsOf(containerOf.get(ends.target) ?? '')];
    if (target && targetHost) edge.waypoints = dedupe(carryIn(edge.waypoints, target, targetHost));
    if (source && sourceHost) edge.waypoints = dedupe(carryIn([...edge.waypoints].reverse(), source, sourceHost).reverse());
  }
  return layout;
}

/**
 * A route that ends on the border of subprocess `host`, carried on to `node` inside it: from just
 * outside the border, across to the node, and in through its side that faces the border, at the
 * same share of its side as on the host's (so flows spread along the host stay apart).
 */
function carryIn(waypoints: Point[], node: Box, host: Box): Point[] {
  const end = waypoints[waypoints.length - 1];
  const before = waypoints[waypoints.length - 2] ?? end;
  const head = waypoints.slice(0, -1);
  const cx = Math.round(node.x + (node.width * (end.x - host.x)) / host.width);
  const cy = Math.round(node.y + (node.height * (end.y - host.y)) / host.height);
  if (before.x === end.x) {
    // Came vertically, through the top or the bottom.
    const fromAbove = before.y < end.y;
    const y = end.y + (fromAbove ? -12 : 12);
    return [...head, { x: end.x, y }, { x: cx, y }, { x: cx, y: fromAbove ? node.y : node.y + node.height }];
  }
  const fromLeft = before.x < end.x;
  const x = end.x + (fromLeft ? -12 : 12);
  return [...head, { x, y: end.y }, { x, y: cy }, { x: fromLeft ? node.x : node.x + node.width, y: cy }];
}

/** The graph with its lookups: by id, boundary events by host, flows by end. */
interface Indexed {
  graph: LayoutGraph;
  nodeById: Map<string, GraphNode>;
  /** The node a flow counts from: a boundary event's host, else the node itself. */
  hostOf: (id: string) => string;
  /** Nodes with a place of their own (not boundary events). */
  placed: GraphNode[];
  attachers: Map<string, GraphNode[]>;
  edgesFrom: Map<string, GraphEdge[]>;
  edgesInto: Map<string, GraphEdge[]>;
}

function indexGraph(graph: LayoutGraph): Indexed {
  const nodeById = new Map(graph.nodes.map((node) => [node.id, node]));
  const attachers = new Map<string, GraphNode[]>();
  for (const node of graph.nodes) if (node.attachedTo) push(attachers, node.attachedTo, node);
  const edgesFrom = new Map<string, GraphEdge[]>();
  const edgesInto = new Map<string, GraphEdge[]>();
  for (const edge of graph.edges) {
    push(edgesFrom, edge.source, edge);
    push(edgesInto, edge.target, edge);
  }
  return { graph, nodeById, hostOf: (id) => nodeById.get(id)?.attachedTo ?? id, placed: graph.nodes.filter((node) => !node.attachedTo), attachers, edgesFrom, edgesInto };
}

const isArtifact = (node: GraphNode) => node.kind === 'data' || node.kind === 'annotation';

/** Where each placed node sits: a cell of the global grid (rows of all bands one below the other). */
interface Placement {
  cellOf: Map<string, Cell>;
  /** Cells that hold nodes, and the columns that isolated nodes span. */
  grid: Grid;
  /** Nodes no flow touches: in a row of their own, side by side, outside the columns. */
  isolated: Set<string>;
  leafBands: GraphBand[];
  poolOfLeaf: Map<string, string>;
  bandOf: (node: GraphNode) => string;
  bandFirstRow: Map<string, number>;
  bandRows: Map<string, number>;
  rows: number;
}

/**
 * Columns by longest path (columns()); rows: in depth-first order each node takes the first free
 * row of its lane at or below the row of the node that led to it, so a path keeps its row and its
 * branches stack below it. Data and annotations go next to the node they are associated with.
 */
function placeCells(index: Indexed): Placement {
  const { graph, nodeById, hostOf, placed, attachers, edgesFrom } = index;
  const { column, order } = columns(graph, placed.filter((node) => !isArtifact(node)), hostOf);
  // Pools in order; leaf bands in order; nodes without a leaf band go to their pool's first leaf.
  const leafBands = graph.pools.flatMap(leaves);
  const poolOfLeaf = new Map(graph.pools.flatMap((pool) => leaves(pool).map((leaf) => [leaf.id, pool.id] as const)));
  const ownBand = (node: GraphNode) => (poolOfLeaf.has(node.band) ? node.band : leaves(graph.pools.find((pool) => pool.id === node.band) ?? graph.pools[0])[0].id);
  // An artifact's partner: the first flow node it is associated with.
  const partnerOf = new Map<string, string>();
  for (const edge of graph.edges) {
    if (edge.kind !== 'association') continue;
    for (const [artifact, partner] of [[edge.source, edge.target], [edge.target, edge.source]]) {
      const node = nodeById.get(artifact);
      const other = nodeById.get(partner);
      if (node && isArtifact(node) && !partnerOf.has(artifact) && other && !isArtifact(other)) partnerOf.set(artifact, hostOf(partner));
    }
  }
  const bandOf = (node: GraphNode): string => {
    const partner = nodeById.get(partnerOf.get(node.id) ?? '');
    return ownBand(partner ?? node);
  };
  for (const node of placed) {
    if (!isArtifact(node)) continue;
    column.set(node.id, column.get(partnerOf.get(node.id) ?? '') ?? 0);
    order.push(node.id);
  }
  const columnOf = (node: GraphNode) => column.get(node.id) ?? 0;

  const rowsInBand = new Map<string, Grid>(leafBands.map((band) => [band.id, new Grid()]));
  const bandRows = new Map<string, number>(leafBands.map((band) => [band.id, 1]));
  const localRow = new Map<string, number>();
  const leadsTo = new Map<string, string>();
  for (const edge of graph.edges) {
    if (edge.kind === 'sequence' && !leadsTo.has(edge.target) && nodeById.has(edge.source)) leadsTo.set(edge.target, hostOf(edge.source));
  }
  for (const [artifact, partner] of partnerOf) leadsTo.set(artifact, partner);
  // Nodes that no flow touches (an event subprocess, a task drawn for reference) go in a row of
  // their own under their lane, side by side, where a wide one does not widen a column.
  const linked = new Set<string>(partnerOf.values());
  for (const edge of graph.edges) if (edge.kind !== 'association') for (const end of [edge.source, edge.target]) linked.add(hostOf(end));
  const isolated = new Set(placed.filter((node) => !isArtifact(node) && !linked.has(node.id)).map((node) => node.id));
  for (const id of order) {
    const node = nodeById.get(id);
    if (!node || isolated.has(id)) continue;
    const band = bandOf(node);
    const grid = rowsInBand.get(band) as Grid;
    const fromNode = nodeById.get(leadsTo.get(id) ?? '');
    const fromRow = fromNode && bandOf(fromNode) === band ? localRow.get(fromNode.id) : undefined;
    let col = columnOf(node);
    let row = fromRow ?? 0;
    if (isArtifact(node) && fromRow !== undefined) {
      // Right below or right above its partner (or diagonally), so that the association crosses nothing.
      const near = [[1, 0], [-1, 0], [1, 1], [-1, 1], [1, -1], [-1, -1]].map(([dr, dc]) => ({ row: fromRow + dr, col: col + dc })).find((cell) => cell.col >= 0 && !grid.taken(cell.row, cell.col));
      const cell = near ?? { row: fromRow + 1, col };
      row = cell.row;
      col = cell.col;
      column.set(id, col);
    } else if (fromRow !== undefined && (attachers.get(fromNode?.id ?? '') ?? []).some((n) => (edgesFrom.get(n.id) ?? []).some((e) => e.target === id))) {
      row = fromRow + 1;
    }
    while (grid.taken(row, col)) row++;
    grid.put({ row, col });
    localRow.set(id, row);
    // Keep the cells below a host free for the flow that leaves its boundary event towards this node.
    if (fromNode && fromRow !== undefined && row > fromRow && attachers.has(fromNode.id)) for (let r = fromRow + 1; r <= row; r++) grid.keep({ row: r, col: columnOf(fromNode) });
    // Keep the cells a straight flow from the node that led here runs through.
    if (fromNode && fromRow === row) for (let c = columnOf(fromNode) + 1; c < col; c++) grid.keep({ row, col: c });
  }
  for (const band of leafBands) {
    // Rows start at 0 in every band (an artifact may have gone above its partner's row).
    const inBand = placed.filter((node) => bandOf(node) === band.id && localRow.has(node.id));
    if (inBand.length) {
      const top = Math.min(...inBand.map((node) => localRow.get(node.id) as number));
      for (const node of inBand) localRow.set(node.id, (localRow.get(node.id) as number) - top);
      bandRows.set(band.id, Math.max(...inBand.map((node) => localRow.get(node.id) as number)) + 1);
    }
    const loose = placed.filter((node) => isolated.has(node.id) && bandOf(node) === band.id);
    if (!loose.length) continue;
    const row = inBand.length ? (bandRows.get(band.id) ?? 1) : 0;
    for (const node of loose) localRow.set(node.id, row);
    bandRows.set(band.id, row + 1);
  }

  // Global rows: the leaf bands one below the other.
  const bandFirstRow = new Map<string, number>();
  let rows = 0;
  for (const band of leafBands) {
    bandFirstRow.set(band.id, rows);
    rows += bandRows.get(band.id) ?? 1;
  }
  const cellOf = new Map<string, Cell>();
  const grid = new Grid();
  for (const node of placed) {
    const cell = { row: (bandFirstRow.get(bandOf(node)) ?? 0) + (localRow.get(node.id) ?? 0), col: columnOf(node) };
    cellOf.set(node.id, cell);
    if (!isolated.has(node.id)) grid.put(cell);
  }
  for (const node of graph.nodes) if (node.attachedTo && cellOf.has(node.attachedTo)) cellOf.set(node.id, cellOf.get(node.attachedTo) as Cell);
  return { cellOf, grid, isolated, leafBands, poolOfLeaf, bandOf, bandFirstRow, bandRows, rows };
}

/** Sizes and positions: of columns, rows, nodes and bands. */
interface Geometry {
  columnX: number[];
  widths: number[];
  gaps: number[];
  rowY: number[];
  rowHeights: number[];
  poolOfRow: string[];
  boxes: Map<string, Box>;
  bandBoxes: Map<string, Box>;
  poolRows: Map<string, [number, number]>;
}

/**
 * Column widths from their widest node, with a gap after each that makes room for its flows'
 * names; row heights from their tallest node (a black-box pool's row is empty); then the boxes of
 * nodes (boundary events spread along their host's bottom) and of bands.
 */
function measure(index: Indexed, placement: Placement): Geometry {
  const { graph, placed, attachers } = index;
  const { cellOf, grid, isolated, leafBands, poolOfLeaf, bandOf, bandFirstRow, bandRows, rows } = placement;
  const columnCount = Math.max(1, ...[...cellOf.values()].map((cell) => cell.col + 1));
  const widths = Array.from({ length: columnCount }, () => 36);
  const gaps = Array.from({ length: columnCount }, () => COLUMN_GAP);
  for (const node of placed) {
    const cell = cellOf.get(node.id) as Cell;
    if (!isolated.has(node.id)) widths[cell.col] = Math.max(widths[cell.col], node.width);
  }
  for (const edge of graph.edges) {
    const source = cellOf.get(edge.source);
    if (edge.label && source) gaps[source.col] = Math.max(gaps[source.col], labelSize(edge.label).width + 16);
  }
  const headers = Math.max(...graph.pools.map((pool) => (pool.drawn ? 1 : 0) + depth(pool))) * BAND_HEADER;
  const columnX: number[] = [];
  let x = headers + MARGIN;
  for (let c = 0; c < columnCount; c++) {
    columnX.push(x);
    x += widths[c] + gaps[c];
  }
  // Isolated nodes side by side from the first column; each takes the cells of the columns it spans.
  const looseX = new Map<string, number>();
  const nextX = new Map<number, number>();
  for (const node of placed.filter((candidate) => isolated.has(candidate.id))) {
    const cell = cellOf.get(node.id) as Cell;
    const left = nextX.get(cell.row) ?? columnX[0];
    looseX.set(node.id, left);
    nextX.set(cell.row, left + node.width + COLUMN_GAP);
    for (let c = 0; c < columnCount; c++) {
      if (columnX[c] - gaps[Math.max(0, c - 1)] / 2 < left + node.width && columnX[c] + widths[c] + gaps[c] / 2 > left) grid.put({ row: cell.row, col: c });
    }
  }
  const contentRight = Math.max(x - gaps[columnCount - 1], ...[...nextX.values()].map((right) => right - COLUMN_GAP)) + MARGIN;

  // Row tops: a pool boundary adds the gap between pools.
  const poolOfRow: string[] = [];
  for (const band of leafBands) for (let r = 0; r < (bandRows.get(band.id) ?? 1); r++) poolOfRow.push(poolOfLeaf.get(band.id) as string);
  const filledPools = new Set(placed.map((node) => poolOfLeaf.get(bandOf(node))));
  const rowHeights = poolOfRow.map((pool): number => (filledPools.has(pool) ? ROW_HEIGHT : 0));
  for (const node of placed) {
    const { row } = cellOf.get(node.id) as Cell;
    // Boundary events hang below their host: its row keeps room for them and their names above the street below.
    rowHeights[row] = Math.max(rowHeights[row], node.height + (attachers.has(node.id) ? 2 * HOST_OVERHANG : 0));
  }
  const rowY: number[] = [];
  let y = MARGIN;
  for (let r = 0; r < rows; r++) {
    if (r > 0) y += ROW_GAP + (poolOfRow[r] !== poolOfRow[r - 1] ? POOL_GAP : 0);
    rowY.push(y);
    y += rowHeights[r];
  }

  const boxes = new Map<string, Box>();
  for (const node of placed) {
    const cell = cellOf.get(node.id) as Cell;
    const cx = looseX.has(node.id) ? (looseX.get(node.id) as number) + node.width / 2 : columnX[cell.col] + widths[cell.col] / 2;
    const cy = rowY[cell.row] + rowHeights[cell.row] / 2;
    boxes.set(node.id, { x: Math.round(cx - node.width / 2), y: Math.round(cy - node.height / 2), width: node.width, height: node.height });
  }
  for (const host of placed) {
    const attached = attachers.get(host.id) ?? [];
    const box = boxes.get(host.id) as Box;
    attached.forEach((node, i) => {
      const cx = box.x + (box.width * (i + 1)) / (attached.length + 1);
      boxes.set(node.id, { x: Math.round(cx - node.width / 2), y: box.y + box.height - node.height / 2, width: node.width, height: node.height });
    });
  }

  // Bands: each leaf spans its rows; parents span their children; all span the content's width.
  const bandBoxes = new Map<string, Box>();
  const bandBox = (band: GraphBand, level: number): Box => {
    const left = level * BAND_HEADER + MARGIN / 2;
    let box: Box;
    if (!band.children.length) {
      const first = bandFirstRow.get(band.id) ?? 0;
      const last = first + (bandRows.get(band.id) ?? 1) - 1;
      const top = rowY[first] - ROW_GAP / 2;
      box = { x: left, y: top, width: contentRight - left, height: rowY[last] + rowHeights[last] + ROW_GAP / 2 - top };
    } else {
      const children = band.children.map((child) => bandBox(child, level + 1));
      const top = Math.min(...children.map((child) => child.y));
      box = { x: left, y: top, width: contentRight - left, height: Math.max(...children.map((child) => child.y + child.height)) - top };
    }
    if (band.drawn) bandBoxes.set(band.id, box);
    return box;
  };
  const poolRows = new Map<string, [number, number]>();
  for (const pool of graph.pools) {
    const poolLeaves = leaves(pool);
    const first = bandFirstRow.get(poolLeaves[0].id) ?? 0;
    poolRows.set(pool.id, [first, first + poolLeaves.reduce((sum, leaf) => sum + (bandRows.get(leaf.id) ?? 1), 0) - 1]);
    bandBox(pool, 0);
  }
  return { columnX, widths, gaps, rowY, rowHeights, poolOfRow, boxes, bandBoxes, poolRows };
}

/**
 * Every flow's waypoints (bpmn-routes.ts), message flows first: they take the sides towards the
 * other pools, and flows back to an earlier column keep clear of them. Returns the sides of each
 * node that flows use, where its label must not go.
 */
function routeFlows(index: Indexed, placement: Placement, geometry: Geometry): { routes: Array<{ edge: GraphEdge; waypoints: Point[] }>; sides: Map<string, Set<string>> } {
  const { graph, nodeById, edgesFrom, edgesInto } = index;
  const { cellOf, grid } = placement;
  const { boxes, bandBoxes, poolRows } = geometry;
  const router = new Router(grid, geometry.columnX, geometry.widths, geometry.gaps, geometry.rowY, geometry.rowHeights, geometry.poolOfRow);
  const sides = new Map<string, Set<string>>();
  const useSide = (id: string, side: string) => sides.set(id, (sides.get(id) ?? new Set()).add(side));
  const messageBottoms = new Set<string>();
  // Where along its top or bottom each message flow meets a node or pool: one in the middle,
  // several spread out; at a bottom with boundary events, to their right.
  const rowOf = (id: string) => cellOf.get(id)?.row ?? poolRows.get(id)?.[0] ?? 0;
  const slots = new Map<string, string[]>();
  const betweenPools = (edge: GraphEdge) => !cellOf.has(edge.source) && !cellOf.has(edge.target) && `${[edge.source, edge.target].sort().join(' ')} pair`;
  for (const edge of graph.edges) {
    if (edge.kind !== 'message') continue;
    const pair = betweenPools(edge);
    if (pair) {
      push(slots, pair, edge.id);
      continue;
    }
    const down = rowOf(edge.target) > rowOf(edge.source);
    push(slots, `${edge.source} ${down ? 'bottom' : 'top'}`, edge.id);
    push(slots, `${edge.target} ${down ? 'top' : 'bottom'}`, edge.id);
  }
  const at = (id: string, edge: GraphEdge) => {
    const pair = betweenPools(edge);
    if (pair) return ((slots.get(pair) ?? []).indexOf(edge.id) + 1) / ((slots.get(pair)?.length ?? 0) + 1);
    const side = [...slots.keys()].find((key) => key.startsWith(`${id} `) && slots.get(key)?.includes(edge.id))?.split(' ')[1] ?? 'top';
    const list = slots.get(`${id} ${side}`) ?? [edge.id];
    const hung = side === 'bottom' ? (index.attachers.get(id)?.length ?? 0) : 0;
    const from = hung / (hung + 1);
    return from + ((1 - from) * (list.indexOf(edge.id) + 1)) / (list.length + 1);
  };
  for (const host of index.attachers.keys()) useSide(host, 'bottom');
  const sequenceCount = (edges: GraphEdge[] | undefined) => (edges ?? []).filter((edge) => edge.kind === 'sequence').length;
  const routes: Array<{ edge: GraphEdge; waypoints: Point[] }> = [];
  const rank = { message: 0, sequence: 1, association: 2 };
  for (const edge of [...graph.edges].sort((a, b) => rank[a.kind] - rank[b.kind])) {
    const [source, target] = [boxes.get(edge.source), boxes.get(edge.target)];
    const [sourceCell, targetCell] = [cellOf.get(edge.source), cellOf.get(edge.target)];
    let waypoints: Point[] | undefined;
    if (source && target && sourceCell && targetCell) {
      if (edge.kind === 'message') waypoints = router.message(source, sourceCell, target, targetCell, { source: at(edge.source, edge), target: at(edge.target, edge) });
      else if (edge.kind === 'association') {
        // Straight when no node lies in between, else along the streets like a sequence flow.
        const open = sourceCell.row === targetCell.row || grid.clear(between(sourceCell.row, targetCell.row), [Math.min(sourceCell.col, targetCell.col), Math.max(sourceCell.col, targetCell.col)]);
        waypoints = open ? router.association(source, target) : router.sequence(source, sourceCell, target, targetCell, { attached: false, split: false, join: false });
      } else {
        waypoints = router.sequence(source, sourceCell, target, targetCell, {
          attached: Boolean(nodeById.get(edge.source)?.attachedTo),
          split: sequenceCount(edgesFrom.get(edge.source)) > 1,
          join: sequenceCount(edgesInto.get(edge.target)) > 1,
          // A bottom that holds boundary events, or that a message flow uses, is not for sequence flows.
          sourceBottom: !index.attachers.has(edge.source) && !messageBottoms.has(edge.source),
          targetBottom: !index.attachers.has(edge.target) && !messageBottoms.has(edge.target),
        });
      }
    } else if (edge.kind === 'message') {
      // A message flow from or to a pool drawn without its process (a black box).
      const [sourcePool, targetPool] = [bandBoxes.get(edge.source), bandBoxes.get(edge.target)];
      const [sourceRows, targetRows] = [poolRows.get(edge.source), poolRows.get(edge.target)];
      if (source && sourceCell && targetPool && targetRows) waypoints = router.toPool(source, sourceCell, targetPool, targetRows, at(edge.source, edge));
      else if (target && targetCell && sourcePool && sourceRows) waypoints = router.toPool(target, targetCell, sourcePool, sourceRows, at(edge.target, edge)).reverse();
      else if (sourcePool && targetPool) {
        const x = Math.round(sourcePool.x + sourcePool.width * at(edge.source, edge));
        waypoints = sourcePool.y < targetPool.y ? [{ x, y: sourcePool.y + sourcePool.height }, { x, y: targetPool.y }] : [{ x, y: sourcePool.y }, { x, y: targetPool.y + targetPool.height }];
      }
    }
    if (!waypoints) continue;
    waypoints = dedupe(waypoints);
    const [first, last] = [source && sideOf(source, waypoints[0]), target && sideOf(target, waypoints[waypoints.length - 1])];
    if (first) useSide(edge.source, first);
    if (last) useSide(edge.target, last);
    if (edge.kind === 'message' && first === 'bottom') messageBottoms.add(edge.source);
    if (edge.kind === 'message' && last === 'bottom') messageBottoms.add(edge.target);
    routes.push({ edge, waypoints });
  }
  return { routes, sides };
}

function layoutFlat(graph: LayoutGraph): Layout {
  const index = indexGraph(graph);
  const placement = placeCells(index);
  const geometry = measure(index, placement);
  const { routes, sides } = routeFlows(index, placement, geometry);

  const shapes: Layout['shapes'] = graph.nodes
    .filter((node) => geometry.boxes.has(node.id))
    .map((node) => {
      const box = geometry.boxes.get(node.id) as Box;
      if (!node.label) return { id: node.id, bounds: box };
      const size = labelSize(node.label);
      if (node.attachedTo) {
        // Beside the flow that leaves the event downwards: left of it for the first of several events, else right.
        const attached = index.attachers.get(node.attachedTo) ?? [];
        const cx = box.x + box.width / 2;
        const left = attached.length > 1 && attached[0] === node;
        return { id: node.id, bounds: box, label: { x: Math.round(left ? cx - 4 - size.width : cx + 4), y: box.y + box.height + 2, ...size } };
      }
      return { id: node.id, bounds: box, label: nodeLabel(box, size, sides.get(node.id) ?? new Set()) };
    });

  // A flow's name goes on a segment it shares with no flow from its source or into its target, clear of nodes and labels.
  const obstacles = shapes.flatMap((shape) => [shape.bounds, ...(shape.label ? [shape.label] : [])]);
  const routeOf = new Map(routes.map((route) => [route.edge, route.waypoints]));
  const edges: Layout['edges'] = routes.map(({ edge, waypoints }) => {
    if (!edge.label) return { id: edge.id, waypoints };
    const neighbours = new Set([...(index.edgesFrom.get(edge.source) ?? []), ...(index.edgesInto.get(edge.target) ?? [])]);
    neighbours.delete(edge);
    const siblings = [...neighbours].flatMap((other) => (routeOf.has(other) ? [routeOf.get(other) as Point[]] : []));
    const label = flowLabel(waypoints, labelSize(edge.label), siblings, obstacles);
    obstacles.push(label);
    return { id: edge.id, waypoints, label };
  });
  return { shapes, bands: [...geometry.bandBoxes].map(([id, bounds]) => ({ id, bounds })), edges };
}
