import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import type { HTTPRequest, Page } from 'puppeteer';
import sharp from 'sharp';
import { BrowserPool, RenderTimeoutError } from '../src/browser/browser-pool';
import type { EngineSvg } from '../src/engine';
import { EXCALIDRAW_FONTS, ExcalidrawEngine, setupExcalidrawPage } from '../src/excalidraw/excalidraw-engine';
import { EXCALIDRAW_LIMITS } from '../src/excalidraw/excalidraw-source';
import { assertSafeSvg, finishSvg, isSafeSvg } from '../src/svg/finish-svg';
import { sanitizeSvg } from '../src/svg/sanitize-svg';
import { THEME_DEFINITIONS, type ThemeDefinition, themePalette } from '../src/themes';
import { structuralFindings } from './svg-checks';

const CORPUS_DIR = join(__dirname, 'corpus/excalidraw');
const LABELS = JSON.parse(readFileSync(join(CORPUS_DIR, 'labels.json'), 'utf8')) as Record<string, string[]>;
const CORPUS = readdirSync(CORPUS_DIR)
  .filter((file) => file.endsWith('.excalidraw'))
  .sort()
  .map((file) => ({ file, source: readFileSync(join(CORPUS_DIR, file), 'utf8'), labels: LABELS[file] ?? [] }));
const THEMES = Object.values(THEME_DEFINITIONS);
const { light, dark } = THEME_DEFINITIONS;

const decode = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;|&apos;/g, "'").replace(/&amp;/g, '&');
/** Every text the SVG draws, joined as a reader would see them. */
const texts = (svg: string) => [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((match) => decode(match[1])).join(' ');
const textTags = (svg: string) => [...svg.matchAll(/<text\b[^>]*>/g)].map((match) => match[0]);
const attribute = (tag: string, name: string) => decode(new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1] ?? '');

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const ratio = (a: string, b: string) => (Math.max(luminance(a), luminance(b)) + 0.05) / (Math.min(luminance(a), luminance(b)) + 0.05);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** A scene of the given elements, each with what Excalidraw's editor would have written by default. */
let seed = 1;
function element(type: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  const base = { id: `e${seed}`, type, x: 0, y: 0, width: 160, height: 60, angle: 0, strokeColor: '#1e1e1e', backgroundColor: 'transparent', fillStyle: 'solid', strokeWidth: 2, strokeStyle: 'solid', roughness: 1, opacity: 100, groupIds: [], frameId: null, roundness: null, seed: seed++, version: 1, isDeleted: false, boundElements: null, link: null, locked: false };
  return { ...base, ...fields };
}
const text = (value: string, fields: Record<string, unknown> = {}) =>
  element('text', { text: value, originalText: value, fontSize: 20, fontFamily: 5, textAlign: 'left', verticalAlign: 'top', containerId: null, lineHeight: 1.25, width: 12 * value.length, height: 25, ...fields });
const scene = (elements: unknown[], rest: Record<string, unknown> = {}) => JSON.stringify({ type: 'excalidraw', version: 2, source: 'https://excalidraw.com', elements, appState: { viewBackgroundColor: '#ffffff' }, files: {}, ...rest }, null, 2);

