import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import sharp from 'sharp';
import { THEMES as THEME_LIST } from '@flowsmith/contracts';
import { structuralFindings } from '../../test/svg-checks';
import { BrowserPool } from '../browser/browser-pool';
import type { EngineSvg } from '../engine';
import { finishSvg, isSafeSvg } from '../svg/finish-svg';
import { THEME_DEFINITIONS } from '../themes';
import { BpmnEngine, setupBpmnPage } from './bpmn-engine';
import { MAX_BPMN_DEPTH, MAX_BPMN_ELEMENTS } from './bpmn-source';

const CORPUS = join(__dirname, '../../test/corpus/bpmn');
const LABELS = JSON.parse(readFileSync(join(CORPUS, 'labels.json'), 'utf8')) as Record<string, string[]>;
const FILES = readdirSync(CORPUS).filter((file) => file.endsWith('.bpmn')).sort();
const source = (file: string) => readFileSync(join(CORPUS, file), 'utf8');
const THEMES = Object.values(THEME_DEFINITIONS);

const NAMESPACES =
  'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" ' +
  'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:bioc="http://bpmn.io/schema/bpmn/biocolor/1.0" xmlns:color="http://www.omg.org/spec/BPMN/non-normative/color/1.0"';

/** A one-process document: `tasks` as [id, name, extra DI attributes], in a row. */
function processWith(tasks: Array<[string, string, string?]>): string {
  const model = tasks.map(([id, name]) => `<bpmn:task id="${id}" name="${name}"/>`).join('');
  const shapes = tasks.map(([id, , extra], i) => `<bpmndi:BPMNShape id="${id}_di" bpmnElement="${id}"${extra ?? ''}><dc:Bounds x="${100 + 150 * i}" y="100" width="100" height="80"/></bpmndi:BPMNShape>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${NAMESPACES} id="Defs">
  <bpmn:process id="P">${model}</bpmn:process>
  <bpmndi:BPMNDiagram id="D"><bpmndi:BPMNPlane id="Plane" bpmnElement="P">${shapes}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>`;
}

/** The text a reader sees: each <text> element's tspans joined, entities decoded. */
function visibleText(svg: string): string {
  const decode = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  return [...svg.matchAll(/<text\b[^>]*>([\s\S]*?)<\/text>/g)].map((match) => decode(match[1].replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim()).join('\n');
}

/** The corpus file as a source without DI and without `<incoming>`/`<outgoing>` (valid BPMN: both are optional). */
function bare(xml: string): string {
  return xml.replace(/<bpmndi:BPMNDiagram[\s\S]*<\/bpmndi:BPMNDiagram>\s*/, '').replace(/<(\w+:)?(incoming|outgoing)>[^<]*<\/(\w+:)?(incoming|outgoing)>/g, '');
}

/** Sequence and message flows of a source, with their names. */
function flowsOf(xml: string): Array<{ id: string; name?: string }> {
  return [...xml.matchAll(/<(?:\w+:)?(?:sequenceFlow|messageFlow)\b([^>]*)>/g)].map((match) => ({
    id: /\bid="([^"]+)"/.exec(match[1])?.[1] as string,
    name: /\bname="([^"]*)"/.exec(match[1])?.[1],
  }));
}

