import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspectBpmn } from './bpmn-source';
import { labelSize } from './bpmn-labels';

const CORPUS = join(__dirname, '../../test/corpus/bpmn');
const FILES = readdirSync(CORPUS).filter((file) => file.endsWith('.bpmn')).sort();

/** The corpus file as a source without DI and without `<incoming>`/`<outgoing>` (valid BPMN: both are optional). */
function bare(file: string): string {
  return readFileSync(join(CORPUS, file), 'utf8')
    .replace(/<bpmndi:BPMNDiagram[\s\S]*<\/bpmndi:BPMNDiagram>\s*/, '')
    .replace(/<(\w+:)?(incoming|outgoing)>[^<]*<\/(\w+:)?(incoming|outgoing)>/g, '');
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const boundsOf = (text: string): Box => {
  const [x, y, width, height] = ['x', 'y', 'width', 'height'].map((name) => Number(new RegExp(`\\b${name}="(-?[\\d.]+)"`).exec(text)?.[1]));
  return { x, y, width, height };
};

/** The laid-out diagram, read back from the DI that inspectBpmn added. */
function laidOut(source: string) {
  const inspected = inspectBpmn(source);
  if (!inspected.ok) throw new Error(inspected.error.message);
  const xml = inspected.value.xml;
  const shapes = [...xml.matchAll(/<bpmndi:BPMNShape id="[^"]*" bpmnElement="([^"]+)"([^>]*)>(<dc:Bounds[^>]*>)(?:<bpmndi:BPMNLabel>(<dc:Bounds[^>]*>))?/g)].map((match) => ({
    id: match[1],
    band: match[2].includes('isHorizontal'),
    box: boundsOf(match[3]),
    label: match[4] ? boundsOf(match[4]) : undefined,
  }));
  const edges = [...xml.matchAll(/<bpmndi:BPMNEdge id="[^"]*" bpmnElement="([^"]+)">((?:<di:waypoint[^>]*>)+)(?:<bpmndi:BPMNLabel>(<dc:Bounds[^>]*>))?/g)].map((match) => ({
    id: match[1],
    points: [...match[2].matchAll(/x="(-?[\d.]+)" y="(-?[\d.]+)"/g)].map((point) => ({ x: Number(point[1]), y: Number(point[2]) })),
    label: match[3] ? boundsOf(match[3]) : undefined,
  }));
  return { xml, shapes, edges };
}

/** Flows in the source: [id, sourceRef, targetRef, name]. */
function flowsOf(source: string, kinds = 'sequenceFlow|messageFlow'): Array<{ id: string; from: string; to: string; name?: string }> {
  return [...source.matchAll(new RegExp(`<(?:\\w+:)?(?:${kinds})\\b([^>]*)>`, 'g'))].map((match) => {
    const attribute = (name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(match[1])?.[1];
    return { id: attribute('id') as string, from: attribute('sourceRef') as string, to: attribute('targetRef') as string, name: attribute('name') };
  });
}

/** Whether `outer` holds `inner` whole (an expanded subprocess and its contents). */
const contains = (outer: Box, inner: Box) => outer.x <= inner.x && outer.y <= inner.y && outer.x + outer.width >= inner.x + inner.width && outer.y + outer.height >= inner.y + inner.height;
const overlaps = (a: Box, b: Box, inset = 1) => a.x + inset < b.x + b.width && b.x + inset < a.x + a.width && a.y + inset < b.y + b.height && b.y + inset < a.y + a.height;

/** Whether an axis-parallel segment runs through the inside of a box. */
function crosses(a: { x: number; y: number }, b: { x: number; y: number }, box: Box): boolean {
  const inside = (value: number, from: number, size: number) => value > from + 1 && value < from + size - 1;
  if (a.y === b.y) return inside(a.y, box.y, box.height) && Math.max(a.x, b.x) > box.x + 1 && Math.min(a.x, b.x) < box.x + box.width - 1;
  return inside(a.x, box.x, box.width) && Math.max(a.y, b.y) > box.y + 1 && Math.min(a.y, b.y) < box.y + box.height - 1;
}

describe('BPMN layout without DI (bpmn-layout.ts)', () => {
  it('measures a label as bpmn-js wraps it, at most 90 px wide', () => {
    expect(labelSize('yes').height).toBe(15);
    expect(labelSize('Application received').height).toBe(30);
    expect(labelSize('x'.repeat(200)).width).toBeLessThanOrEqual(94);
  });

  describe.each(FILES)('%s without DI and without <incoming>/<outgoing>', (file) => {
    const source = bare(file);
    const { shapes, edges } = laidOut(source);
    const attachedTo = new Map([...source.matchAll(/<(?:\w+:)?boundaryEvent\b[^>]*\bid="([^"]+)"[^>]*\battachedToRef="([^"]+)"/g)].map((match) => [match[1], match[2]]));
    const nodes = shapes.filter((shape) => !shape.band);

    it('draws every sequence and message flow, orthogonally', () => {
      const flows = flowsOf(source);
      expect(flows.length).toBeGreaterThan(3);
      expect(edges.map((edge) => edge.id)).toEqual(expect.arrayContaining(flows.map((flow) => flow.id)));
      for (const flow of flows) {
        const { points } = edges.find((edge) => edge.id === flow.id) ?? { points: [] };
        expect([flow.id, points.length >= 2]).toEqual([flow.id, true]);
        for (let i = 1; i < points.length; i++) expect([flow.id, points[i].x === points[i - 1].x || points[i].y === points[i - 1].y]).toEqual([flow.id, true]);
      }
    });

    it('runs no flow through a node, and overlaps no two nodes', () => {
      for (const flow of flowsOf(source)) {
        const { points } = edges.find((edge) => edge.id === flow.id) ?? { points: [] };
        const own = new Set([flow.from, flow.to, attachedTo.get(flow.from), attachedTo.get(flow.to)]);
        const from = nodes.find((node) => node.id === flow.from)?.box as Box;
        for (const node of nodes.filter((shape) => !own.has(shape.id) && !contains(shape.box, from))) {
          for (let i = 1; i < points.length; i++) expect([flow.id, node.id, crosses(points[i - 1], points[i], node.box)]).toEqual([flow.id, node.id, false]);
        }
      }
      for (const [i, a] of nodes.entries()) {
        for (const b of nodes.slice(i + 1)) {
          if (attachedTo.get(a.id) === b.id || attachedTo.get(b.id) === a.id || (attachedTo.has(a.id) && attachedTo.get(a.id) === attachedTo.get(b.id))) continue;
          if (contains(a.box, b.box) || contains(b.box, a.box)) continue;
          expect([a.id, b.id, overlaps(a.box, b.box)]).toEqual([a.id, b.id, false]);
        }
      }
    });

    it('places every flow name beside its flow, clear of nodes and of other labels', () => {
      const named = flowsOf(source).filter((flow) => flow.name?.trim());
      const labels = [...edges.filter((edge) => edge.label).map((edge) => ({ id: edge.id, box: edge.label as Box })), ...nodes.filter((node) => node.label).map((node) => ({ id: `${node.id} label`, box: node.label as Box }))];
      for (const flow of named) {
        const edge = edges.find((candidate) => candidate.id === flow.id);
        const label = edge?.label as Box;
        expect([flow.id, Boolean(label)]).toEqual([flow.id, true]);
        // Near the flow: within 30 px of one of its segments.
        const distance = Math.min(
          ...(edge?.points ?? []).slice(1).map((b, i) => {
            const a = (edge?.points ?? [])[i];
            const dx = Math.max(Math.min(a.x, b.x) - (label.x + label.width), label.x - Math.max(a.x, b.x), 0);
            const dy = Math.max(Math.min(a.y, b.y) - (label.y + label.height), label.y - Math.max(a.y, b.y), 0);
            return Math.hypot(dx, dy);
          }),
        );
        expect([flow.id, distance <= 30]).toEqual([flow.id, true]);
        for (const node of nodes.filter((shape) => !contains(shape.box, label))) expect([flow.id, node.id, overlaps(label, node.box)]).toEqual([flow.id, node.id, false]);
      }
      for (const [i, a] of labels.entries()) for (const b of labels.slice(i + 1)) expect([a.id, b.id, overlaps(a.box, b.box)]).toEqual([a.id, b.id, false]);
    });
  });

  it('lays out a process the same with and without <incoming>/<outgoing>', () => {
    const withLinks = readFileSync(join(CORPUS, 'returns-no-di.bpmn'), 'utf8');
    const diagram = (source: string) => /<bpmndi:BPMNDiagram[\s\S]*<\/bpmndi:BPMNDiagram>/.exec(laidOut(source).xml)?.[0];
    expect(diagram(withLinks)).toBeDefined();
    expect(diagram(bare('returns-no-di.bpmn'))).toBe(diagram(withLinks));
  });

  it('keeps the main path of a process straight and puts branches below it', () => {
    const { shapes, edges } = laidOut(readFileSync(join(CORPUS, 'loan-conditions-no-di.bpmn'), 'utf8'));
    const y = (id: string) => shapes.find((shape) => shape.id === id)?.box;
    const mid = (id: string) => (y(id)?.y ?? 0) + (y(id)?.height ?? 0) / 2;
    for (const id of ['Loan_Start', 'Loan_Check', 'Loan_Complete', 'Loan_Score', 'Loan_Amount', 'Loan_AutoApprove', 'Loan_Done']) expect([id, mid(id)]).toEqual([id, mid('Loan_Start')]);
    expect(mid('Loan_Request')).toBeGreaterThan(mid('Loan_Start'));
    expect(edges.find((edge) => edge.id === 'Loan_F1')?.points).toHaveLength(2);
  });

  it('stacks pools, with lanes as bands inside theirs and a pool without a process as a thin band', () => {
    const { shapes } = laidOut(readFileSync(join(CORPUS, 'support-pools-no-di.bpmn'), 'utf8'));
    const box = (id: string) => shapes.find((shape) => shape.id === id)?.box as Box;
    const [customer, desk, vendor] = ['Support_Customer', 'Support_Desk', 'Support_Vendor'].map(box);
    expect(customer.y + customer.height).toBeLessThan(desk.y);
    expect(desk.y + desk.height).toBeLessThan(vendor.y);
    expect(vendor.height).toBeLessThan(80);
    const [first, second] = ['Support_FirstLevel', 'Support_SecondLevel'].map(box);
    expect(first.y).toBe(desk.y);
    expect(first.y + first.height).toBe(second.y);
    expect(second.y + second.height).toBe(desk.y + desk.height);
    const inside = (id: string, band: Box) => overlaps(box(id), band, 0) && box(id).y >= band.y && box(id).y + box(id).height <= band.y + band.height;
    expect(inside('Support_Diagnose', second)).toBe(true);
    expect(inside('Support_Triage', first)).toBe(true);
    expect(inside('Support_Report', customer)).toBe(true);
  });

  it('draws a message flow to a node inside an expanded subprocess, ending on that node', () => {
    const source = `<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D">
  <bpmn:collaboration id="C"><bpmn:participant id="A" processRef="PA"/><bpmn:participant id="B"/>
    <bpmn:messageFlow id="M" sourceRef="Inner" targetRef="B"/><bpmn:messageFlow id="N" sourceRef="B" targetRef="Inner"/></bpmn:collaboration>
  <bpmn:process id="PA"><bpmn:startEvent id="S"/><bpmn:subProcess id="Sub"><bpmn:startEvent id="S2"/><bpmn:task id="Inner"/>
    <bpmn:sequenceFlow id="F2" sourceRef="S2" targetRef="Inner"/></bpmn:subProcess><bpmn:sequenceFlow id="F1" sourceRef="S" targetRef="Sub"/></bpmn:process>
</bpmn:definitions>`;
    const { shapes, edges } = laidOut(source);
    const inner = shapes.find((shape) => shape.id === 'Inner')?.box as Box;
    expect(contains(shapes.find((shape) => shape.id === 'Sub')?.box as Box, inner)).toBe(true);
    const [m, n] = ['M', 'N'].map((id) => edges.find((edge) => edge.id === id)?.points ?? []);
    expect(m[0]).toMatchObject({ y: inner.y + inner.height });
    expect(n[n.length - 1]).toMatchObject({ y: inner.y + inner.height });
    expect(m[0].x).not.toBe(n[n.length - 1].x);
  });

  it.each([
    ['two processes and no collaboration', '<bpmn:process id="A"><bpmn:task id="T1"/></bpmn:process><bpmn:process id="B"><bpmn:task id="T2"/></bpmn:process>', /2 processes and no collaboration/],
    ['two pools of one process', '<bpmn:collaboration id="C"><bpmn:participant id="P1" processRef="A"/><bpmn:participant id="P2" processRef="A"/></bpmn:collaboration><bpmn:process id="A"/>', /participants P1 and P2 both refer to process A/],
    ['a pool whose process is missing', '<bpmn:collaboration id="C"><bpmn:participant id="P" processRef="Nowhere"/></bpmn:collaboration>', /participant P refers to process Nowhere, which the document does not have/],
  ])('refuses %s, naming what is missing', (_, body, message) => {
    const inspected = inspectBpmn(`<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D">${body}</bpmn:definitions>`);
    expect(inspected.ok).toBe(false);
    if (!inspected.ok) expect(inspected.error).toMatchObject({ code: 'parse_failed', message: expect.stringMatching(message) });
  });
});

describe('BPMN layout of odd sources', () => {
  const definitions = (body: string) => `<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D">${body}</bpmn:definitions>`;

  it.each([
    ['an empty process', '<bpmn:process id="P"/>'],
    ['a flow from a node to itself', '<bpmn:process id="P"><bpmn:task id="A"/><bpmn:sequenceFlow id="F" sourceRef="A" targetRef="A"/></bpmn:process>'],
    ['a flow to a node that does not exist', '<bpmn:process id="P"><bpmn:task id="A"/><bpmn:sequenceFlow id="F" sourceRef="A" targetRef="Nowhere"/></bpmn:process>'],
    ['a cycle without a start', '<bpmn:process id="P"><bpmn:task id="A"/><bpmn:task id="B"/><bpmn:sequenceFlow id="F1" sourceRef="A" targetRef="B"/><bpmn:sequenceFlow id="F2" sourceRef="B" targetRef="A"/></bpmn:process>'],
    ['a boundary event on a missing host', '<bpmn:process id="P"><bpmn:boundaryEvent id="E" attachedToRef="Nowhere"/><bpmn:task id="A"/><bpmn:sequenceFlow id="F" sourceRef="E" targetRef="A"/></bpmn:process>'],
    ['nested lanes and a lane naming a missing node', '<bpmn:process id="P"><bpmn:laneSet id="S"><bpmn:lane id="L1" name="Outer"><bpmn:childLaneSet id="S2"><bpmn:lane id="L2" name="Inner a"><bpmn:flowNodeRef>A</bpmn:flowNodeRef></bpmn:lane><bpmn:lane id="L3" name="Inner b"><bpmn:flowNodeRef>B</bpmn:flowNodeRef><bpmn:flowNodeRef>Nowhere</bpmn:flowNodeRef></bpmn:lane></bpmn:childLaneSet></bpmn:lane></bpmn:laneSet><bpmn:task id="A"/><bpmn:task id="B"/><bpmn:sequenceFlow id="F" sourceRef="A" targetRef="B"/></bpmn:process>'],
    ['message flows between pools without processes', '<bpmn:collaboration id="C"><bpmn:participant id="A" name="A"/><bpmn:participant id="B" name="B"/><bpmn:messageFlow id="M" sourceRef="A" targetRef="B"/></bpmn:collaboration>'],
  ])('lays out %s without failing', (_, body) => {
    const inspected = inspectBpmn(definitions(body));
    expect(inspected.ok).toBe(true);
    if (inspected.ok) expect(inspected.value.xml).toContain('<bpmndi:BPMNDiagram id="fs_layout_diagram"');
  });

  it('lays out 800 nodes in a chain with branches well within a render time limit (about 0.25 s on an idle core)', () => {
    const nodes: string[] = [];
    const flows: string[] = [];
    for (let i = 0; i < 800; i++) {
      nodes.push(i % 5 === 0 ? `<bpmn:exclusiveGateway id="N${i}"/>` : `<bpmn:task id="N${i}" name="Task ${i}"/>`);
      if (i > 0) flows.push(`<bpmn:sequenceFlow id="F${i}" sourceRef="N${i - 1}" targetRef="N${i}"/>`);
      if (i % 5 === 0 && i + 3 < 800) flows.push(`<bpmn:sequenceFlow id="G${i}" name="skip" sourceRef="N${i}" targetRef="N${i + 3}"/>`);
    }
    const started = Date.now();
    const inspected = inspectBpmn(definitions(`<bpmn:process id="P">${nodes.join('')}${flows.join('')}</bpmn:process>`));
    expect(inspected.ok ? 'laid out' : inspected.error.message).toBe('laid out');
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
