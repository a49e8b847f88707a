import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { XMLValidator } from 'fast-xml-parser';
import type { HTTPRequest, Page } from 'puppeteer';
import { structuralFindings } from '../../test/svg-checks';
import { BrowserPool } from '../browser/browser-pool';
import type { EngineSvg } from '../engine';
import { finishSvg, isSafeSvg } from '../svg/finish-svg';
import { THEME_DEFINITIONS, ThemeDefinition, themePalette } from '../themes';
import { DrawioEngine, setupDrawioPage } from './drawio-engine';
import { DRAWIO_LIMITS } from './drawio-source';

const CORPUS_DIR = join(__dirname, '../../test/corpus/drawio');
const LABELS = JSON.parse(readFileSync(join(CORPUS_DIR, 'labels.json'), 'utf8')) as Record<string, string[]>;
const CORPUS = readdirSync(CORPUS_DIR)
  .filter((file) => file.endsWith('.drawio'))
  .sort()
  .map((file) => ({ file, source: readFileSync(join(CORPUS_DIR, file), 'utf8'), labels: LABELS[file] ?? [] }));
const THEMES = Object.values(THEME_DEFINITIONS);
const MULTI_PAGE = CORPUS.find((entry) => entry.file === 'multi-page.drawio')!.source;

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const model = (cells: string) => `<mxGraphModel><root><mxCell id="0"/><mxCell id="1" parent="0"/>${cells}</root></mxGraphModel>`;
const vertex = (id: string, value: string, style: string, x = 20, y = 20) =>
  `<mxCell id="${id}" value="${escapeXml(value)}" style="${escapeXml(style)}" vertex="1" parent="1"><mxGeometry x="${x}" y="${y}" width="160" height="60" as="geometry"/></mxCell>`;
const file = (...pages: Array<[string, string]>) => `<mxfile>${pages.map(([name, content]) => `<diagram name="${name}" id="${name}">${content}</diagram>`).join('')}</mxfile>`;
/** A page as draw.io compresses it: base64 of raw deflate of the URI-encoded XML. */
const compress = (xml: string, uriEncode = true) => deflateRawSync(Buffer.from(uriEncode ? encodeURIComponent(xml) : xml)).toString('base64');