describe('ExcalidrawEngine (real Chromium)', () => {
  /** Every URL the pages asked for, other than their own about:blank. */
  const requests: string[] = [];
  const pool = new BrowserPool({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    size: 1,
    maxRendersPerPage: 1000,
    maxRendersPerBrowser: 5000,
    kinds: {
      excalidraw: {
        setup: async (page) => {
          page.on('request', (request: HTTPRequest) => void (request.url() === 'about:blank' || requests.push(request.url())));
          await setupExcalidrawPage(page);
        },
        eager: true,
      },
    },
  });
  const engine = new ExcalidrawEngine(pool, 15_000);

  beforeAll(() => pool.start(), 60_000);
  afterAll(() => pool.close());

  async function draw(source: string, theme: ThemeDefinition = light): Promise<EngineSvg> {
    const result = await engine.render(source, theme);
    if (!result.ok) throw new Error(result.error.message);
    return result.value;
  }

  /** The renderer's steps after the engine: the SVG step, then the finished SVG's safety check. */
  function finished(drawn: EngineSvg, theme: ThemeDefinition = light): string {
    const svg = sanitizeSvg(drawn.svg, { optimise: false }).svg;
    const done = finishSvg({ ...drawn, svg }, theme, { watermark: false }).svg;
    expect(XMLValidator.validate(done)).toBe(true);
    expect(() => assertSafeSvg(done)).not.toThrow();
    expect(structuralFindings(done)).toEqual([]);
    return done;
  }

  /** The engine's own SVG, before the SVG step: already nothing that runs, links or fetches. */
  function expectClean(svg: string): void {
    expect(isSafeSvg(svg)).toBe(true);
    expect(svg).not.toMatch(/<(script|foreignObject|iframe|a|style|metadata)\b/i);
    expect(svg).not.toMatch(/javascript:|<!--|attacker/i);
  }

  it('has a corpus of three scenes, with labels for each', () => {
    expect(CORPUS.map((entry) => entry.file)).toEqual(['deploy-pipeline.excalidraw', 'system-architecture.excalidraw', 'team-retro.excalidraw']);
    for (const { file, labels } of CORPUS) expect([file, labels.length >= 4]).toEqual([file, true]);
  });

  describe.each(CORPUS)('$file', ({ source, labels }) => {
    it('parses without the browser', async () => {
      await expect(engine.parse(source)).resolves.toEqual({ ok: true, value: { diagramType: 'excalidraw' } });
    });

    it('renders in every theme to safe SVG with its labels as text, readable on the theme', async () => {
      for (const theme of THEMES) {
        const drawn = await draw(source, theme);
        expect(drawn.diagramType).toBe('excalidraw');
        expect(drawn.viewBox[2]).toBeGreaterThan(300);
        expectClean(drawn.svg);
        const svg = finished(drawn, theme);
        for (const label of labels) expect([theme.id, texts(svg)]).toEqual([theme.id, expect.stringContaining(label)]);
        // Transparent: no canvas of the engine's own (Excalidraw's is a first <rect x="0" y="0" width height fill>); finishSvg paints a dark theme's.
        expect(drawn.svg).not.toMatch(/<rect x="0" y="0" width="[\d.]+" height="[\d.]+" fill=/);
        if (theme.tone === 'dark') expect(svg).toContain(`fill="${theme.background}"`);
        const fills = textTags(drawn.svg).map((tag) => attribute(tag, 'fill'));
        expect(fills.every((fill) => /^#[0-9a-f]{6}$/.test(fill))).toBe(true);
        if (theme.tone === 'dark') expect([theme.id, median(fills.map(luminance)) > 0.2]).toEqual([theme.id, true]);
        else expect([theme.id, median(fills.map(luminance)) < 0.2]).toEqual([theme.id, true]);
        // The default ink takes the theme's text colour.
        expect(drawn.svg).toContain(`fill="${themePalette(theme).text}"`);
      }
    });
  });

  it('draws a light scene in the light theme with its own colours, and in dark themes as Excalidraw\'s dark mode does', async () => {
    const source = scene([element('rectangle', { strokeColor: '#1971c2', backgroundColor: '#a5d8ff' }), text('Blue note', { x: 0, y: 80, strokeColor: '#1971c2' })]);
    const lightSvg = (await draw(source)).svg;
    expect(lightSvg).toContain('fill="#a5d8ff"');
    expect(lightSvg).toContain('stroke="#1971c2"');
    const darkSvg = (await draw(source, dark)).svg;
    expect(darkSvg).not.toContain('#a5d8ff');
    // #a5d8ff inverted 93% and turned back to its hue: a dark blue.
    const [fill] = [...darkSvg.matchAll(/fill="(#[0-9a-f]{6})"/g)].map((match) => match[1]).filter((colour) => colour !== '#1971c2');
    expect(luminance(fill)).toBeLessThan(0.1);
    const [r, , b] = [1, 3, 5].map((i) => Number.parseInt(fill.slice(i, i + 2), 16));
    expect(b).toBeGreaterThan(r);
    // The text reads 4.5:1 on the canvas in every dark theme.
    for (const theme of THEMES.filter((t) => t.tone === 'dark')) {
      const tag = textTags((await draw(source, theme)).svg)[0];
      expect([theme.id, ratio(attribute(tag, 'fill'), theme.background) >= 4.5]).toEqual([theme.id, true]);
    }
  });

  it('keeps faint author colours readable: text 4.5:1 on its container, strokes 3:1 on the canvas', async () => {
    const box = element('rectangle', { id: 'box', strokeColor: '#ffec99', backgroundColor: '#ffec99', boundElements: [{ type: 'text', id: 'label' }] });
    const label = text('Pale label', { id: 'label', containerId: 'box', strokeColor: '#fff3bf', x: 30, y: 18, textAlign: 'center', verticalAlign: 'middle' });
    const { svg } = await draw(scene([box, label]));
    expect(ratio(attribute(textTags(svg)[0], 'fill'), '#ffec99')).toBeGreaterThanOrEqual(4.5);
    const strokes = [...svg.matchAll(/stroke="(#[0-9a-f]{6})"/g)].map((match) => match[1]).filter((colour) => colour !== '#ffec99');
    expect(strokes.length).toBeGreaterThan(0);
    for (const stroke of strokes) expect(ratio(stroke, '#ffffff')).toBeGreaterThanOrEqual(3);
  });

  it('inverts a scene drawn on a dark canvas for the light themes, and draws it as it is on dark ones', async () => {
    const source = scene([text('Chalk note', { strokeColor: '#ffffff' })], { appState: { viewBackgroundColor: '#121212' } });
    expect(luminance(attribute(textTags((await draw(source)).svg)[0], 'fill'))).toBeLessThan(0.1);
    expect(attribute(textTags((await draw(source, dark)).svg)[0], 'fill')).toBe('#ffffff');
  });

  it('draws texts in installed faces, fitted to the boxes Excalidraw measured', async () => {
    const source = scene([
      text('Hand drawn', { fontFamily: 5 }),
      text('Virgil', { fontFamily: 1, y: 40 }),
      text('Nunito text', { fontFamily: 6, y: 80 }),
      text('code()', { fontFamily: 3, y: 120 }),
      text('Lilita title', { fontFamily: 7, y: 160 }),
      text('Squeezed into a narrow box', { y: 200, width: 60 }),
    ]);
    const tags = textTags((await draw(source)).svg);
    expect(tags.map((tag) => attribute(tag, 'font-family'))).toEqual([EXCALIDRAW_FONTS.hand, EXCALIDRAW_FONTS.hand, EXCALIDRAW_FONTS.sans, EXCALIDRAW_FONTS.mono, EXCALIDRAW_FONTS.sans, EXCALIDRAW_FONTS.hand]);
    expect(attribute(tags[4], 'font-weight')).toBe('700');
    expect(Number.parseFloat(attribute(tags[0], 'font-size'))).toBe(20);
    expect(Number.parseFloat(attribute(tags[5], 'font-size'))).toBeLessThan(10);
  });

  it('lays out a hand-written scene: texts without boxes measured, labels named from one end only bound once', async () => {
    const source = JSON.stringify({
      type: 'excalidraw',
      elements: [
        { id: 'box', type: 'rectangle', x: 0, y: 0, width: 200, height: 80 },
        { id: 'label', type: 'text', containerId: 'box', text: 'Centred label' },
        { id: 'oval', type: 'ellipse', x: 300, y: 0, width: 160, height: 80, boundElements: [{ type: 'text', id: 'listed' }] },
        { id: 'listed', type: 'text', text: 'Listed only' },
        { type: 'line', points: [[0, 0], [100, 0]] },
        { type: 'arrow' },
      ],
    });
    const { svg, viewBox } = await draw(source);
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    expect(viewBox.map(Math.round)).toEqual([0, 0, 480, 100]);
    expect(texts(svg).match(/Centred label/g)).toHaveLength(1);
    expect(texts(svg).match(/Listed only/g)).toHaveLength(1);
    // Centred in its box (x 10 to 210 with the padding): the text starts a little right of the box's left edge.
    const at = /translate\(([\d.]+) ([\d.]+)\)[^>]*><text\b[^>]*>Centred label/.exec(svg);
    expect(Number(at?.[1])).toBeGreaterThan(30);
    expect(Number(at?.[1])).toBeLessThan(80);
  });

  it('draws frames with their names, and renames every id (no id from the source reaches the SVG)', async () => {
    const inside = element('rectangle', { id: 'in-frame', frameId: 'f1', x: 20, y: 20 });
    const frame = element('frame', { id: 'f1', name: 'Payments', width: 300, height: 200, roughness: 0 });
    const { svg } = await draw(scene([inside, frame]));
    expect(texts(svg)).toContain('Payments');
    expect(svg).not.toMatch(/id="(f1|in-frame)"/);
    const ids = [...svg.matchAll(/\sid="([^"]+)"/g)].map((match) => match[1]);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(id).toMatch(/^ex[0-9a-f]{8}-\d+$/);
    for (const [, reference] of svg.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(reference);
  });

  it('draws an embedded PNG through the SVG step', async () => {
    const red = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ff0000' } }).png().toBuffer();
    const image = element('image', { fileId: 'pic1', status: 'saved', scale: [1, 1], width: 40, height: 40, strokeColor: 'transparent' });
    const drawn = await draw(scene([image], { files: { pic1: { id: 'pic1', mimeType: 'image/png', dataURL: `data:image/png;base64,${red.toString('base64')}`, created: 1 } } }));
    const svg = finished(drawn);
    expect(svg).toMatch(/<image\b[^>]*href="data:image\/png;base64,/);
    // The picture is drawn: red in the middle of the drawing.
    const { data, info } = await sharp(Buffer.from(svg)).raw().toBuffer({ resolveWithObject: true });
    const middle = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
    expect([data[middle], data[middle + 1], data[middle + 2]]).toEqual([255, 0, 0]);
  });

  describe('faults of the source', () => {
    it('reports invalid JSON as parse_failed with its line and column, before the browser', async () => {
      const broken = '{\n  "type": "excalidraw",\n  "elements": [\n    { "type": "rectangle", "x": 10, }\n  ]\n}';
      for (const result of [await engine.parse(broken), await engine.render(broken, light)]) {
        expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed', line: 4, column: 37, message: expect.stringMatching(/^excalidraw: the scene is not valid JSON: .*\(line 4, column 37\)/) } });
      }
      const truncated = '{"type": "excalidraw", "elements": [\n{"type": "text", "text": "unterminated';
      expect(await engine.parse(truncated)).toMatchObject({ ok: false, error: { code: 'parse_failed', line: 2 } });
      expect(await engine.parse('flowchart TD\n  A --> B')).toMatchObject({ ok: false, error: { code: 'parse_failed', line: 1, column: 1 } });
    });

    const shapes: Array<[string, string, RegExp]> = [
      ['an array', '[]', /a scene is a JSON object/],
      ['a library', JSON.stringify({ type: 'excalidrawlib', libraryItems: [] }), /"type" is string "excalidrawlib"/],
      ['no elements', JSON.stringify({ type: 'excalidraw' }), /"elements" array; here it is missing/],
      ['elements as an object', JSON.stringify({ type: 'excalidraw', elements: { a: 1 } }), /"elements" array; here it is an object/],
      ['an element that is a string', scene(['rectangle']), /element 1 is string "rectangle"/],
      ['an unknown element type', scene([element('hexagon')]), /has type string "hexagon"; Excalidraw draws rectangle/],
      ['a coordinate that is text', scene([element('rectangle', { x: '12' })]), /"x": string "12"; it must be a number within ±100000/],
      ['a coordinate far away', scene([element('rectangle', { y: 1e9 })]), /"y": number 1000000000/],
      ['points that are not pairs', scene([element('arrow', { points: [[0, 0], 'x'] })]), /has a point "x"/],
      ['a fill rough.js would draw as millions of dots', scene([element('rectangle', { fillStyle: 'dots', backgroundColor: '#a5d8ff' })]), /"fillStyle": string "dots"/],
      ['nothing to draw', scene([element('rectangle', { isDeleted: true })]), /no elements to draw/],
      ['a source over the size bound', scene([text('x'.repeat(EXCALIDRAW_LIMITS.sourceChars))]), /larger than 1 MB/],
    ];
    it.each(shapes)('refuses %s with a clear parse_failed', async (_, source, message) => {
      expect(await engine.parse(source)).toMatchObject({ ok: false, error: { code: 'parse_failed', message: expect.stringMatching(message) } });
    });
  });

  describe('hostile content', () => {
    const onPage = <T>(work: (page: Page) => Promise<T>) => pool.withPage('excalidraw', work, 5000);

    const hostile: Array<[string, unknown[], string[]]> = [
      ['script in a text', [text('<script>window.__pwned = 1</script>'), text('<img src=x onerror="window.__pwned = 2">', { y: 40 })], ['<script>window.__pwned = 1</script>', '<img src=x onerror="window.__pwned = 2">']],
      ['javascript: and remote links on shapes and texts', [element('rectangle', { link: 'javascript:window.__pwned = 3' }), text('Linked', { y: 80, link: 'https://attacker.example/' })], ['Linked']],
      ['an embed of a javascript: URL and an iframe pointing away', [element('embeddable', { link: 'javascript:window.__pwned = 4' }), element('iframe', { y: 100, link: 'https://attacker.example/embed' })], ['Empty Web-Embed', 'IFrame element']],
      ['ids made to break out of attributes and url()', [element('arrow', { id: 'x) url(https://attacker.example/x', points: [[0, 0], [200, 20]], width: 200, height: 20, boundElements: [{ type: 'text', id: '"><script>' }] }), text('on the line', { id: '"><script>', containerId: 'x) url(https://attacker.example/x', textAlign: 'center' })], ['on the line']],
      ['colours that are CSS or URLs', [element('rectangle', { strokeColor: 'url(https://attacker.example/s)', backgroundColor: 'javascript:alert(1)' }), text('Colours', { y: 80, strokeColor: 'red;background:url(https://attacker.example/t)' })], ['Colours']],
    ];
    it.each(hostile)('%s comes out as harmless text, and the page stays clean', async (_, elements, labels) => {
      for (const theme of [light, dark]) {
        const drawn = await draw(scene(elements), theme);
        expectClean(drawn.svg);
        const svg = finished(drawn, theme);
        for (const label of labels) expect(texts(svg)).toContain(label);
      }
      expect(await onPage((page) => page.evaluate(() => (globalThis as { __pwned?: number }).__pwned))).toBeUndefined();
    });

    const refusedImages: Array<[string, Record<string, unknown>, RegExp]> = [
      ['a remote picture', { id: 'pic', mimeType: 'image/png', dataURL: 'https://attacker.example/cat.png' }, /is not embedded: its dataURL is "https:\/\/attacker.example\/cat.png"\. Nothing is fetched/],
      ['a file: URL', { id: 'pic', mimeType: 'image/png', dataURL: 'file:///etc/passwd' }, /is not embedded/],
      ['an SVG picture', { id: 'pic', mimeType: 'image/svg+xml', dataURL: 'data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciPjxzY3JpcHQ+YWxlcnQoMSk8L3NjcmlwdD48L3N2Zz4=' }, /is an SVG picture \(data:image\/svg\+xml\), which is not drawn/],
      ['HTML in a data: URL', { id: 'pic', mimeType: 'text/html', dataURL: 'data:text/html,<script>alert(1)</script>' }, /only base64 data:image\/png, jpeg, gif or webp pictures are drawn/],
    ];
    it.each(refusedImages)('refuses %s with a clear message', async (_, file, message) => {
      const source = scene([element('image', { fileId: 'pic', status: 'saved', scale: [1, 1] })], { files: { pic: file } });
      expect(await engine.render(source, light)).toMatchObject({ ok: false, error: { code: 'parse_failed', message: expect.stringMatching(message) } });
    });

    it('refuses huge scenes by their counts, before the browser', async () => {
      // Compact JSON of few fields: what a generated scene of many elements looks like, under the size bound.
      const compact = (elements: unknown[]) => JSON.stringify({ type: 'excalidraw', elements });
      const many = compact(Array.from({ length: EXCALIDRAW_LIMITS.elements + 1 }, (_, i) => ({ type: 'ellipse', x: i, y: 0, width: 10, height: 10 })));
      expect(await engine.parse(many)).toMatchObject({ ok: false, error: { code: 'parse_failed', message: expect.stringMatching(/5001 elements; at most 5000/) } });
      const hatched = scene([element('rectangle', { width: 90_000, height: 90_000, fillStyle: 'cross-hatch', backgroundColor: '#a5d8ff', strokeWidth: 0.01 })]);
      expect(await engine.parse(hatched)).toMatchObject({ ok: false, error: { code: 'parse_failed', message: expect.stringMatching(/hatched fills would draw more than 100000 lines/) } });
      const points = scene([element('freedraw', { points: Array.from({ length: EXCALIDRAW_LIMITS.pointsPerElement + 1 }, (_, i) => [i % 500, Math.floor(i / 500)]) })]);
      expect(await engine.parse(points)).toMatchObject({ ok: false, error: { code: 'parse_failed', message: expect.stringMatching(/20001 points; at most 20000/) } });
    });

    it('stops a scene within the limits that outlasts the deadline, and the next scene draws', async () => {
      const heavy = JSON.stringify({
        type: 'excalidraw',
        elements: Array.from({ length: EXCALIDRAW_LIMITS.elements }, (_, i) => ({ type: 'rectangle', x: (i % 100) * 30, y: Math.floor(i / 100) * 30, width: 25, height: 25, fillStyle: 'hachure', backgroundColor: '#a5d8ff', roughness: 2, seed: i + 1 })),
      });
      expect(heavy.length).toBeLessThan(EXCALIDRAW_LIMITS.sourceChars);
      const quick = new ExcalidrawEngine(pool, 300);
      const started = Date.now();
      // The pool's timeout (the Renderer turns it into render_timeout), and the page it held is replaced.
      await expect(quick.render(heavy, light)).rejects.toBeInstanceOf(RenderTimeoutError);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(texts((await draw(CORPUS[0].source)).svg)).toContain(CORPUS[0].labels[0]);
    }, 60_000);

    it('asked for nothing outside the page in any test (the pool would have refused it)', () => {
      // Pictures embedded in the scene and Excalidraw's own icons are data: URLs, which reach no network.
      expect(requests.filter((url) => !url.startsWith('data:'))).toEqual([]);
    });
  });
});
