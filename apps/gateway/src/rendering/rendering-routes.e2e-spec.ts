import { OUTPUT_FORMATS } from '@flowsmith/contracts';
import sharp from 'sharp';
import { closeTestPrisma, createTestKey, expectError, RunningGateway, startGateway, TestClient, testPrisma } from '@flowsmith/testing';
import { createGateway } from '../gateway';

const FLOW = 'flowchart LR\n  Order[Order placed] --> Pay{Paid?}\n  Pay -->|yes| Ship[Ship it]\n  Pay -->|no| Remind[Remind]';
const b64url = (text: string) => Buffer.from(text).toString('base64url');

describe('rendering routes', () => {
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

  describe('GET /v1/themes', () => {
    it('lists every theme publicly, with CORS', async () => {
      const response = await anonymous.get('/api/v1/themes');
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      const ids = response.body.data.map((t: { id: string }) => t.id);
      expect(ids).toEqual(expect.arrayContaining(['light', 'dark', 'modern', 'midnight', 'blueprint', 'high-contrast', 'print']));
      for (const theme of response.body.data) expect(theme).toEqual({ object: 'theme', id: expect.any(String), name: expect.any(String), tone: expect.stringMatching(/^(light|dark)$/), description: expect.any(String) });
    });
  });

  describe('POST /v1/beautify', () => {
    it('renders anonymously with a watermark, in modern by default, and sends no CORS header', async () => {
      const response = await anonymous.post('/api/v1/beautify', { source: FLOW, source_format: 'mermaid' });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.body).toMatchObject({ object: 'render', diagram_type: 'flowchart', meta: { theme: 'modern', watermarked: true }, usage: { limit: 1 } });
      expect(response.body.svg).toContain('Made with Flowsmith');
      expect(response.body.meta.width).toBeGreaterThan(100);
    });

    it('renders without a watermark for a key, in the theme asked for', async () => {
      const client = new TestClient(gateway.url, (await createTestKey({ plan: 'free' })).secret);
      const response = await client.post('/api/v1/beautify', { source: FLOW, source_format: 'mermaid', theme: 'midnight' });
      expect(response.body).toMatchObject({ meta: { theme: 'midnight', watermarked: false }, usage: { used: 0, limit: 3 } });
      expect(response.body.svg).not.toContain('Made with Flowsmith');
      expect(response.body.svg).toContain('#0f172a');
    });

    it.each([
      [{ source: 'flowchart TD\n  A -->', source_format: 'mermaid' }, 400, 'parse_failed', 'source'],
      [{ source: 'no language shows here' }, 400, 'missing_parameter', 'source_format'],
      [{ source: FLOW, source_format: 'mermaid', theme: 'neon' }, 400, 'invalid_parameter', 'theme'],
      [{ source: 'x'.repeat(101 * 1024), source_format: 'mermaid' }, 413, 'source_too_large', 'source'],
    ])('answers %j with %i %s', async (body, status, code, param) => {
      expectError(await anonymous.post('/api/v1/beautify', body), { status, type: 'invalid_request_error', code, param });
    });

    it('tells where a parse failed', async () => {
      const response = await anonymous.post('/api/v1/beautify', { source: 'sequenceDiagram\n  Alice->>Bob hello', source_format: 'mermaid' });
      expect(response.body.error.message).toMatch(/line 2, column \d+/);
    });

    it('answers a key without render:write with 403, not as anonymous', async () => {
      const client = new TestClient(gateway.url, (await createTestKey({ scopes: ['diagrams:read'] })).secret);
      expectError(await client.post('/api/v1/beautify', { source: FLOW, source_format: 'mermaid' }), { status: 403, type: 'permission_error', code: 'insufficient_scope', message: 'This key is missing the required scope: render:write.' });
    });
  });

  describe('POST /v1/export', () => {
    it('returns the file with its headers, the same name for the same source, and spends one export', async () => {
      const key = await createTestKey({ plan: 'pro' });
      const client = new TestClient(gateway.url, key.secret);
      const first = await client.post('/api/v1/export', { source: FLOW, source_format: 'mermaid', format: 'png', scale: 4, theme: 'dark' });
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toBe('image/png');
      const disposition = first.headers.get('content-disposition')!;
      expect(disposition).toMatch(/^attachment; filename="diagram-flowchart-[0-9a-f]{6}\.png"$/);
      expect(Object.fromEntries([...first.headers].filter(([name]) => name.startsWith('x-') && name !== 'x-request-id'))).toEqual({
        'x-diagram-type': 'flowchart',
        'x-source-format': 'mermaid',
        'x-theme': 'dark',
        'x-watermark': 'false',
        'x-scale': '2',
        'x-scale-clamped': 'true',
        'x-quota-plan': 'pro',
        'x-quota-used': '1',
        'x-quota-limit': '100',
        'x-quota-resets-at': expect.stringMatching(/^\d{4}-\d\d-01T00:00:00Z$/),
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
      });
      const again = await client.post('/api/v1/export', { source: FLOW, source_format: 'mermaid' });
      expect(again.headers.get('content-type')).toBe('image/svg+xml');
      expect(again.headers.get('content-disposition')).toBe(disposition.replace('.png', '.svg'));
      expect(again.headers.get('x-quota-used')).toBe('2');
      expect(again.headers.get('x-theme')).toBe('modern');
      expect((await client.get('/api/v1/usage')).body.exports.used).toBe(2);
    });

    it('answers JSON with the file in base64 on Accept: application/json or ?response=json, and honours filename', async () => {
      const client = new TestClient(gateway.url, (await createTestKey({ plan: 'premium' })).secret);
      const response = await client.post('/api/v1/export?response=json', { source: FLOW, source_format: 'mermaid', format: 'png', scale: 4, filename: 'checkout flow' });
      expect(response.body).toMatchObject({ object: 'export', filename: 'checkout flow.png', content_type: 'image/png', scale: 4, scale_clamped: false, quota: { plan: 'premium', limit: null } });
      const meta = await sharp(Buffer.from(response.body.data, 'base64')).metadata();
      expect([meta.width, meta.height]).toEqual([response.body.width, response.body.height]);
      expect(response.headers.get('x-quota-limit')).toBe('unlimited');
      const viaAccept = await client.post('/api/v1/export', { source: FLOW, source_format: 'mermaid' }, { headers: { accept: 'application/json' } });
      expect(viaAccept.body.object).toBe('export');
    });

    it('stops at the plan\'s monthly limit with quota_exhausted, and a failed render spends nothing', async () => {
      const key = await createTestKey({ plan: 'free' });
      const client = new TestClient(gateway.url, key.secret);
      expect((await client.post('/api/v1/export', { source: 'flowchart TD\n  A -->', source_format: 'mermaid' })).status).toBe(400);
      for (let i = 0; i < 3; i++) expect((await client.post('/api/v1/export', { source: `graph TD\n  A${i} --> B`, source_format: 'mermaid' })).status).toBe(200);
      expectError(await client.post('/api/v1/export', { source: FLOW, source_format: 'mermaid' }), { status: 429, type: 'rate_limit_error', code: 'quota_exhausted' });
      const counter = await testPrisma().usageCounter.findFirst({ where: { ownerId: key.ownerId } });
      expect(counter?.exportsUsed).toBe(3);
    });

    it('never passes the limit under concurrency', async () => {
      const key = await createTestKey({ plan: 'free' });
      const client = new TestClient(gateway.url, key.secret);
      const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => client.post('/api/v1/export', { source: `graph TD\n  C${i} --> D`, source_format: 'mermaid' })));
      expect(responses.filter((r) => r.status === 200).length).toBe(3);
      expect(responses.filter((r) => r.status === 429).length).toBe(7);
    });

    it('gives anonymous callers one watermarked export per IP per day, then quota_exhausted with hints', async () => {
      const ip = { 'x-forwarded-for': '198.51.100.23' }; // ignored: no proxy is trusted, every test call is 127.0.0.1
      const first = await anonymous.post('/api/v1/export', { source: FLOW, source_format: 'mermaid', format: 'png', scale: 2 }, { headers: ip });
      expect(first.status).toBe(200);
      expect(first.headers.get('x-watermark')).toBe('true');
      expect(first.headers.get('x-scale')).toBe('1');
      expect(first.headers.get('x-scale-clamped')).toBe('true');
      expect(first.headers.get('x-quota-plan')).toBe('anonymous');
      const second = await anonymous.post('/api/v1/export', { source: FLOW, source_format: 'mermaid' });
      expectError(second, { status: 429, type: 'rate_limit_error', code: 'quota_exhausted' });
      expect(second.body.error.hints).toEqual({ sign_up_url: expect.any(String), docs_url: expect.any(String) });
    });

    it('replays an export with the same Idempotency-Key without spending again', async () => {
      const client = new TestClient(gateway.url, (await createTestKey({ plan: 'pro' })).secret);
      const headers = { 'idempotency-key': 'export-1' };
      const first = await client.post('/api/v1/export', { source: FLOW, source_format: 'mermaid', format: 'png' }, { headers });
      const replay = await client.post('/api/v1/export', { source: FLOW, source_format: 'mermaid', format: 'png' }, { headers });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.headers.get('content-type')).toBe('image/png');
      expect(replay.text).toBe(first.text);
      expect(replay.headers.get('x-quota-used')).toBe('1');
      const next = await client.post('/api/v1/export', { source: FLOW, source_format: 'mermaid' });
      expect(next.headers.get('x-quota-used')).toBe('2');
    });
  });

  describe('GET /v1/beautify.svg', () => {
    it('embeds with base64url or base64, watermarked, cacheable, with CORS and ETag/304', async () => {
      const response = await anonymous.get(`/api/v1/beautify.svg?source=${b64url(FLOW)}&theme=dark`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('public, max-age=3600, s-maxage=86400');
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.text).toContain('Made with Flowsmith');
      const etag = response.headers.get('etag')!;
      const notModified = await anonymous.get(`/api/v1/beautify.svg?source=${encodeURIComponent(Buffer.from(FLOW).toString('base64'))}&theme=dark`, { headers: { 'if-none-match': etag } });
      expect(notModified.status).toBe(304);
      expect(notModified.text).toBe('');
    });

    it('ignores any key: still watermarked, counted per IP on the embed bucket', async () => {
      const key = (await createTestKey()).secret;
      const response = await anonymous.get(`/api/v1/beautify.svg?source=${b64url('graph TD\n  K --> E')}`, { key });
      expect(response.text).toContain('Made with Flowsmith');
      expect(response.headers.get('ratelimit-limit')).toBe('300');
    });

    it('answers a source that does not parse with 200 and an SVG that shows the error', async () => {
      const response = await anonymous.get(`/api/v1/beautify.svg?source=${b64url('flowchart TD\n  A -->')}`);
      expect(response.status).toBe(200);
      expect(response.text).toContain('could not be rendered');
      expect(response.text).toContain('line 2');
    });

    it('refuses sources over 5 KB decoded, and a missing or undecodable source', async () => {
      const big = 'graph TD\n' + 'A-->B\n'.repeat(1000);
      expectError(await anonymous.get(`/api/v1/beautify.svg?source=${b64url(big)}`), { status: 413, type: 'invalid_request_error', code: 'source_too_large', param: 'source' });
      expectError(await anonymous.get('/api/v1/beautify.svg'), { status: 400, type: 'invalid_request_error', code: 'missing_parameter', param: 'source' });
      expectError(await anonymous.get(`/api/v1/beautify.svg?source=${Buffer.from([0xff, 0xfe, 0xfd]).toString('base64url')}`), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'source' });
    });
  });

  describe('GET /v1/diagrams/{id}/image', () => {
    it('renders PNG by default in the default theme, SVG on request, with ETag and 304, and clamps scale to the plan', async () => {
      const client = new TestClient(gateway.url, (await createTestKey({ plan: 'free' })).secret);
      const diagram = (await client.post('/api/v1/diagrams', { name: 'Checkout', source: FLOW })).body;
      const png = await client.get(`/api/v1/diagrams/${diagram.id}/image?scale=4`);
      expect(png.status).toBe(200);
      expect(png.headers.get('content-type')).toBe('image/png');
      expect(png.headers.get('x-scale-clamped')).toBe('true');
      expect(png.headers.get('x-scale')).toBe('1');
      const svg = await client.get(`/api/v1/diagrams/${diagram.id}/image?format=svg&theme=blueprint`);
      expect(svg.headers.get('content-type')).toBe('image/svg+xml');
      expect(svg.text).not.toContain('Made with Flowsmith');
      expect(svg.text).toContain('#1d4e89');
      const etag = svg.headers.get('etag')!;
      expect(etag).toMatch(/^"[0-9a-f]{40}"$/);
      expect((await client.get(`/api/v1/diagrams/${diagram.id}/image?format=svg&theme=blueprint`, { headers: { 'if-none-match': etag } })).status).toBe(304);
      // A new source is a new ETag.
      await client.patch(`/api/v1/diagrams/${diagram.id}`, { source: 'graph TD\n  New --> Source' });
      const changed = await client.get(`/api/v1/diagrams/${diagram.id}/image?format=svg&theme=blueprint`, { headers: { 'if-none-match': etag } });
      expect(changed.status).toBe(200);
      expect(changed.text).toContain('New');
      // The image route never spends quota.
      expect((await client.get('/api/v1/usage')).body.exports.used).toBe(0);
    });

    it.each([
      ['theme=neon', 'theme', 'theme must be one of: light, dark, modern, midnight, blueprint, high-contrast, print.'],
      ['format=gif', 'format', `format must be one of: ${OUTPUT_FORMATS.join(', ')}.`],
      ['scale=3', 'scale', 'scale must be one of: 1, 2, 4.'],
    ])('answers ?%s with 400 invalid_parameter naming %s', async (query, param, message) => {
      const client = new TestClient(gateway.url, (await createTestKey()).secret);
      const diagram = (await client.post('/api/v1/diagrams', { name: 'x', source: 'graph TD\n  A --> B' })).body;
      expectError(await client.get(`/api/v1/diagrams/${diagram.id}/image?${query}`), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param, message });
    });

    it('answers 404 for a diagram of another owner or a bad id, and 422 for a PNG over 8192 px', async () => {
      const client = new TestClient(gateway.url, (await createTestKey({ plan: 'premium' })).secret);
      const other = new TestClient(gateway.url, (await createTestKey()).secret);
      const wide = 'flowchart LR\n' + Array.from({ length: 60 }, (_, i) => `  N${i}[Step number ${i}] --> N${i + 1}`).join('\n');
      const diagram = (await client.post('/api/v1/diagrams', { name: 'Wide', source: wide })).body;
      expectError(await other.get(`/api/v1/diagrams/${diagram.id}/image`), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
      expectError(await client.get('/api/v1/diagrams/nope/image'), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
      expectError(await client.get(`/api/v1/diagrams/${diagram.id}/image?scale=4`), { status: 422, type: 'invalid_request_error', code: 'output_too_large', param: 'scale' });
      expect((await client.get(`/api/v1/diagrams/${diagram.id}/image?format=svg`)).status).toBe(200);
    });

    it('serves each of many concurrent requests its own diagram, reads batched, and never one of another owner', async () => {
      // The route reads diagrams in batches of whatever arrives together: a mix of owners, a
      // missing id and a deleted diagram in one burst must each get their own answer.
      const owners = await Promise.all([0, 1, 2].map(async () => new TestClient(gateway.url, (await createTestKey()).secret)));
      const diagrams = await Promise.all(owners.map((client, i) => client.post('/api/v1/diagrams', { name: `o${i}`, source: `graph TD\n  Owner${i} --> Node${i}` })));
      const deleted = (await owners[0].post('/api/v1/diagrams', { name: 'gone', source: 'graph TD\n  Gone --> Away' })).body;
      await owners[0].delete(`/api/v1/diagrams/${deleted.id}`);
      const requests = Array.from({ length: 30 }, (_, i) => {
        const owner = i % 3;
        const target = (owner + Math.floor(i / 3)) % 3; // its own diagram or another owner's
        return { owner, target, response: owners[owner].get(`/api/v1/diagrams/${diagrams[target].body.id}/image?format=svg`) };
      });
      const extra = [owners[0].get(`/api/v1/diagrams/${deleted.id}/image?format=svg`), owners[1].get('/api/v1/diagrams/00000000-0000-4000-8000-000000000000/image?format=svg')];
      for (const { owner, target, response } of requests) {
        const answer = await response;
        if (owner === target) {
          expect(answer.status).toBe(200);
          expect(answer.text).toContain(`Owner${owner}`);
        } else {
          expectError(answer, { status: 404, type: 'not_found_error', code: 'resource_not_found' });
        }
      }
      for (const answer of await Promise.all(extra)) expectError(answer, { status: 404, type: 'not_found_error', code: 'resource_not_found' });
    });
  });

  describe('budget and availability', () => {
    it('answers 504 render_timeout when no worker finishes within 10 s, and 503 when no render worker is alive', async () => {
      const prefix = `${process.env.REDIS_PREFIX}no-worker:`;
      const lonely = await startGateway(createGateway, { REDIS_PREFIX: prefix, RATE_LIMIT_ANONYMOUS: '1000' });
      const redis = new (await import('ioredis')).Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
      try {
        const client = new TestClient(lonely.url);
        const unavailable = await client.post('/api/v1/beautify', { source: FLOW, source_format: 'mermaid' });
        expectError(unavailable, { status: 503, type: 'api_error', code: 'service_unavailable' });
        expect(unavailable.headers.get('retry-after')).toBe('5');
        // A worker that announces itself but never takes the job: the gateway gives up at the budget.
        await redis.zadd(`${prefix}workers:render`, Date.now() + 60_000, 'silent-worker');
        const started = Date.now();
        const timedOut = await client.post('/api/v1/beautify', { source: 'graph TD\n  Slow --> Worker', source_format: 'mermaid' });
        expectError(timedOut, { status: 504, type: 'api_error', code: 'render_timeout' });
        expect(Date.now() - started).toBeGreaterThanOrEqual(9_500);
        expect(Date.now() - started).toBeLessThan(12_000);
      } finally {
        redis.disconnect();
        await lonely.close();
      }
    }, 30_000);
  });

  describe('shares', () => {
    it('publishes, serves publicly (unwatermarked, cacheable, 304), lists and revokes', async () => {
      const client = new TestClient(gateway.url, (await createTestKey({ plan: 'pro' })).secret);
      const diagram = (await client.post('/api/v1/diagrams', { name: 'Public', source: FLOW })).body;
      const share = await client.post('/api/v1/share', { diagram_id: diagram.id, theme: 'midnight' });
      expect(share.status).toBe(201);
      expect(share.body).toEqual({
        object: 'share',
        id: expect.stringMatching(/^[0-9A-Za-z]{22}$/),
        url: `/api/v1/share/${share.body.id}.svg`,
        png_url: `/api/v1/share/${share.body.id}.png`,
        jpeg_url: `/api/v1/share/${share.body.id}.jpg`,
        webp_url: `/api/v1/share/${share.body.id}.webp`,
        theme: 'midnight',
        layout: null,
        look: null,
        diagram_id: diagram.id,
        revision: 1,
        follow_latest: false,
        created_at: expect.any(String),
        detected_format: null,
      });
      const svg = await anonymous.get(share.body.url);
      expect(svg.status).toBe(200);
      expect(svg.headers.get('content-type')).toBe('image/svg+xml');
      expect(svg.headers.get('cache-control')).toBe('public, s-maxage=300');
      expect(svg.headers.get('access-control-allow-origin')).toBe('*');
      expect(svg.text).not.toContain('Made with Flowsmith');
      expect((await anonymous.get(share.body.url, { headers: { 'if-none-match': svg.headers.get('etag')! } })).status).toBe(304);
      const png = await anonymous.get(share.body.png_url);
      expect(png.headers.get('content-type')).toBe('image/png');

      const fromSource = await client.post('/api/v1/share', { source: 'pie\n  "A": 1\n  "B": 2', source_format: 'mermaid' });
      expect(fromSource.body.diagram_id).toBeNull();
      expect((await anonymous.get(fromSource.body.url)).text).toContain('<svg');

      const list = await client.get('/api/v1/shares');
      expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([fromSource.body.id, share.body.id]);
      expect((await client.get('/api/v1/usage')).body.shares).toEqual({ used: 2, limit: 100 });

      expect((await client.delete(`/api/v1/share/${share.body.id}`)).body).toEqual({ object: 'share', id: share.body.id, deleted: true });
      expectError(await anonymous.get(share.body.url), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
      expectError(await client.delete(`/api/v1/share/${share.body.id}`), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
      // A deleted diagram takes its share with it.
      const other = (await client.post('/api/v1/share', { diagram_id: diagram.id })).body;
      await client.delete(`/api/v1/diagrams/${diagram.id}`);
      expect((await anonymous.get(other.url)).status).toBe(404);
    });

    it('enforces the share cap of the plan, validates input and hides other owners\' shares', async () => {
      const client = new TestClient(gateway.url, (await createTestKey({ plan: 'free' })).secret);
      const made = await Promise.all(Array.from({ length: 7 }, (_, i) => client.post('/api/v1/share', { source: `graph TD\n  S${i} --> T`, source_format: 'mermaid' })));
      expect(made.filter((r) => r.status === 201).length).toBe(5);
      for (const r of made.filter((x) => x.status !== 201)) expectError(r, { status: 429, type: 'rate_limit_error', code: 'quota_exhausted' });
      expectError(await client.post('/api/v1/share', {}), { status: 400, type: 'invalid_request_error', code: 'missing_parameter', param: 'diagram_id' });
      expectError(await client.post('/api/v1/share', { source: 'flowchart TD\n  A -->', source_format: 'mermaid' }), { status: 400, type: 'invalid_request_error', code: 'parse_failed', param: 'source' });
      const stranger = new TestClient(gateway.url, (await createTestKey()).secret);
      expectError(await stranger.delete(`/api/v1/share/${made[0].body.id ?? made.find((r) => r.status === 201)!.body.id}`), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
      expectError(await anonymous.get('/api/v1/share/short.svg'), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
      expectError(await anonymous.get(`/api/v1/share/${'A'.repeat(22)}.gif`), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
    });
  });
});
