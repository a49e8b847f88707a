import { OUTPUT_FORMATS } from '@flowsmith/contracts';
import { ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Diagram, FetchLike, FlowsmithClient, FlowsmithError, FlowsmithTimeoutError, routeSignatures } from '@flowsmith/client';
// The client's spec lives with the gateway it drives: the client lib itself reaches nothing of ours
// (it ships as a package of its own: client-package.e2e-spec.ts), not even the test harness.
import { closeTestPrisma, createTestKey, emitDiagram, FakeAnthropic, RunningGateway, spawnWorker, startGateway, waitForWorkers } from '@flowsmith/testing';
import { createGateway } from '../src/gateway';

const FLOW = 'flowchart LR\n  Order[Order placed] --> Pay{Paid?}\n  Pay -->|yes| Ship[Ship it]\n  Pay -->|no| Remind[Remind]';
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];
const REQUEST_ID = /^req_[0-9a-f]{16}$/;

const ROOT = join(__dirname, '../../..');

/**
 * Operations of the document the client leaves out: the browser session routes exchange a key for a
 * cookie (apps/gateway/src/sessions), which only a browser page of the gateway's own origin can use.
 */
const NOT_FOR_CLIENTS = ['POST /api/v1/sessions', 'GET /api/v1/sessions/current', 'DELETE /api/v1/sessions/current'];

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
}

interface Exchange {
  method: string;
  url: string;
  headers: Record<string, string>;
  status?: number;
  retryAfter?: string | null;
  at: number;
}

/** A fetch that records every attempt the client makes, and what came back. */
function recordingFetch() {
  const log: Exchange[] = [];
  const fetchImpl: FetchLike = async (input, init) => {
    const entry: Exchange = { method: init.method ?? 'GET', url: input, headers: { ...(init.headers as Record<string, string>) }, at: Date.now() };
    log.push(entry);
    const response = await fetch(input, init);
    entry.status = response.status;
    entry.retryAfter = response.headers.get('retry-after');
    return response;
  };
  return { log, fetch: fetchImpl };
}

async function caught(promise: Promise<unknown>): Promise<FlowsmithError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FlowsmithError) return error;
    throw error;
  }
  throw new Error('expected a FlowsmithError');
}