const decode = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;|&apos;/g, "'").replace(/&amp;/g, '&');
/** Every label the SVG draws as <text>, joined as a reader would see them. */
const texts = (svg: string) => [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((match) => decode(match[1])).join(' ').replace(/\s+/g, ' ');

/** WCAG relative luminance of #rrggbb. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const textColours = (svg: string) => [...svg.matchAll(/<g fill="(#[0-9a-f]{6})"[^>]*>(?:<rect[^>]*\/>)?<text/g)].map((match) => match[1]);
/** Fills of outlined shapes (not arrowheads, filled in their stroke colour, nor label backgrounds). */
const shapeFills = (svg: string) =>
  [...svg.matchAll(/<(?:rect|path|ellipse)\b[^>]*\bfill="(#[0-9a-f]{6})"[^>]*\bstroke="(#[0-9a-f]{6})"/g)].filter((match) => match[1] !== match[2]).map((match) => match[1]);

describe('DrawioEngine (real Chromium)', () => {
  const pool = new BrowserPool({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    size: 1,
    maxRendersPerPage: 1000,
    maxRendersPerBrowser: 5000,
    kinds: { drawio: { setup: setupDrawioPage, eager: true } },
  });
  const engine = new DrawioEngine(pool, 8000);

  beforeAll(() => pool.start(), 30_000);
  afterAll(() => pool.close());

  async function draw(source: string, theme: ThemeDefinition = THEME_DEFINITIONS.light, page?: string): Promise<EngineSvg> {
    const result = await engine.render(source, theme, { page });
    if (!result.ok) throw new Error(result.error.message);
    return result.value;
  }

  /** The checks every SVG that leaves the engine must pass. */
  function expectSafe(svg: string): void {
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(isSafeSvg(svg)).toBe(true);
    expect(structuralFindings(svg)).toEqual([]);
    expect(svg).not.toMatch(/<(foreignObject|script|image|iframe|a)\b/i);
  }

  it('has a corpus of at least six diagrams, with labels for each', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(6);
    for (const { file: name, labels } of CORPUS) expect([name, labels.length >= 3]).toEqual([name, true]);
  });

  describe.each(CORPUS)('$file', ({ source, labels }) => {
    it('parses without the browser', async () => {
      await expect(engine.parse(source)).resolves.toEqual({ ok: true, value: { diagramType: 'drawio' } });
    });

    it('renders in every theme to well-formed, safe SVG with its labels as <text>', async () => {
      for (const theme of THEMES) {
        const { svg, diagramType, viewBox } = await draw(source, theme);
        expect(diagramType).toBe('drawio');
        expect(viewBox[2]).toBeGreaterThan(100);
        expectSafe(svg);
        for (const label of labels) expect([theme.id, texts(svg)]).toEqual([theme.id, expect.stringContaining(label)]);

        const text = median(textColours(svg).map(luminance));
        const fill = median(shapeFills(svg).map(luminance));
        if (theme.tone === 'dark') {
          expect(finishSvg({ svg, diagramType, viewBox }, theme, { watermark: false }).svg).toContain(`fill="${theme.background}"`);
          expect(luminance(theme.background)).toBeLessThan(0.2);
          expect([theme.id, text > 0.5, fill < 0.25]).toEqual([theme.id, true, true]);
        } else {
          expect([theme.id, text < 0.2, fill > 0.5]).toEqual([theme.id, true, true]);
        }
      }
    });
  });

  it('keeps author colours in light themes and mirrors their lightness in dark ones', async () => {
    const source = model(vertex('v', 'Blue', 'rounded=0;fillColor=#dae8fc;strokeColor=#6c8ebf;fontColor=#000000;') + vertex('d', 'Plain', 'rounded=0;', 220));
    const light = (await draw(source)).svg;
    expect(light).toContain('fill="#dae8fc"');
    expect(light).toContain(`fill="${themePalette(THEME_DEFINITIONS.light).nodeFill}"`);
    const dark = (await draw(source, THEME_DEFINITIONS.dark)).svg;
    const [fill] = [...dark.matchAll(/<rect\b[^>]*fill="(#[0-9a-f]{6})"/g)].map((match) => match[1]);
    expect(luminance(fill)).toBeLessThan(0.05);
    const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(fill.slice(i, i + 2), 16));
    expect(b).toBeGreaterThan(r); // still blue
    expect(b).toBeGreaterThan(g);
    expect(luminance(textColours(dark)[0])).toBeGreaterThan(0.7); // black text became near-white
  });

  it('draws every supported shape, flowchart stencil and edge marker', async () => {
    const shapes = ['cylinder3', 'datastore', 'process', 'document', 'note', 'parallelogram', 'trapezoid', 'step', 'card', 'callout', 'hexagon', 'umlActor', 'umlLifeline', 'umlFrame', 'umlBoundary', 'umlEntity', 'umlControl', 'umlDestroy', 'folder', 'tape', 'cube', 'internalStorage', 'manualInput', 'delay', 'display', 'offPageConnector', 'loopLimit', 'dataStorage', 'or', 'xor', 'sortShape', 'collate', 'partialRectangle', 'table', 'module', 'component', 'message', 'singleArrow', 'doubleArrow', 'plus', 'cross', 'corner', 'tee', 'lineEllipse', 'orEllipse', 'sumEllipse', 'startState', 'endState', 'curlyBracket', 'associativeEntity', 'cloud', 'actor', 'triangle', 'doubleEllipse', 'mxgraph.flowchart.decision', 'mxgraph.flowchart.terminator', 'mxgraph.flowchart.data', 'mxgraph.flowchart.predefined_process', 'mxgraph.flowchart.manual_operation', 'mxgraph.flowchart.preparation', 'mxgraph.flowchart.database', 'mxgraph.flowchart.direct_data', 'mxgraph.flowchart.annotation_1', 'mxgraph.flowchart.extract_or_measurement', 'mxgraph.flowchart.merge_or_storage', 'mxgraph.flowchart.summing_function', 'mxgraph.flowchart.transfer'];
    const markers = ['ERone', 'ERmandOne', 'ERmany', 'ERoneToMany', 'ERzeroToMany', 'ERzeroToOne', 'dash', 'cross', 'circle', 'circlePlus', 'halfCircle', 'box', 'async', 'openAsync', 'classic', 'block', 'open', 'oval', 'diamond'];
    const cells = shapes.map((shape, i) => vertex(`s${i}`, `S${i}Z`, `shape=${shape};whiteSpace=wrap;rounded=${i % 2};`, (i % 8) * 200, Math.floor(i / 8) * 100));
    const top = Math.ceil(shapes.length / 8) * 100;
    const edges = markers.map((marker, i) =>
      `<mxCell id="m${i}" value="M${i}Z" style="endArrow=${marker};startArrow=${marker};endFill=${i % 2};startFill=${i % 2};" edge="1" parent="1"><mxGeometry relative="1" as="geometry"><mxPoint x="${(i % 4) * 300}" y="${top + Math.floor(i / 4) * 60}" as="sourcePoint"/><mxPoint x="${(i % 4) * 300 + 200}" y="${top + Math.floor(i / 4) * 60}" as="targetPoint"/></mxGeometry></mxCell>`,
    );
    const flex = vertex('fa', 'From', '', 0, top + 400) + vertex('fb', 'To', '', 400, top + 400) + '<mxCell id="f" style="shape=flexArrow;endArrow=classic;" edge="1" parent="1" source="fa" target="fb"><mxGeometry relative="1" as="geometry"/></mxCell>';
    for (const theme of [THEME_DEFINITIONS.light, THEME_DEFINITIONS.dark]) {
      const { svg } = await draw(model(cells.join('') + edges.join('') + flex), theme);
      expectSafe(svg);
      expect(svg).not.toMatch(/NaN|Infinity|undefined/);
      const drawn = texts(svg);
      for (let i = 0; i < shapes.length; i++) expect([shapes[i], drawn]).toEqual([shapes[i], expect.stringContaining(`S${i}Z`)]);
      for (let i = 0; i < markers.length; i++) expect(drawn).toContain(`M${i}Z`);
    }
  });

  describe('pages', () => {
    it('draws the first page by default, or the one chosen by 1-based index or by name', async () => {
      expect(texts((await draw(MULTI_PAGE)).svg)).toContain('Booking system');
      const byIndex = texts((await draw(MULTI_PAGE, THEME_DEFINITIONS.light, '2')).svg);
      expect(byIndex).toContain('Kubernetes cluster');
      expect(byIndex).not.toContain('Booking system');
      expect(texts((await draw(MULTI_PAGE, THEME_DEFINITIONS.light, 'Data model')).svg)).toContain('customer_id');
      expect(texts((await draw(MULTI_PAGE, THEME_DEFINITIONS.light, '3')).svg)).toContain('customer_id');
    });

    it('refuses an unknown page, listing the pages there are', async () => {
      for (const page of ['Missing', '4', '0']) {
        const result = await engine.render(MULTI_PAGE, THEME_DEFINITIONS.light, { page });
        expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed', message: expect.stringMatching(/no page .*1 "Overview", 2 "Deployment", 3 "Data model"/) } });
      }
    });

    it('decodes compressed pages, URI-encoded or not, and bare models', async () => {
      const page = model(vertex('v', 'Squeezed label', 'rounded=1;whiteSpace=wrap;'));
      expect(texts((await draw(file(['One', compress(page)]))).svg)).toContain('Squeezed label');
      expect(texts((await draw(file(['One', compress(page, false)]))).svg)).toContain('Squeezed label');
      expect(texts((await draw(page)).svg)).toContain('Squeezed label');
    });
  });

  describe('malformed and oversized sources', () => {
    it('reports malformed XML as parse_failed with its line and column, before the browser', async () => {
      const broken = '<mxfile>\n<diagram name="A">\n<mxGraphModel><root><mxCell id="0"></root></mxGraphModel>\n</diagram>\n</mxfile>';
      for (const result of [await engine.parse(broken), await engine.render(broken, THEME_DEFINITIONS.light)]) {
        expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed', line: 3, column: expect.any(Number), message: expect.stringContaining('line 3') } });
      }
      expect(await engine.parse('flowchart TD\n A --> B')).toMatchObject({ ok: false, error: { code: 'parse_failed', message: expect.stringContaining('not draw.io XML') } });
    });

    const refusals: Array<[string, string, RegExp]> = [
      ['an external entity (XXE)', `<?xml version="1.0"?><!DOCTYPE mxfile [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><mxfile><diagram name="A">${model(vertex('v', '&xxe;', ''))}</diagram></mxfile>`, /DOCTYPE/],
      ['billion laughs', `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>${model(vertex('v', '&lol2;', ''))}`, /DOCTYPE/],
      ['a DOCTYPE inside a compressed page', file(['A', compress(`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${model('')}`)]), /DOCTYPE/],
      ['a decompression bomb', file(['A', deflateRawSync(Buffer.alloc(DRAWIO_LIMITS.inflatedBytes + 1024, 0x61), { level: 9 }).toString('base64')]), /decompresses to more than 4 MB/],
      ['an undefined entity', model(vertex('v', 'x', '').replace('value="x"', 'value="&nope;"')), /unknown entity/],
      ['a cell far away', model(vertex('v', 'far', '').replace('x="20"', 'x="1e9"')), /coordinate out of range/],
      ['a page wider than the limit', model(vertex('a', 'left', '', -60_000) + vertex('b', 'right', '', 60_000)), /larger than the 100000 × 100000/],
      ['too many cells', model(Array.from({ length: DRAWIO_LIMITS.cells + 1 }, (_, i) => `<mxCell id="c${i}" vertex="1" parent="1"><mxGeometry width="10" height="10" as="geometry"/></mxCell>`).join('')), /more than 5000 cells/],
      ['a codec element that would load an image', model(`<Image src="http://attacker.example/x.png"/>`), /<Image>, which is not part of a draw.io model/],
      ['a style sheet with code to evaluate', model('<mxStylesheet><add as="x"><add as="y">alert(1)</add></add></mxStylesheet>'), /<mxStylesheet>/],
      ['prototype pollution through "as"', model('<mxCell id="2" vertex="1" parent="1"><mxGeometry as="__proto__"/></mxCell>'), /reserved name "__proto__"/],
      ['a source over the size bound', `<mxfile>${' '.repeat(DRAWIO_LIMITS.sourceChars)}</mxfile>`, /larger than 1 MB/],
    ];
    it.each(refusals)('refuses %s with a clear parse_failed, and still renders afterwards', async (_, source, message) => {
      expect(await engine.parse(source)).toMatchObject({ ok: false, error: { code: 'parse_failed', message: expect.stringMatching(message) } });
      expect(await engine.render(source, THEME_DEFINITIONS.light)).toMatchObject({ ok: false, error: { code: 'parse_failed', message: expect.stringMatching(message) } });
      expect(texts((await draw(CORPUS[0].source)).svg)).toContain(CORPUS[0].labels[0]);
    });
  });

  describe('hostile content', () => {
    /** The page the pool renders on (one slot), to watch its requests and globals. */
    const onPage = <T>(work: (page: Page) => Promise<T>) => pool.withPage('drawio', work, 5000);

    const hostile: Array<[string, string, string[]]> = [
      ['script and onerror in an HTML label', model(vertex('v', '<script>window.__pwned = 1</script><img src="http://attacker.example/i.png" onerror="window.__pwned = 2">Hello<br>world', 'html=1;whiteSpace=wrap;')), ['Hello', 'world']],
      ['the same markup in a plain label', model(vertex('v', '<img src=x onerror=alert(1)>', 'html=0;')), ['<img src=x onerror=alert(1)>']],
      ['an iframe and a style sheet in an edge label', model(vertex('a', 'A', '') + vertex('b', 'B', '', 300) + '<mxCell id="e" value="&lt;iframe src=&quot;http://attacker.example&quot;&gt;&lt;/iframe&gt;&lt;style&gt;@import url(http://attacker.example/x.css)&lt;/style&gt;calls" style="html=1;" edge="1" parent="1" source="a" target="b"><mxGeometry relative="1" as="geometry"/></mxCell>'), ['calls']],
      ['remote and data-URI images', model(vertex('i', 'Photo', 'shape=image;image=http://attacker.example/cat.png;') + vertex('j', 'Inline', 'shape=label;image=data:image/svg+xml,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+;', 220) + vertex('k', 'Icon', 'image;image=https://attacker.example/icon.svg;', 420)), ['Photo', 'Inline', 'Icon']],
      ['a javascript: link and a placeholder carrying markup', model('<UserObject label="%payload% here" placeholders="1" link="javascript:window.__pwned = 3" payload="&lt;img src=x onerror=&quot;window.__pwned = 4&quot;&gt;Linked" id="u"><mxCell style="html=1;" vertex="1" parent="1"><mxGeometry x="20" y="20" width="160" height="60" as="geometry"/></mxCell></UserObject>'), ['Linked here']],
      ['CSS and URLs smuggled into style values', model(vertex('s', 'Styled', 'fontFamily=url(http://attacker.example/f.woff);fillColor=url(http://attacker.example/x);strokeColor=expression(alert(1));labelBackgroundColor=javascript:alert(1);dashed=1;dashPattern=url(http://attacker.example);')), ['Styled']],
      ['an unknown stencil and a custom inline stencil', model(vertex('x', 'Router', 'shape=mxgraph.cisco.routers.router;') + vertex('y', 'Custom', 'shape=stencil(eJxLtDK2MjC2MjAyNDQ0NDA2NbVSMjY0M1cEABg9A2g=);', 220)), ['Router', 'Custom']],
    ];
    it.each(hostile)('%s comes out as harmless text, and the page stays clean', async (_, source, labels) => {
      const requests: string[] = [];
      const listener = (request: HTTPRequest) => void requests.push(request.url());
      await onPage(async (page) => page.on('request', listener));
      try {
        for (const theme of [THEME_DEFINITIONS.light, THEME_DEFINITIONS.dark]) {
          const { svg } = await draw(source, theme);
          expectSafe(svg);
          expect(svg).not.toContain('attacker');
          for (const label of labels) expect(texts(svg)).toContain(label);
        }
      } finally {
        await onPage(async (page) => page.off('request', listener));
      }
      expect(requests.filter((url) => url !== 'about:blank')).toEqual([]);
      expect(await onPage((page) => page.evaluate(() => (globalThis as { __pwned?: number }).__pwned))).toBeUndefined();
      expect(texts((await draw(CORPUS[0].source)).svg)).toContain(CORPUS[0].labels[0]);
    });
  });
});
