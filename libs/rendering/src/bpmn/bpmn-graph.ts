import { annotationSize } from './bpmn-labels';
import type { GraphBand, Layout, LayoutGraph, NodeKind } from './bpmn-layout';
import { attributeOf as attribute, childrenOf, textsOf, type XmlChild, type XmlNode } from './bpmn-xml';
// The id of the diagram the layout adds; the page shows it rather than an empty diagram of the source.
import { LAYOUT_DIAGRAM_ID } from './page/page-types';

/**
 * Reads what a BPMN document without DI draws into a graph for bpmn-layout.ts, and writes the
 * layout back as a BPMNDiagram. Flows are taken from their sourceRef and targetRef, never from
 * `<incoming>`/`<outgoing>`, which are optional in BPMN (bpmn-auto-layout followed only those, so
 * a source without them came out as one column of unconnected nodes).
 */

const SIZES: Record<NodeKind, [number, number]> = { task: [100, 80], gateway: [50, 50], event: [36, 36], data: [36, 50], annotation: [100, 30] };

function kindOf(local: string): NodeKind | null {
  if (/Gateway$/.test(local)) return 'gateway';
  if (/Event$/.test(local)) return 'event';
  if (/(^t|T)ask$|^(callActivity|subProcess|transaction|adHocSubProcess)$/.test(local)) return 'task';
  if (local === 'dataObjectReference' || local === 'dataStoreReference') return 'data';
  if (local === 'textAnnotation') return 'annotation';
  return null;
}

const decode = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&#(x?)([0-9a-f]+);/gi, (_, hex, code) => String.fromCodePoint(Number.parseInt(code, hex ? 16 : 10))).replace(/&amp;/g, '&');
const named = (node: XmlNode) => {
  const name = attribute(node, 'name');
  return name?.trim() ? decode(name) : undefined;
};
const firstText = (node: XmlNode, local: string) => textsOf(node, local).map((text) => text.trim()).find(Boolean);

export interface BpmnGraph extends LayoutGraph {
  /** The element the diagram's plane shows: the collaboration, or the one process. */
  planeElement: string;
  /** Shapes that take BPMN DI flags: exclusive gateways show their marker, pools and lanes lie horizontally. */
  flags: Map<string, string>;
}

/**
 * The graph of one process (or a subprocess's contents) drawn in `pool` (its lanes below it), with
 * its flows, data and annotations, into `graph`; a subprocess with contents gets its own graph,
 * laid out inside it.
 */
function readProcess(process: XmlChild, pool: GraphBand, graph: LayoutGraph, flags: Map<string, string>): void {
  const children = childrenOf(process.node, {});
  const laneOf = new Map<string, string>();
  const readLanes = (parent: XmlNode): GraphBand[] =>
    childrenOf(parent, {})
      .filter((child) => child.local === 'lane' && attribute(child.node, 'id'))
      .map((lane) => {
        const id = attribute(lane.node, 'id') as string;
        const nested = childrenOf(lane.node, {}).filter((child) => child.local === 'childLaneSet');
        const sub = nested.flatMap((set) => readLanes(set.node));
        if (!sub.length) for (const ref of textsOf(lane.node, 'flowNodeRef')) if (!laneOf.has(ref.trim())) laneOf.set(ref.trim(), id);
        flags.set(id, 'isHorizontal="true"');
        return { id, drawn: true, children: sub };
      });
  const laneSets = children.filter((child) => child.local === 'laneSet');
  pool.children = laneSets.flatMap((set) => readLanes(set.node));

  for (const child of children) {
    const id = attribute(child.node, 'id');
    if (!id) continue;
    const kind = kindOf(child.local);
    if (kind) {
      const { width, height } = kind === 'annotation' ? annotationSize(firstText(child.node, 'text') ?? '') : { width: SIZES[kind][0], height: SIZES[kind][1] };
      // Events, gateways and data carry their names outside the shape, where the layout keeps room for them.
      const label = kind === 'event' || kind === 'gateway' || kind === 'data' ? named(child.node) : undefined;
      const attachedTo = child.local === 'boundaryEvent' ? attribute(child.node, 'attachedToRef') : undefined;
      let inner: LayoutGraph | undefined;
      if (kind === 'task' && /^(subProcess|transaction|adHocSubProcess)$/.test(child.local)) {
        const contents: LayoutGraph = { pools: [{ id, drawn: false, children: [] }], nodes: [], edges: [] };
        readProcess(child, contents.pools[0], contents, flags);
        if (contents.nodes.length) inner = contents;
        flags.set(id, `isExpanded="${inner ? 'true' : 'false'}"`);
      }
      graph.nodes.push({ id, kind, width, height, band: laneOf.get(id) || pool.id, ...(label ? { label } : {}), ...(attachedTo ? { attachedTo } : {}), ...(inner ? { inner } : {}) });
      if (child.local === 'exclusiveGateway') flags.set(id, 'isMarkerVisible="true"');
      // Data associations live inside their activity: the data is the source of an input, the target of an output.
      for (const association of childrenOf(child.node, {}).filter((inner) => /^data(Input|Output)Association$/.test(inner.local))) {
        const associationId = attribute(association.node, 'id');
        const data = firstText(association.node, association.local === 'dataInputAssociation' ? 'sourceRef' : 'targetRef');
        if (associationId && data) graph.edges.push({ id: associationId, kind: 'association', source: association.local === 'dataInputAssociation' ? data : id, target: association.local === 'dataInputAssociation' ? id : data });
      }
    } else {
      const [source, target] = [attribute(child.node, 'sourceRef'), attribute(child.node, 'targetRef')];
      if (!source || !target) continue;
      if (child.local === 'sequenceFlow') graph.edges.push({ id, kind: 'sequence', source, target, ...(named(child.node) ? { label: named(child.node) } : {}) });
      else if (child.local === 'association') graph.edges.push({ id, kind: 'association', source, target });
    }
  }
}