async function until(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('@flowsmith/client against a real gateway', () => {
  let gateway: RunningGateway;
  let document: OpenApiDocument;
  /** The properties the document gives a schema: what a response of that schema must carry, no more, no less. */
  const fieldsOf = (schema: string) => Object.keys(document.components.schemas[schema]?.properties ?? {}).sort();

  beforeAll(async () => {
    gateway = await startGateway(createGateway, { RATE_LIMIT_PER_KEY: '100000' });
    const response = await fetch(`${gateway.url}/api/openapi.json`);
    expect(response.status).toBe(200);
    document = (await response.json()) as OpenApiDocument;
  });
  afterAll(async () => {
    await gateway?.close();
    await closeTestPrisma();
  });

  const clientFor = async (plan: 'free' | 'pro' | 'premium' = 'pro') => new FlowsmithClient({ baseUrl: gateway.url, apiKey: (await createTestKey({ plan })).secret, maxRetries: 0 });

  describe('drift against /api/openapi.json', () => {
    it('calls exactly the operations the document lists', () => {
      const operations = Object.entries(document.paths).flatMap(([path, item]) =>
        Object.keys(item)
          .filter((method) => ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'trace'].includes(method))
          .map((method) => `${method.toUpperCase()} ${path}`),
      );
      expect(operations).toEqual(expect.arrayContaining(NOT_FOR_CLIENTS));
      expect([...routeSignatures()].sort()).toEqual(operations.filter((operation) => !NOT_FOR_CLIENTS.includes(operation)).sort());
    });

    it('types its requests and responses with what is generated from the document now', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'flowsmith-openapi-'));
      try {
        writeFileSync(join(dir, 'openapi.json'), JSON.stringify(document));
        // It says which command regenerates them when they differ.
        const script = join(ROOT, 'scripts/generate-client-types.mjs');
        const problem = await promisify(execFile)(process.execPath, [script, '--check', '--document', join(dir, 'openapi.json')]).then(() => '', (error: { stderr: string }) => error.stderr);
        expect(problem).toBe('');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('round-trips folders, diagrams, images, rendering, shares, usage and keys', async () => {
    const client = await clientFor('pro');
    const me = await client.me();
    expect(me).toMatchObject({ object: 'api_key_identity', plan: 'pro' });
    expect(Object.keys(me).sort()).toEqual(fieldsOf('KeyIdentity'));
    expect((await client.themes.list()).data.map((theme) => theme.id)).toEqual(expect.arrayContaining(['light', 'dark', 'modern', 'midnight']));

    const folder = await client.folders.create({ name: 'Onboarding', context: 'Customer onboarding flows' });
    expect(Object.keys(folder).sort()).toEqual(fieldsOf('FolderResource'));
    expect(await client.folders.update(folder.id, { name: 'Onboarding v2' })).toMatchObject({ id: folder.id, name: 'Onboarding v2' });
    expect((await client.folders.get(folder.id)).context).toBe('Customer onboarding flows');
    expect((await client.folders.list()).data.map((f) => f.id)).toEqual([folder.id]);

    const diagrams: Diagram[] = [];
    for (const name of ['one', 'two', 'three']) diagrams.push(await client.diagrams.create({ name, source: FLOW, folder_id: folder.id }));
    expect(Object.keys(diagrams[0]).sort()).toEqual(fieldsOf('DiagramResource'));
    expect(diagrams[0]).toMatchObject({ object: 'diagram', source_format: 'mermaid', diagram_type: 'flowchart', folder_id: folder.id });
    const page = await client.diagrams.list({ folder_id: folder.id, limit: 2 });
    expect(page).toMatchObject({ object: 'list', has_more: true, next_cursor: expect.any(String) });
    const all: string[] = [];
    for await (const diagram of client.diagrams.listAll({ folder_id: folder.id, limit: 1 })) all.push(diagram.name);
    expect(all).toEqual(['three', 'two', 'one']);
    expect(await client.diagrams.update(diagrams[0].id, { name: 'first' })).toMatchObject({ name: 'first' });
    expect((await client.diagrams.get(diagrams[0].id)).name).toBe('first');
    const revisions = await client.diagrams.listRevisions(diagrams[0].id);
    expect(revisions.data.map((revision) => [revision.number, revision.name])).toEqual([[2, 'first'], [1, 'one']]);
    expect(Object.keys(revisions.data[0]).sort()).toEqual(fieldsOf('DiagramRevisionResource'));
    expect(await client.diagrams.getRevision(diagrams[0].id, 1)).toMatchObject({ object: 'diagram_revision', number: 1, name: 'one', source: FLOW });
    expect(await client.diagrams.restoreRevision(diagrams[0].id, 1)).toMatchObject({ id: diagrams[0].id, name: 'one' });
    const history: number[] = [];
    for await (const revision of client.diagrams.listAllRevisions(diagrams[0].id, { limit: 1 })) history.push(revision.number);
    expect(history).toEqual([3, 2, 1]);

    const png = await client.diagrams.image(diagrams[0].id, { theme: 'dark' });
    expect(png).toMatchObject({ contentType: 'image/png', notModified: false, requestId: expect.stringMatching(REQUEST_ID), etag: expect.any(String) });
    expect([...png.data.subarray(0, 4)]).toEqual(PNG_SIGNATURE);
    const again = await client.diagrams.image(diagrams[0].id, { theme: 'dark', ifNoneMatch: png.etag });
    expect(again).toMatchObject({ notModified: true, data: new Uint8Array(0) });
    const svg = await client.diagrams.image(diagrams[0].id, { format: 'svg' });
    expect(svg.contentType).toMatch(/^image\/svg\+xml/);
    expect(new TextDecoder().decode(svg.data)).toContain('<svg');

    const rendered = await client.render.beautify({ source: FLOW, source_format: 'mermaid', theme: 'midnight' });
    expect(Object.keys(rendered).sort()).toEqual(fieldsOf('RenderResource'));
    expect(rendered).toMatchObject({ object: 'render', diagram_type: 'flowchart', meta: { theme: 'midnight', watermarked: false } });
    const exported = await client.render.export({ source: FLOW, source_format: 'mermaid', format: 'png' });
    expect(exported.filename).toMatch(/^diagram-flowchart-[0-9a-f]{6}\.png$/);
    expect([...exported.data.subarray(0, 4)]).toEqual(PNG_SIGNATURE);
    expect(exported.headers.get('x-quota-used')).toBe('1');
    const embed = await fetch(client.render.embedUrl(FLOW, { theme: 'dark' }));
    expect(embed.status).toBe(200);
    expect(await embed.text()).toContain('<svg');
    expect(new TextDecoder().decode((await client.render.embed(FLOW)).data)).toContain('Made with Flowsmith');

    const share = await client.shares.create({ diagram_id: diagrams[1].id, theme: 'dark' });
    expect(Object.keys(share).sort()).toEqual(fieldsOf('ShareResource'));
    expect(share).toMatchObject({ object: 'share', url: `/api/v1/share/${share.id}.svg`, diagram_id: diagrams[1].id });
    expect((await client.shares.list()).data.map((s) => s.id)).toEqual([share.id]);
    const publicPng = await new FlowsmithClient({ baseUrl: gateway.url }).shares.image(share.id, 'png');
    expect([...publicPng.data.subarray(0, 4)]).toEqual(PNG_SIGNATURE);

    const usage = await client.usage.get();
    expect(Object.keys(usage).sort()).toEqual(fieldsOf('UsageResource'));
    expect(usage).toMatchObject({ object: 'usage', plan: 'pro', exports: { used: 1, limit: 100 }, shares: { used: 1, limit: 100 } });

    const key = await client.keys.create({ name: 'ci', scopes: ['diagrams:read'] });
    expect(key.secret).toMatch(/^fs_test_/);
    const { secret: _secret, ...listed } = key;
    expect(Object.keys(listed).sort()).toEqual(fieldsOf('KeyResource'));
    expect((await client.keys.list()).data.map((k) => k.id)).toContain(key.id);
    const reader = new FlowsmithClient({ baseUrl: gateway.url, apiKey: key.secret!, maxRetries: 0 });
    expect((await reader.diagrams.get(diagrams[1].id)).id).toBe(diagrams[1].id);
    expect((await client.keys.revoke(key.id)).revoked_at).toEqual(expect.any(String));
    expect(await caught(reader.diagrams.get(diagrams[1].id))).toMatchObject({ status: 401, type: 'authentication_error', code: 'invalid_api_key' });

    expect(await client.shares.delete(share.id)).toEqual({ object: 'share', id: share.id, deleted: true });
    expect(await caught(client.shares.image(share.id))).toMatchObject({ status: 404, code: 'resource_not_found' });
    for (const diagram of diagrams) expect(await client.diagrams.delete(diagram.id)).toEqual({ object: 'diagram', id: diagram.id, deleted: true });
    expect(await client.folders.delete(folder.id)).toEqual({ object: 'folder', id: folder.id, deleted: true });
    expect(await client.health.live()).toEqual({ status: 'ok' });
    expect((await client.health.ready()).checks).toMatchObject({ database: 'ok' });
    expect(await client.health.metrics()).toMatch(/^# HELP flowsmith_/m);
  }, 30_000);

  it('throws typed errors with type, code, param and request id', async () => {
    const client = await clientFor('free');
    const missing = await caught(client.diagrams.get('00000000-0000-4000-8000-000000000000'));
    expect(missing).toBeInstanceOf(Error);
    expect(missing).toMatchObject({ name: 'FlowsmithError', status: 404, type: 'not_found_error', code: 'resource_not_found', message: 'Diagram not found.', requestId: expect.stringMatching(REQUEST_ID) });
    expect(missing.requestId).toBe(missing.headers.get('x-request-id'));

    const diagram = await client.diagrams.create({ name: 'd', source: FLOW });
    const invalid = await caught(client.diagrams.image(diagram.id, { format: 'gif' as never }));
    expect(invalid).toMatchObject({ status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'format', message: `format must be one of: ${OUTPUT_FORMATS.join(', ')}.` });
    expect(await caught(client.render.beautify({ source: 'flowchart TD\n  A -->', source_format: 'mermaid' }))).toMatchObject({ status: 400, code: 'parse_failed', param: 'source' });
    expect(await caught(client.ai.generate({ prompt: 'a flowchart' }))).toMatchObject({ status: 403, type: 'permission_error', code: 'plan_not_allowed' });
    expect(await caught(new FlowsmithClient({ baseUrl: gateway.url }).usage.get())).toMatchObject({ status: 401, code: 'not_authenticated' });
  });

  it('waits out 429 per Retry-After, then succeeds, with one Idempotency-Key for both attempts of a spending POST', async () => {
    const limited = await startGateway(createGateway, { RATE_LIMIT_PER_KEY: '2', RATE_LIMIT_WINDOW_SECONDS: '3' });
    try {
      const recorder = recordingFetch();
      const secret = (await createTestKey({ plan: 'pro' })).secret;
      const client = new FlowsmithClient({ baseUrl: limited.url, apiKey: secret, fetch: recorder.fetch });
      // Fill the window, early enough in it that the export below is refused too.
      for (;;) {
        const error = await client.usage.get({ maxRetries: 0 }).then(() => undefined, (e: unknown) => e as FlowsmithError);
        if (!error) continue;
        expect(error).toMatchObject({ status: 429, type: 'rate_limit_error', code: 'rate_limited', rateLimit: { limit: 2, window_seconds: 3 } });
        if (Date.parse(error.rateLimit!.resets_at) - Date.now() > 500) break;
        await new Promise((r) => setTimeout(r, 1500));
      }

      const exported = await client.render.export({ source: FLOW, source_format: 'mermaid' });
      expect(exported.contentType).toMatch(/^image\/svg\+xml/);
      const attempts = recorder.log.filter((entry) => entry.url.endsWith('/api/v1/export'));
      expect(attempts.map((a) => a.status)).toEqual([429, 200]);
      const retryAfter = Number(attempts[0].retryAfter);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(retryAfter * 1000 - 50);
      expect(attempts[0].headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
      expect(attempts[1].headers['idempotency-key']).toBe(attempts[0].headers['idempotency-key']);

      // Spent once; a caller's own key is used as given.
      await client.render.export({ source: FLOW, source_format: 'mermaid' }, { idempotencyKey: 'export-once' });
      await client.render.export({ source: FLOW, source_format: 'mermaid' }, { idempotencyKey: 'export-once' });
      expect(recorder.log.filter((entry) => entry.headers['idempotency-key'] === 'export-once').length).toBeGreaterThanOrEqual(2);
      expect((await client.usage.get()).exports.used).toBe(2);
    } finally {
      await limited.close();
    }
  }, 30_000);

  it('does not wait out a 429 quota_exhausted', async () => {
    const secret = (await createTestKey({ plan: 'free' })).secret;
    const client = new FlowsmithClient({ baseUrl: gateway.url, apiKey: secret, maxRetries: 0 });
    for (let i = 0; i < 3; i++) await client.render.export({ source: `${FLOW}\n  %% ${i}`, source_format: 'mermaid' });
    const recorder = recordingFetch();
    const retrying = new FlowsmithClient({ baseUrl: gateway.url, apiKey: secret, fetch: recorder.fetch });
    expect(await caught(retrying.render.export({ source: FLOW, source_format: 'mermaid' }))).toMatchObject({ status: 429, code: 'quota_exhausted', retryAfter: expect.any(Number) });
    expect(recorder.log).toHaveLength(1);
  });

  describe('with workers of its own', () => {
    const prefix = `${process.env.REDIS_PREFIX}client:`;
    const fake = new FakeAnthropic();
    const workers: ChildProcess[] = [];
    let isolated: RunningGateway;

    beforeAll(async () => {
      const baseURL = await fake.start();
      isolated = await startGateway(createGateway, { REDIS_PREFIX: prefix, RATE_LIMIT_PER_KEY: '100000', RATE_LIMIT_AI_PER_KEY: '100000' });
      workers.push(spawnWorker('generation-worker', { REDIS_PREFIX: prefix, ANTHROPIC_API_KEY: 'sk-ant-fake', ANTHROPIC_BASE_URL: baseURL, ANTHROPIC_TIMEOUT_MS: '1500' }));
      await waitForWorkers('generation', prefix);
    }, 30_000);
    afterAll(async () => {
      for (const worker of workers) worker.kill('SIGKILL');
      await isolated?.close();
      await fake.close();
    });

    it('retries a 503 (no render worker) per Retry-After until a worker comes up', async () => {
      const recorder = recordingFetch();
      const client = new FlowsmithClient({ baseUrl: isolated.url, apiKey: (await createTestKey({ plan: 'pro' })).secret, fetch: recorder.fetch, maxRetries: 12 });
      const pending = client.render.beautify({ source: FLOW, source_format: 'mermaid' });
      await until(() => recorder.log[0]?.status !== undefined, 10_000);
      expect(recorder.log[0]).toMatchObject({ status: 503, retryAfter: expect.stringMatching(/^\d+$/) });
      workers.push(spawnWorker('render-worker', { REDIS_PREFIX: prefix, RENDER_PAGES: '1' }));

      expect(await pending).toMatchObject({ object: 'render', diagram_type: 'flowchart' });
      const statuses = recorder.log.map((entry) => entry.status);
      expect(statuses[statuses.length - 1]).toBe(200);
      expect(statuses.slice(0, -1).every((status) => status === 503)).toBe(true);
      expect(recorder.log[1].at - recorder.log[0].at).toBeGreaterThanOrEqual(Number(recorder.log[0].retryAfter) * 1000 - 50);
      // Up to a minute of 5 s waits: a worker starts its browser in seconds, on a busy machine in tens of them.
    }, 90_000);

    it('waitForGeneration polls as the server asks until the generation is final', async () => {
      await waitForWorkers('render', prefix);
      const recorder = recordingFetch();
      const client = new FlowsmithClient({ baseUrl: isolated.url, apiKey: (await createTestKey({ plan: 'pro' })).secret, fetch: recorder.fetch });
      fake.script('[client-e2e]', emitDiagram(FLOW, 'Orders'));
      const created = await client.generations.create({ prompt: '[client-e2e] orders: place, pay, ship', theme: 'dark' });
      expect(created).toMatchObject({ object: 'generation', status: 'queued' });
      const done = await client.waitForGeneration(created.id, { timeoutMs: 20_000 });
      expect(Object.keys(done).sort()).toEqual(fieldsOf('GenerationResource'));
      expect(done).toMatchObject({ status: 'succeeded', error: null, diagram: { name: 'Orders', source: FLOW } });
      const polls = recorder.log.filter((entry) => entry.url.endsWith(`/api/v1/generations/${created.id}`));
      for (let i = 1; i < polls.length; i++) expect(polls[i].at - polls[i - 1].at).toBeGreaterThanOrEqual(Number(polls[i - 1].retryAfter) * 1000 - 50);
      expect(polls[polls.length - 1].retryAfter).toBeNull();
      const image = await client.diagrams.image(done.diagram!.id, { theme: 'dark' });
      expect([...image.data.subarray(0, 4)]).toEqual(PNG_SIGNATURE);
      expect((await client.generations.list()).data.map((g) => g.id)).toEqual([created.id]);
    }, 30_000);

    it('waitForGeneration gives up after timeoutMs with the last generation seen', async () => {
      const client = new FlowsmithClient({ baseUrl: isolated.url, apiKey: (await createTestKey({ plan: 'pro' })).secret });
      fake.script('[client-hang]', { hang: true });
      const created = await client.generations.create({ prompt: '[client-hang] a flowchart of a queue' });
      const started = Date.now();
      const error = await client.waitForGeneration(created.id, { timeoutMs: 1200 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FlowsmithTimeoutError);
      expect((error as FlowsmithTimeoutError).generation).toMatchObject({ id: created.id, status: expect.stringMatching(/^(queued|processing)$/) });
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });
});
