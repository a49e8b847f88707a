import { closeTestPrisma, createTestKey, expectError, RunningGateway, startGateway, TestClient } from '@flowsmith/testing';
import { createGateway } from '../gateway';

/** Render options that only some formats read: mermaid's `layout` and `look`, and SVG's `embed_fonts` (docs/mermaid.md, docs/fonts.md). */
const FLOW = 'flowchart LR\n  Order[Order placed] --> Pay{Paid?}\n  Pay -->|yes| Ship[Ship it]\n  Pay -->|no| Remind[Remind]';
const b64url = (text: string) => Buffer.from(text).toString('base64url');

describe('render options', () => {
  let gateway: RunningGateway;
  let anonymous: TestClient;

  beforeAll(async () => {
    gateway = await startGateway(createGateway, { RATE_LIMIT_ANONYMOUS: '1000' });
    anonymous = new TestClient(gateway.url);
  });
  afterAll(async () => {
    await gateway.close();
    await closeTestPrisma();
  });

  describe('layout, look and embed_fonts on every rendering route', () => {
    const svgOf = async (client: TestClient, body: Record<string, unknown>) => {
      const response = await client.post('/api/v1/beautify', { source: FLOW, source_format: 'mermaid', theme: 'light', ...body });
      expect(response.status).toBe(200);
      return response.body.svg as string;
    };

    it('draws with the layout and look asked for, on beautify, export, the embed, the image route and shares', async () => {
      const client = new TestClient(gateway.url, (await createTestKey({ plan: 'pro' })).secret);
      const plain = await svgOf(client, {});
      const elk = await svgOf(client, { layout: 'elk' });
      const dagre = await svgOf(client, { layout: 'dagre' });
      const handDrawn = await svgOf(client, { look: 'handDrawn' });
      expect(new Set([elk, dagre]).size).toBe(2);
      expect(handDrawn).not.toBe(plain);
      // handDrawn is drawn with a fixed seed: the same source is the same picture (and cache entry).
      expect(await svgOf(client, { look: 'handDrawn' })).toBe(handDrawn);

      const exported = await client.post('/api/v1/export', { source: FLOW, source_format: 'mermaid', format: 'svg', theme: 'light', look: 'handDrawn' });
      expect(exported.status).toBe(200);
      expect(exported.text).toContain('@font-face');

      const embed = await anonymous.get(`/api/v1/beautify.svg?source=${b64url(FLOW)}&theme=light&look=handDrawn`);
      const embedPlain = await anonymous.get(`/api/v1/beautify.svg?source=${b64url(FLOW)}&theme=light`);
      expect([embed.status, embedPlain.status]).toEqual([200, 200]);
      expect(embed.headers.get('etag')).not.toBe(embedPlain.headers.get('etag'));

      const diagram = (await client.post('/api/v1/diagrams', { name: 'Layouts', source: FLOW })).body;
      const image = (query: string) => client.get(`/api/v1/diagrams/${diagram.id}/image?format=svg&${query}`);
      const [byElk, byDagre] = await Promise.all([image('layout=elk'), image('layout=dagre')]);
      expect(byElk.headers.get('etag')).not.toBe(byDagre.headers.get('etag'));
      expect(byElk.text).not.toBe(byDagre.text);

      const share = await client.post('/api/v1/share', { diagram_id: diagram.id, look: 'handDrawn', layout: 'elk' });
      expect(share.body).toMatchObject({ layout: 'elk', look: 'handDrawn' });
      const plainShare = (await client.post('/api/v1/share', { diagram_id: diagram.id })).body;
      const [sharedSvg, plainSvg] = await Promise.all([anonymous.get(share.body.url), anonymous.get(plainShare.url)]);
      expect(sharedSvg.text).not.toBe(plainSvg.text);
      // A shared SVG carries its fonts.
      expect(sharedSvg.text).toContain('@font-face');
      expect((await client.get('/api/v1/shares')).body.data[0]).toMatchObject({ id: plainShare.id, layout: null, look: null });
    });

    it('embeds fonts in an SVG only when asked, and never in a PNG', async () => {
      const client = new TestClient(gateway.url, (await createTestKey({ plan: 'pro' })).secret);
      expect(await svgOf(client, {})).not.toContain('@font-face');
      expect(await svgOf(client, { embed_fonts: true })).toContain('@font-face');
      const diagram = (await client.post('/api/v1/diagrams', { name: 'Fonts', source: FLOW })).body;
      expect((await client.get(`/api/v1/diagrams/${diagram.id}/image?format=svg&embed_fonts=true`)).text).toContain('@font-face');
      expect((await client.get(`/api/v1/diagrams/${diagram.id}/image?format=png&embed_fonts=true`)).headers.get('content-type')).toBe('image/png');
    });

    it('ignores layout and look for formats that are not mermaid', async () => {
      const client = new TestClient(gateway.url, (await createTestKey({ plan: 'pro' })).secret);
      const source = '@startuml\nAlice -> Bob: hi\n@enduml';
      const [plain, withOptions] = await Promise.all([
        client.post('/api/v1/beautify', { source, source_format: 'plantuml', theme: 'light' }),
        client.post('/api/v1/beautify', { source, source_format: 'plantuml', theme: 'light', layout: 'elk', look: 'handDrawn' }),
      ]);
      expect(withOptions.body.svg).toBe(plain.body.svg);
    });

    it.each([
      ['/api/v1/beautify', { layout: 'cose' }, 'layout'],
      ['/api/v1/beautify', { look: 'sketchy' }, 'look'],
      ['/api/v1/beautify', { embed_fonts: 'yes' }, 'embed_fonts'],
      ['/api/v1/export', { layout: 3 }, 'layout'],
      ['/api/v1/share', { look: 'neon' }, 'look'],
    ])('refuses %s with %j naming %s, storing nothing', async (path, extra, param) => {
      const client = new TestClient(gateway.url, (await createTestKey({ plan: 'pro' })).secret);
      expectError(await client.post(path, { source: FLOW, source_format: 'mermaid', ...extra }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param });
      expect((await client.get('/api/v1/shares')).body.data).toEqual([]);
      expect((await client.get('/api/v1/usage')).body.exports.used).toBe(0);
    });

    it('refuses a bad layout on the image route and the embed', async () => {
      const client = new TestClient(gateway.url, (await createTestKey({ plan: 'pro' })).secret);
      const diagram = (await client.post('/api/v1/diagrams', { name: 'Bad', source: FLOW })).body;
      expectError(await client.get(`/api/v1/diagrams/${diagram.id}/image?layout=circular`), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'layout' });
      expectError(await anonymous.get(`/api/v1/beautify.svg?source=${b64url(FLOW)}&look=x`), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'look' });
      expectError(await client.get(`/api/v1/diagrams/${diagram.id}/image?embed_fonts=1`), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'embed_fonts' });
    });
  });

  describe('JPEG and WebP', () => {
    const magic = (bytes: Buffer) => (bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff])) ? 'jpeg' : bytes.subarray(8, 12).toString('latin1') === 'WEBP' ? 'webp' : bytes.subarray(1, 4).toString('latin1'));

    it('exports, renders stored diagrams and serves shares as JPEG and WebP, scaled like PNG', async () => {
      const client = new TestClient(gateway.url, (await createTestKey({ plan: 'pro' })).secret);
      const exported = await client.post('/api/v1/export', { source: FLOW, source_format: 'mermaid', format: 'jpeg', scale: 2, theme: 'dark' });
      expect(exported.status).toBe(200);
      expect(exported.headers.get('content-type')).toBe('image/jpeg');
      expect(exported.headers.get('content-disposition')).toMatch(/^attachment; filename="diagram-flowchart-[0-9a-f]{6}\.jpg"$/);
      expect(exported.headers.get('x-scale')).toBe('2');
      expect(magic(exported.bytes)).toBe('jpeg');
      const named = await client.post('/api/v1/export', { source: FLOW, source_format: 'mermaid', format: 'webp', filename: 'flow' });
      expect([named.headers.get('content-type'), named.headers.get('content-disposition'), magic(named.bytes)]).toEqual(['image/webp', 'attachment; filename="flow.webp"', 'webp']);

      const diagram = (await client.post('/api/v1/diagrams', { name: 'Rasters', source: FLOW })).body;
      // Clamped to the plan as a PNG is: pro draws at most at 2.
      const webp = await client.get(`/api/v1/diagrams/${diagram.id}/image?format=webp&scale=4`);
      expect([webp.status, webp.headers.get('content-type'), webp.headers.get('x-scale'), webp.headers.get('x-scale-clamped'), magic(webp.bytes)]).toEqual([200, 'image/webp', '2', 'true', 'webp']);
      const png = await client.get(`/api/v1/diagrams/${diagram.id}/image?format=png&scale=4`);
      expect(webp.headers.get('etag')).not.toBe(png.headers.get('etag'));

      const share = (await client.post('/api/v1/share', { diagram_id: diagram.id })).body;
      expect([share.jpeg_url, share.webp_url]).toEqual([`/api/v1/share/${share.id}.jpg`, `/api/v1/share/${share.id}.webp`]);
      for (const [path, type] of [[share.jpeg_url, 'image/jpeg'], [`/api/v1/share/${share.id}.jpeg`, 'image/jpeg'], [share.webp_url, 'image/webp']]) {
        const response = await anonymous.get(path);
        expect([response.status, response.headers.get('content-type')]).toEqual([200, type]);
      }
    });

    it('refuses an output it does not draw, naming format', async () => {
      const client = new TestClient(gateway.url, (await createTestKey({ plan: 'pro' })).secret);
      expectError(await client.post('/api/v1/export', { source: FLOW, source_format: 'mermaid', format: 'gif' }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'format' });
      expect((await client.get('/api/v1/usage')).body.exports.used).toBe(0);
    });
  });
});