/**
 * The graph of a document's collaboration (its pools in order, each with its process) or of its
 * one process. Returns a sentence naming what cannot be drawn when a pool's process is missing or
 * shared.
 */
export function readGraph(collaborations: XmlChild[], processes: XmlChild[]): BpmnGraph | string {
  const graph: BpmnGraph = { pools: [], nodes: [], edges: [], planeElement: '', flags: new Map() };
  const processById = new Map(processes.map((process) => [attribute(process.node, 'id') ?? '', process]));
  if (collaborations.length) {
    const collaboration = collaborations[0];
    graph.planeElement = attribute(collaboration.node, 'id') ?? '';
    const children = childrenOf(collaboration.node, {});
    const poolOfProcess = new Map<string, string>();
    for (const participant of children.filter((child) => child.local === 'participant')) {
      const id = attribute(participant.node, 'id');
      if (!id) continue;
      const pool: GraphBand = { id, drawn: true, children: [] };
      graph.flags.set(id, 'isHorizontal="true"');
      graph.pools.push(pool);
      const processRef = attribute(participant.node, 'processRef');
      if (processRef) {
        const process = processById.get(processRef);
        if (!process) return `participant ${id} refers to process ${processRef}, which the document does not have`;
        const other = poolOfProcess.get(processRef);
        if (other) return `participants ${other} and ${id} both refer to process ${processRef}, which can be drawn in one pool only`;
        poolOfProcess.set(processRef, id);
        readProcess(process, pool, graph, graph.flags);
      }
    }
    if (!graph.pools.length) return 'its collaboration has no participant with an id';
    for (const child of children) {
      const id = attribute(child.node, 'id');
      const [source, target] = [attribute(child.node, 'sourceRef'), attribute(child.node, 'targetRef')];
      if (!id) continue;
      if (child.local === 'messageFlow' && source && target) graph.edges.push({ id, kind: 'message', source, target, ...(named(child.node) ? { label: named(child.node) } : {}) });
      else if (child.local === 'association' && source && target) graph.edges.push({ id, kind: 'association', source, target });
      else if (child.local === 'textAnnotation') {
        const { width, height } = annotationSize(firstText(child.node, 'text') ?? '');
        const partner = children.find((other) => other.local === 'association' && (attribute(other.node, 'sourceRef') === id || attribute(other.node, 'targetRef') === id));
        const partnerId = partner && (attribute(partner.node, 'sourceRef') === id ? attribute(partner.node, 'targetRef') : attribute(partner.node, 'sourceRef'));
        const band = graph.nodes.find((node) => node.id === partnerId)?.band ?? graph.pools[0].id;
        graph.nodes.push({ id, kind: 'annotation', width, height, band });
      }
    }
  } else {
    const process = processes[0];
    graph.planeElement = attribute(process.node, 'id') ?? '';
    const pool: GraphBand = { id: graph.planeElement, drawn: false, children: [] };
    graph.pools.push(pool);
    readProcess(process, pool, graph, graph.flags);
  }
  // A message flow may end at a pool itself (a participant without a process), or inside a subprocess.
  const known = new Set<string>(graph.pools.map((pool) => pool.id));
  const collect = (nodes: LayoutGraph['nodes']): void => {
    for (const node of nodes) {
      known.add(node.id);
      if (node.inner) collect(node.inner.nodes);
    }
  };
  collect(graph.nodes);
  graph.edges = graph.edges.filter((edge) => known.has(edge.source) && known.has(edge.target));
  return graph;
}

const escape = (value: string) => value.replace(/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/gi, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const bounds = (box: { x: number; y: number; width: number; height: number }) => `<dc:Bounds x="${Math.round(box.x)}" y="${Math.round(box.y)}" width="${Math.round(box.width)}" height="${Math.round(box.height)}"/>`;

/** The layout as a BPMNDiagram element that declares its own prefixes, to insert into the source. */
export function diagramXml(graph: BpmnGraph, layout: Layout): string {
  const out: string[] = [];
  const di = (id: string) => `${escape(id)}_fs_di`;
  const flags = (id: string) => (graph.flags.has(id) ? ` ${graph.flags.get(id)}` : '');
  const label = (box?: { x: number; y: number; width: number; height: number }) => (box ? `<bpmndi:BPMNLabel>${bounds(box)}</bpmndi:BPMNLabel>` : '');
  for (const band of layout.bands) out.push(`<bpmndi:BPMNShape id="${di(band.id)}" bpmnElement="${escape(band.id)}"${flags(band.id)}>${bounds(band.bounds)}</bpmndi:BPMNShape>`);
  for (const shape of layout.shapes) out.push(`<bpmndi:BPMNShape id="${di(shape.id)}" bpmnElement="${escape(shape.id)}"${flags(shape.id)}>${bounds(shape.bounds)}${label(shape.label)}</bpmndi:BPMNShape>`);
  for (const edge of layout.edges) {
    const points = edge.waypoints.map((point) => `<di:waypoint x="${Math.round(point.x)}" y="${Math.round(point.y)}"/>`).join('');
    out.push(`<bpmndi:BPMNEdge id="${di(edge.id)}" bpmnElement="${escape(edge.id)}">${points}${label(edge.label)}</bpmndi:BPMNEdge>`);
  }
  return (
    `<bpmndi:BPMNDiagram id="${LAYOUT_DIAGRAM_ID}" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI">` +
    `<bpmndi:BPMNPlane id="fs_layout_plane" bpmnElement="${escape(graph.planeElement)}">${out.join('')}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>`
  );
}