/** Ids of the connections drawn with an arrowhead: a marker-end that refers to a marker the SVG defines. */
function arrows(svg: string): string[] {
  const markers = new Set([...svg.matchAll(/<marker id="([^"]+)"/g)].map((match) => match[1]));
  return [...svg.matchAll(/<g class="djs-element djs-connection" data-element-id="([^"]+)"[\s\S]*?(?=<g class="djs-element|$)/g)]
    .filter((match) => [...match[0].matchAll(/marker-end: url\(#([^)]+)\)/g)].some((ref) => markers.has(ref[1])))
    .map((match) => match[1]);
}

/** Relative luminance (0 black, 1 white) of a CSS rgb() colour. */
function luminance(colour: string): number {
  const [r, g, b] = (colour.match(/\d+/g) ?? []).map(Number).map((channel) => channel / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Share of pixels that are light (channel mean over 160) in the finished SVG as a PNG on the theme's background. */
async function lightShare(drawing: EngineSvg, theme = THEME_DEFINITIONS.light): Promise<number> {
  const { svg } = finishSvg(drawing, theme, { watermark: false });
  const pixels = await sharp(Buffer.from(svg)).flatten({ background: theme.background }).removeAlpha().raw().toBuffer();
  let light = 0;
  for (let i = 0; i < pixels.length; i += 3) if (pixels[i] + pixels[i + 1] + pixels[i + 2] > 3 * 160) light++;
  return light / (pixels.length / 3);
}

describe('BpmnEngine (real Chromium, bpmn-js)', () => {
  const pool = new BrowserPool({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', size: 2, maxRendersPerPage: 500, maxRendersPerBrowser: 5000, kinds: { bpmn: { setup: setupBpmnPage, eager: true } } });
  const engine = new BpmnEngine(pool, 8000);

  const draw = async (xml: string, theme = THEME_DEFINITIONS.light): Promise<EngineSvg> => {
    const result = await engine.render(xml, theme);
    if (!result.ok) throw new Error(result.error.message);
    return result.value;
  };
  const refusal = async (xml: string) => {
    const [parsed, rendered] = await Promise.all([engine.parse(xml), engine.render(xml, THEME_DEFINITIONS.light)]);
    expect(parsed).toEqual(rendered);
    if (rendered.ok) throw new Error('expected the source to be refused');
    expect(rendered.error.code).toBe('parse_failed');
    return rendered.error;
  };
  /** After a hostile input the pages must still draw a real diagram. */
  const stillRenders = async () => expect(visibleText((await draw(source('order-process.bpmn'))).svg)).toContain('Check stock');

  beforeAll(() => pool.start(), 60_000);
  afterAll(() => pool.close());

  it('has a corpus of at least six diagrams, each with labels to find', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(6);
    for (const file of FILES) expect([file, LABELS[file]?.length >= 3]).toEqual([file, true]);
  });

  describe.each(FILES)('%s', (file) => {
    it('parses, naming its diagram type', async () => {
      const parsed = await engine.parse(source(file));
      if (!parsed.ok) throw new Error(parsed.error.message);
      expect(parsed.value.diagramType).toMatch(/^bpmn:(process|collaboration)$/);
    });

    it.each(THEMES.map((theme) => [theme.id, theme] as const))('renders in %s: valid, safe, labels as text, dark when the theme is', async (_, theme) => {
      const drawing = await draw(source(file), theme);
      expect(XMLValidator.validate(drawing.svg)).toBe(true);
      expect(isSafeSvg(drawing.svg)).toBe(true);
      expect(structuralFindings(drawing.svg)).toEqual([]);
      expect(drawing.svg).not.toMatch(/<foreignObject|<script|<!DOCTYPE|http:\/\/(?!www\.w3\.org\/2000\/svg")/i);
      const text = visibleText(drawing.svg);
      for (const label of LABELS[file]) expect(text).toContain(label);
      expect(drawing.viewBox.every(Number.isFinite)).toBe(true);
      // No hairlines: task icons outlined at half a pixel failed the 3:1 contrast of WCAG 1.4.11.
      expect(drawing.svg).not.toMatch(/stroke-width: 0?\.\d+px/);

      if (theme.tone === 'dark') {
        const textFills = [...drawing.svg.matchAll(/<text\b[^>]*\bfill: (rgb\([^)]*\))/g)].map((match) => luminance(match[1]));
        expect(Math.min(...textFills)).toBeGreaterThan(0.45);
        // Only text and lines are light: no shape, pool or lane is painted in a light fill.
        expect(await lightShare(drawing, theme)).toBeLessThan(0.1);
      }
    });
  });

  it('keeps explicit colours in light themes and drops them in dark ones', async () => {
    const xml = source('invoice-events.bpmn');
    expect((await draw(xml)).svg).toContain('fill: rgb(255, 205, 210)');
    expect((await draw(xml, THEME_DEFINITIONS.dark)).svg).not.toContain('rgb(255, 205, 210)');
    expect(await lightShare(await draw(xml))).toBeGreaterThan(0.8);
  });

  it('gives equal bytes for equal sources, with ids distinct per diagram', async () => {
    const [a, b] = [await draw(source('order-process.bpmn')), await draw(source('order-process.bpmn'))];
    expect(a.svg).toBe(b.svg);
    const markerIds = (svg: string) => [...svg.matchAll(/<marker id="([^"]+)"/g)].map((match) => match[1]);
    expect(markerIds(a.svg).length).toBeGreaterThan(5);
    const other = markerIds((await draw(source('claim-subprocess.bpmn'))).svg);
    expect(markerIds(a.svg).filter((id) => other.includes(id))).toEqual([]);
  });

  it('lays out a single process without DI automatically', async () => {
    const xml = source('returns-no-di.bpmn');
    expect(xml).not.toContain('BPMNDiagram');
    const drawing = await draw(xml);
    expect(drawing.viewBox[2]).toBeGreaterThan(800);
    expect(drawing.svg.match(/djs-shape/g)?.length).toBeGreaterThan(15);
  });

  // Issue 14: flows given only by sourceRef/targetRef once came out as one column of nodes without arrows.
  const NO_DI = FILES.filter((file) => !source(file).includes('BPMNDiagram'));
  describe.each(NO_DI.flatMap((file) => THEME_LIST.map((theme) => [file, theme.id] as const)))('%s without DI or <incoming>/<outgoing>, in %s', (file, themeId) => {
    it('draws every flow with its arrowhead, and every flow name', async () => {
      const xml = bare(source(file));
      expect(xml).not.toMatch(/<(\w+:)?(incoming|outgoing)>|BPMNDiagram/);
      const drawing = await draw(xml, THEME_DEFINITIONS[themeId]);
      const flows = flowsOf(xml);
      expect(flows.length).toBeGreaterThan(5);
      expect(arrows(drawing.svg).filter((id) => flows.some((flow) => flow.id === id)).sort()).toEqual(flows.map((flow) => flow.id).sort());
      const text = visibleText(drawing.svg);
      for (const flow of flows.filter((candidate) => candidate.name)) expect(text).toContain(flow.name);
      for (const label of LABELS[file]) expect(text).toContain(label);
    });
  });

  it.each(FILES)('lays out %s with its DI and <incoming>/<outgoing> taken away, every flow drawn with its arrowhead', async (file) => {
    const xml = bare(source(file));
    const drawing = await draw(xml);
    const flows = flowsOf(xml);
    expect(arrows(drawing.svg).filter((id) => flows.some((flow) => flow.id === id)).sort()).toEqual(flows.map((flow) => flow.id).sort());
    const text = visibleText(drawing.svg);
    for (const label of LABELS[file]) expect(text).toContain(label);
  });

  it('draws the laid-out diagram of a source whose own diagram is empty, with a comment after its root', async () => {
    const xml = bare(source('loan-conditions-no-di.bpmn')).replace('</definitions>', '<bpmndi:BPMNDiagram xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" id="Empty"><bpmndi:BPMNPlane id="EmptyPlane"/></bpmndi:BPMNDiagram></definitions>\n<!-- </definitions> -->\n');
    const drawing = await draw(xml);
    expect(arrows(drawing.svg)).toHaveLength(flowsOf(xml).length);
  });

  it('lays out a collaboration without DI as pools, with lanes and message flows', async () => {
    const drawing = await draw(source('support-pools-no-di.bpmn'));
    for (const id of ['Support_Customer', 'Support_Desk', 'Support_Vendor', 'Support_FirstLevel', 'Support_SecondLevel']) expect(drawing.svg).toContain(`data-element-id="${id}"`);
    expect(arrows(drawing.svg)).toEqual(expect.arrayContaining(['Support_M_Ticket', 'Support_M_Claim', 'Support_M_Answer']));
  });

  it('refuses a collaboration without DI whose pool refers to a missing process, saying which', async () => {
    const xml = `<bpmn:definitions ${NAMESPACES} id="D">
  <bpmn:collaboration id="C"><bpmn:participant id="A" processRef="P1"/><bpmn:participant id="B" processRef="P2"/></bpmn:collaboration>
  <bpmn:process id="P1"><bpmn:task id="T1"/></bpmn:process>
</bpmn:definitions>`;
    expect((await refusal(xml)).message).toMatch(/no diagram layout.*participant B refers to process P2, which the document does not have/);
  });

  it('refuses a choreography, which bpmn-js cannot draw', async () => {
    const xml = `<bpmn:definitions ${NAMESPACES} id="D"><bpmn:choreography id="C"><bpmn:choreographyTask id="T" name="Order"/></bpmn:choreography></bpmn:definitions>`;
    expect((await refusal(xml)).message).toMatch(/choreography, which bpmn-js cannot draw/);
  });

  it('reports malformed XML with its line and column', async () => {
    const xml = source('order-process.bpmn').replace('<bpmn:endEvent id="End_Shipped"', '<bpmn:endEvent id="End_Shipped" <oops');
    const error = await refusal(xml);
    expect(error).toMatchObject({ line: expect.any(Number), column: expect.any(Number) });
    expect(error.line).toBeGreaterThan(2);
    expect(error.message).toMatch(/not well-formed XML \(line \d+, column \d+\)/);
    await stillRenders();
  });

  it.each([
    ['an SVG document', '<svg xmlns="http://www.w3.org/2000/svg"><rect width="10" height="10"/></svg>', /root element is <svg>/],
    ['definitions in another namespace', '<definitions xmlns="http://example.com/not-bpmn"><process id="P"/></definitions>', /not BPMN 2\.0/],
    ['BPMN without any process', `<bpmn:definitions ${NAMESPACES} id="D"><bpmn:message id="M"/></bpmn:definitions>`, /no process, collaboration or choreography/],
    ['plain text', 'flowchart TD\n  A --> B', /not well-formed XML/],
  ])('refuses %s clearly', async (_, xml, message) => {
    expect((await refusal(xml)).message).toMatch(message);
  });

  it.each([
    ['XXE (external entity)', `<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<bpmn:definitions ${NAMESPACES}><bpmn:process id="P"><bpmn:task id="T" name="&xxe;"/></bpmn:process></bpmn:definitions>`],
    ['billion laughs', `<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n<bpmn:definitions ${NAMESPACES}><bpmn:process id="P"><bpmn:task id="T" name="&lol3;"/></bpmn:process></bpmn:definitions>`],
    ['an entity without a DOCTYPE line', processWith([['T', 'x']]).replace('<bpmn:definitions', '<!ENTITY x "y">\n<bpmn:definitions')],
  ])('refuses %s before parsing', async (_, xml) => {
    const error = await refusal(xml);
    expect(error.message).toMatch(/may not declare a document type or entities/);
    expect(error.line).toBe(2);
    await stillRenders();
  });

  it('draws a label that holds markup as harmless escaped text, and drops colours and ids that could reach out', async () => {
    const xml = processWith([
      ['T1', '&lt;script&gt;alert(1)&lt;/script&gt;'],
      ['T2', '&lt;img src=x onerror=alert(2)&gt;', ' bioc:fill="url(http://attacker.test/p.svg#a)" bioc:stroke="var(--x, url(http://attacker.test/s))"'],
      ['T3', 'Odd colours', ' color:background-color="red;background:url(http://attacker.test/b)" color:border-color="#0d4372"'],
      ['T4 onload=alert(3)', 'Odd id'],
    ]);
    const drawing = await draw(xml);
    expect(isSafeSvg(drawing.svg)).toBe(true);
    expect(structuralFindings(drawing.svg)).toEqual([]);
    expect(drawing.svg).not.toMatch(/attacker|<script|<img|onload=/);
    expect(drawing.svg).toContain('&lt;script&gt;');
    expect(visibleText(drawing.svg).replace(/\s+/g, '')).toContain('<img src=x onerror=alert(2)>'.replace(/\s+/g, ''));
    expect(drawing.svg).toContain('stroke: rgb(13, 67, 114)');
    await stillRenders();
  });

  it('refuses a source over the size limit, with too many elements, or nested too deep', async () => {
    const huge = source('order-process.bpmn').replace('</bpmn:process>', `<bpmn:documentation>${'x'.repeat(110 * 1024)}</bpmn:documentation></bpmn:process>`);
    expect((await refusal(huge)).message).toMatch(/is \d+ KB; the limit is 100 KB/);
    const many = processWith([['T', 'Many']]).replace('</bpmn:process>', `${'<bpmn:task/>'.repeat(MAX_BPMN_ELEMENTS)}</bpmn:process>`);
    expect((await refusal(many)).message).toMatch(/XML elements; the limit is 5000/);
    let nested = '<bpmn:task id="Leaf"/>';
    for (let i = 0; i <= MAX_BPMN_DEPTH; i++) nested = `<bpmn:subProcess id="S${i}">${nested}</bpmn:subProcess>`;
    expect((await refusal(processWith([['T', 'Deep']]).replace('</bpmn:process>', `${nested}</bpmn:process>`))).message).toMatch(/nests elements more than 100 deep/);
    await stillRenders();
  });

  it('draws a 60 KB one-word label in time, shortened', async () => {
    const started = Date.now();
    const drawing = await draw(processWith([['T', 'x'.repeat(60_000)]]));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(visibleText(drawing.svg).replace(/\s/g, '').length).toBeLessThan(1100);
    await stillRenders();
  });

  it('refuses DI that refers to nothing in the model', async () => {
    const xml = processWith([['T', 'Task']]).replace('bpmnElement="T"', 'bpmnElement="Missing"');
    expect((await refusal(xml)).message).toMatch(/nothing to draw/);
  });
});
