import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { closeTestPrisma, CORPUS_FORMATS, corpusFiles, createTestKey, expectError, RunningGateway, startGateway, TestClient } from '@flowsmith/testing';
import { createGateway } from '../gateway';

/** One real diagram per format from the rendering corpus, with labels its image must show. */
const CORPUS_DIR = join(__dirname, '../../../../libs/rendering/test/corpus');
function sample(format: string, extension: string, pick: (source: string) => boolean = () => true) {
  const dir = join(CORPUS_DIR, format);
  const labels = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as Record<string, string[]>;
  const file = readdirSync(dir).filter((name) => name.endsWith(extension)).sort().find((name) => pick(readFileSync(join(dir, name), 'utf8')));
  if (!file) throw new Error(`no ${format} sample`);
  return { format, source: readFileSync(join(dir, file), 'utf8'), labels: labels[file] };
}

/** The words a reader sees: text and tspan contents in order, whitespace collapsed (a label may wrap over several tspans). */
function visibleText(svg: string): string {
  return [...svg.matchAll(/<(?:text|tspan)\b[^>]*>([^<]*)/g)]
    .map((match) =>
      match[1]
        .replace(/&#(x?)([0-9a-f]+);/gi, (_, hex, code) => String.fromCodePoint(Number.parseInt(code, hex ? 16 : 10)))
        .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&'),
    )
    .join(' ')
    .replace(/\s+/g, ' ');
}

/**
 * Every language but mermaid (whose types have suites of their own), each the first diagram of its
 * corpus, with a source that does not parse and the line its engine names for it
 * (apps/gateway/test/broken-sources.json; null where a language cannot be wrong, svgbob's ASCII art,
 * or its engine names no line).
 */
const BROKEN = JSON.parse(readFileSync(join(__dirname, '../../test/broken-sources.json'), 'utf8')) as Record<string, { source: string | null; line: number | null }>;
const FORMATS = CORPUS_FORMATS.filter(({ format }) => format !== 'mermaid').map(({ format, extension }) => {
  const [first] = corpusFiles(format, extension);
  return { format, source: first.source, labels: first.labels, broken: BROKEN[format]?.source ?? null, line: BROKEN[format]?.line ?? null };
});

describe('every source format through the API', () => {
  let gateway: RunningGateway;
  let client: TestClient;
  const anonymous = () => new TestClient(gateway.url);

  beforeAll(async () => {
    // Every language's requests in one window: no limit is under test here.
    gateway = await startGateway(createGateway, { RATE_LIMIT_ANONYMOUS: '100000', RATE_LIMIT_PER_KEY: '100000', RATE_LIMIT_EMBED: '100000' });
    client = new TestClient(gateway.url, (await createTestKey({ plan: 'pro' })).secret);
  });
  afterAll(async () => {
    await gateway.close();
    await closeTestPrisma();
  });

  describe.each(FORMATS)('$format', ({ format, source, labels, broken, line }) => {
    it('is stored with its detected type, rendered by the image route in SVG and PNG, shared and exported', async () => {
      const created = await client.post('/api/v1/diagrams', { name: `A ${format} diagram`, source, source_format: format });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ source_format: format, diagram_type: expect.stringMatching(new RegExp(`^${format}`)) });
      const id = created.body.id;

      const svg = await client.get(`/api/v1/diagrams/${id}/image?format=svg&theme=dark`);
      expect(svg.status).toBe(200);
      expect(svg.headers.get('content-type')).toBe('image/svg+xml');
      expect(svg.headers.get('x-diagram-type')).toBe(created.body.diagram_type);
      for (const label of labels) expect(visibleText(svg.text)).toContain(label);
      expect(svg.text.length).toBeGreaterThan(200);
      expect((await client.get(`/api/v1/diagrams/${id}/image?format=svg&theme=dark`, { headers: { 'if-none-match': svg.headers.get('etag')! } })).status).toBe(304);

      const png = await client.get(`/api/v1/diagrams/${id}/image?scale=2`);
      expect(png.status).toBe(200);
      expect(png.headers.get('content-type')).toBe('image/png');
      expect((await sharp(png.bytes).metadata()).format).toBe('png');

      const share = await client.post('/api/v1/share', { diagram_id: id, theme: 'modern' });
      expect(share.status).toBe(201);
      const shared = await anonymous().get(share.body.url);
      expect(shared.status).toBe(200);
      if (labels.length) expect(shared.text).toContain(labels[0]);
      expect((await anonymous().get(share.body.png_url)).headers.get('content-type')).toBe('image/png');

      const exported = await client.post('/api/v1/export', { source, source_format: format, format: 'png', scale: 2, theme: 'midnight' });
      expect(exported.status).toBe(200);
      expect(exported.headers.get('x-diagram-type')).toBe(created.body.diagram_type);
      expect(exported.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="diagram-${format}[a-z0-9-]*-[0-9a-f]{6}\\.png"$`));

      const beautified = await anonymous().post('/api/v1/beautify', { source, source_format: format });
      expect(beautified.status).toBe(200);
      expect(beautified.body).toMatchObject({ object: 'render', diagram_type: created.body.diagram_type, meta: { theme: 'modern', watermarked: true } });
    });

    (broken === null ? it.skip : it)('refuses a source that does not parse, with its line, and stores nothing', async () => {
      const before = (await client.get('/api/v1/diagrams?limit=100')).body.data.length;
      const response = await client.post('/api/v1/diagrams', { name: 'broken', source: broken, source_format: format });
      expectError(response, { status: 400, type: 'invalid_request_error', code: 'parse_failed', param: 'source' });
      if (line !== null) expect(response.body.error.message).toContain(`line ${line}`);
      expect((await client.get('/api/v1/diagrams?limit=100')).body.data.length).toBe(before);

      const kept = await client.post('/api/v1/diagrams', { name: 'kept', source, source_format: format });
      const patched = await client.patch(`/api/v1/diagrams/${kept.body.id}`, { source: broken });
      expectError(patched, { status: 400, type: 'invalid_request_error', code: 'parse_failed', param: 'source' });
      expect((await client.get(`/api/v1/diagrams/${kept.body.id}`)).body.source).toBe(source);
    });
  });

  it('draws the draw.io page asked for, by number or name, and names the pages when asked for one that is not there', async () => {
    const multi = sample('drawio', '.drawio', (text) => (text.match(/<diagram\b/g) ?? []).length >= 2);
    const created = await client.post('/api/v1/diagrams', { name: 'pages', source: multi.source, source_format: 'drawio' });
    const first = await client.get(`/api/v1/diagrams/${created.body.id}/image?format=svg`);
    const second = await client.get(`/api/v1/diagrams/${created.body.id}/image?format=svg&page=2`);
    expect(second.status).toBe(200);
    expect(second.text).not.toBe(first.text);
    expect(second.headers.get('etag')).not.toBe(first.headers.get('etag'));
    const name = /<diagram\b[^>]*\bname="([^"]+)"/g;
    const names = [...multi.source.matchAll(name)].map((match) => match[1]);
    const byName = await client.post('/api/v1/beautify', { source: multi.source, source_format: 'drawio', page: names[1] });
    expect(byName.status).toBe(200);
    const missing = await client.post('/api/v1/beautify', { source: multi.source, source_format: 'drawio', page: 'No such page' });
    expectError(missing, { status: 400, type: 'invalid_request_error', code: 'parse_failed' });
    expect(missing.body.error.message).toContain(names[0]);
  });
});
