import type { ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { verifyWebhookSignature } from '@flowsmith/client';
import type { Scope } from '@flowsmith/contracts';
import { WebhooksRepository } from '@flowsmith/database';
import {
  closeTestPrisma, createTestKey, expectError, exited, RunningGateway, spawnWorker, startGateway, TestClient, testPrisma, waitForWorkers,
} from '@flowsmith/testing';
import { createGateway } from '../gateway';
import { eventually, Hit, Receiver } from './webhook-receiver';

const FLOWCHART = 'flowchart TD\n  A[Start] --> B[Done]';

/** The signature header checked by hand, as a receiver without the client would. */
function signedByHand(hit: Hit, secret: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(hit.headers['flowsmith-signature']));
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${hit.body}`).digest('hex');
  return expected === match[2] && Math.abs(Date.now() / 1000 - Number(match[1])) < 300;
}

const eventOf = (hit: Hit) => JSON.parse(hit.body) as { id: string; type: string; created_at: string; data: { object: Record<string, unknown> } };

/**
 * Webhooks with real processes: the gateway in-process, render, generation (offline model) and
 * webhook workers spawned from dist/, Postgres, Redis and a receiver on loopback, so private URLs
 * are allowed here except where the refusals are tested.
 */
describe('webhooks (gateway, webhook workers, receiver on loopback)', () => {
  const prefix = `${process.env.REDIS_PREFIX}wh:`;
  const receiver = new Receiver();
  let gateway: RunningGateway;
  let webhookWorker: ChildProcess;
  const others: ChildProcess[] = [];
  const startWebhookWorker = (env: Record<string, string> = {}) =>
    spawnWorker('webhook-worker', {
      REDIS_PREFIX: prefix,
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_RETRY_BASE_MS: '200',
      WEBHOOK_RETRY_MAX_DELAY_MS: '800',
      WEBHOOK_TIMEOUT_MS: '1500',
      WEBHOOK_DISABLE_AFTER_SECONDS: '3',
      ...env,
    });

  beforeAll(async () => {
    await receiver.start();
    webhookWorker = startWebhookWorker();
    others.push(spawnWorker('render-worker', { REDIS_PREFIX: prefix, RENDER_PAGES: '1' }), spawnWorker('generation-worker', { REDIS_PREFIX: prefix, ANTHROPIC_API_KEY: '' }));
    gateway = await startGateway(createGateway, { REDIS_PREFIX: prefix, WEBHOOK_ALLOW_PRIVATE_URLS: 'true', RATE_LIMIT_PER_KEY: '100000' });
    await Promise.all([waitForWorkers('webhook', prefix), waitForWorkers('render', prefix), waitForWorkers('generation', prefix)]);
  }, 120_000);
  afterAll(async () => {
    for (const worker of [webhookWorker, ...others]) worker.kill('SIGKILL');
    await gateway?.close();
    await receiver.close();
    await closeTestPrisma();
  });

  async function owner(scopes?: Scope[]) {
    const key = await createTestKey({ plan: 'pro', scopes });
    return { key, client: new TestClient(gateway.url, key.secret) };
  }

  async function endpoint(client: TestClient, path: string, events: string[], behaviour?: (hit: number) => number | 'hold') {
    const url = behaviour ? receiver.on(path, behaviour) : `${receiver.url}${path}`;
    const created = await client.post('/api/v1/webhook_endpoints', { url, events });
    expect(created.status).toBe(201);
    return created.body as { id: string; secret: string };
  }

  /** A diagram written straight to the database: deleting it through the API is an event that needs no render. */
  async function storedDiagram(ownerId: string, userId: string): Promise<string> {
    const diagram = await testPrisma().diagram.create({ data: { ownerId, createdBy: userId, name: 'stored', source: FLOWCHART, sourceFormat: 'mermaid', diagramType: 'flowchart' } });
    return diagram.id;
  }

  async function deliveries(client: TestClient, endpointId: string) {
    const response = await client.get(`/api/v1/webhook_endpoints/${endpointId}/deliveries`);
    expect(response.status).toBe(200);
    return response.body.data as Array<{ id: string; event_id: string; event_type: string; status: string; attempts: number; response_status: number | null; error: string | null; replay_of: string | null }>;
  }

  it('creates, lists, reads, updates and deletes endpoints of the key\'s owner only, with the secret shown once', async () => {
    const { client } = await owner();
    const created = await client.post('/api/v1/webhook_endpoints', { url: `${receiver.url}/crud`, events: ['diagram.created'], description: 'CI' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      object: 'webhook_endpoint', id: expect.stringMatching(/^we_[0-9A-Za-z]{24}$/), url: `${receiver.url}/crud`, description: 'CI', events: ['diagram.created'],
      enabled: true, disabled_reason: null, organization_id: null, previous_secret_expires_at: null, created_at: expect.any(String), updated_at: expect.any(String), secret: expect.stringMatching(/^whsec_/),
    });
    const id = created.body.id;
    const { secret: _secret, ...shown } = created.body;
    expect((await client.get(`/api/v1/webhook_endpoints/${id}`)).body).toEqual(shown);
    for (const path of ['/crud-2', '/crud-3']) await endpoint(client, path, ['share.created']);
    const first = await client.get('/api/v1/webhook_endpoints?limit=2');
    expect(first.body.data).toHaveLength(2);
    expect(first.body.has_more).toBe(true);
    const second = await client.get(`/api/v1/webhook_endpoints?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body).toMatchObject({ has_more: false, next_cursor: null, data: [{ id }] });

    const updated = await client.patch(`/api/v1/webhook_endpoints/${id}`, { events: ['diagram.updated', 'diagram.deleted'], description: null, enabled: false });
    expect(updated.body).toMatchObject({ events: ['diagram.updated', 'diagram.deleted'], description: null, enabled: false });

    const stranger = (await owner()).client;
    expectError(await stranger.get(`/api/v1/webhook_endpoints/${id}`), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
    expectError(await stranger.delete(`/api/v1/webhook_endpoints/${id}`), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
    expect((await client.delete(`/api/v1/webhook_endpoints/${id}`)).body).toEqual({ object: 'webhook_endpoint', id, deleted: true });
    expectError(await client.get(`/api/v1/webhook_endpoints/${id}`), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
    expectError(await client.get('/api/v1/webhook_endpoints/not-an-id'), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
  });

  it('refuses bad input with the envelope, and keys without the webhooks scope', async () => {
    const { client } = await owner();
    const invalid = { status: 400, type: 'invalid_request_error', code: 'invalid_parameter' };
    expectError(await client.post('/api/v1/webhook_endpoints', { events: ['diagram.created'] }), { status: 400, type: 'invalid_request_error', code: 'missing_parameter', param: 'url' });
    expectError(await client.post('/api/v1/webhook_endpoints', { url: `${receiver.url}/x` }), { status: 400, type: 'invalid_request_error', code: 'missing_parameter', param: 'events' });
    expectError(await client.post('/api/v1/webhook_endpoints', { url: `${receiver.url}/x`, events: ['diagram.exploded'] }), { ...invalid, param: 'events' });
    expectError(await client.post('/api/v1/webhook_endpoints', { url: `${receiver.url}/x`, events: [] }), { ...invalid, param: 'events' });
    expectError(await client.post('/api/v1/webhook_endpoints', { url: 'ftp://example.com/x', events: ['diagram.created'] }), { ...invalid, param: 'url' });
    expectError(await client.post('/api/v1/webhook_endpoints', { url: `${receiver.url}/x`, events: ['share.created'], secret: 'mine' }), { ...invalid, param: 'secret' });
    const { client: narrow } = await owner(['diagrams:read']);
    expectError(await narrow.get('/api/v1/webhook_endpoints'), { status: 403, type: 'permission_error', code: 'insufficient_scope' });
  });

  it('refuses loopback, metadata and private targets when private URLs are not allowed, on create and update', async () => {
    const strict = await startGateway(createGateway, { REDIS_PREFIX: prefix });
    try {
      const key = await createTestKey({ plan: 'pro' });
      const client = new TestClient(strict.url, key.secret);
      const refused = async (url: string, message: RegExp) => {
        const response = await client.post('/api/v1/webhook_endpoints', { url, events: ['diagram.created'] });
        expectError(response, { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'url', message });
      };
      await refused(`${receiver.url}/ssrf`, /127\.0\.0\.1 is a loopback address/);
      await refused('http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a cloud metadata address/);
      await refused('http://localhost:8080/hook', /localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
      await refused('http://10.0.0.1/hook', /10\.0\.0\.1 is a private address/);
      await refused('http://[::ffff:192.168.0.1]/hook', /a private address/);
      await refused('http://[fd00:ec2::254]/', /a cloud metadata address/);
      // One made while private URLs were allowed cannot be moved to another private address either.
      const made = await endpoint(new TestClient(gateway.url, key.secret), '/ssrf-made', ['diagram.deleted']);
      const moved = await client.patch(`/api/v1/webhook_endpoints/${made.id}`, { url: 'http://100.64.0.1/hook' });
      expectError(moved, { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'url', message: /a shared \(CGNAT\) address/ });
    } finally {
      await strict.close();
    }
  });

  it('delivers each event type once for its action, signed, to the endpoints subscribed to it', async () => {
    const { key, client } = await owner();
    const all = await endpoint(client, '/all', ['generation.succeeded', 'generation.failed', 'diagram.created', 'diagram.updated', 'diagram.deleted', 'share.created']);
    const deletesOnly = await endpoint(client, '/deletes', ['diagram.deleted']);

    const diagram = await client.post('/api/v1/diagrams', { name: 'Hooked', source: FLOWCHART });
    expect(diagram.status).toBe(201);
    expect((await client.patch(`/api/v1/diagrams/${diagram.body.id}`, { name: 'Hooked again' })).status).toBe(200);
    expect((await client.post('/api/v1/share', { diagram_id: diagram.body.id })).status).toBe(201);
    const succeeded = await client.post('/api/v1/diagrams/generate', { prompt: 'orders: place, pay, ship' });
    expect(succeeded.status).toBe(202);
    const failed = await client.post('/api/v1/diagrams/generate', { prompt: 'hello' });
    expect(failed.status).toBe(202);
    expect((await client.delete(`/api/v1/diagrams/${diagram.body.id}`)).status).toBe(200);

    const hits = await eventually('six events at /all', () => (receiver.at('/all').length >= 6 ? receiver.at('/all') : null), 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // nothing more arrives
    const events = receiver.at('/all').map(eventOf);
    expect(events.map((event) => event.type).sort()).toEqual(['diagram.created', 'diagram.deleted', 'diagram.updated', 'generation.failed', 'generation.succeeded', 'share.created']);
    expect(new Set(events.map((event) => event.id)).size).toBe(6);
    for (const hit of hits) {
      expect(signedByHand(hit, all.secret)).toBe(true);
      await expect(verifyWebhookSignature(hit.body, hit.headers['flowsmith-signature'] as string, all.secret)).resolves.toBe(true);
      await expect(verifyWebhookSignature(hit.body, hit.headers['flowsmith-signature'] as string, deletesOnly.secret)).resolves.toBe(false);
      expect(hit.headers['content-type']).toBe('application/json');
      expect(hit.headers['flowsmith-event-id']).toBe(eventOf(hit).id);
    }
    const byType = Object.fromEntries(events.map((event) => [event.type, event]));
    expect(byType['diagram.created']).toMatchObject({ id: expect.stringMatching(/^evt_/), created_at: expect.stringMatching(/Z$/), data: { object: { object: 'diagram', id: diagram.body.id, name: 'Hooked' } } });
    expect(byType['diagram.updated'].data.object).toMatchObject({ object: 'diagram', id: diagram.body.id, name: 'Hooked again' });
    expect(byType['diagram.deleted'].data.object).toEqual({ object: 'diagram', id: diagram.body.id, deleted: true });
    expect(byType['share.created'].data.object).toMatchObject({ object: 'share', diagram_id: diagram.body.id });
    expect(byType['generation.succeeded'].data.object).toMatchObject({ object: 'generation', id: succeeded.body.id, status: 'succeeded', diagram_id: expect.any(String) });
    expect(byType['generation.failed'].data.object).toMatchObject({ object: 'generation', id: failed.body.id, status: 'failed', error: { code: 'instruction_rejected' } });

    const deletes = receiver.at('/deletes').map(eventOf);
    expect(deletes.map((event) => event.type)).toEqual(['diagram.deleted']);
    expect(deletes[0].id).toBe(byType['diagram.deleted'].id);
    expect(signedByHand(receiver.at('/deletes')[0], deletesOnly.secret)).toBe(true);

    const log = await deliveries(client, all.id);
    expect(log).toHaveLength(6);
    expect(log.every((delivery) => delivery.status === 'succeeded' && delivery.attempts === 1 && delivery.response_status === 204)).toBe(true);
    expect(key.ownerId).toBeTruthy();
  });

  it('retries with backoff an endpoint that fails twice, then logs the success', async () => {
    const { key, client } = await owner();
    const flaky = await endpoint(client, '/flaky', ['diagram.deleted'], (hit) => (hit <= 2 ? 500 : 204));
    const diagramId = await storedDiagram(key.ownerId, key.userId);
    expect((await client.delete(`/api/v1/diagrams/${diagramId}`)).status).toBe(200);
    const [delivery] = await eventually('the third attempt to succeed', async () => {
      const log = await deliveries(client, flaky.id);
      return log[0]?.status === 'succeeded' ? log : null;
    });
    expect(delivery).toMatchObject({ event_type: 'diagram.deleted', attempts: 3, response_status: 204, error: null });
    const hits = receiver.at('/flaky');
    expect(hits).toHaveLength(3);
    expect(new Set(hits.map((hit) => eventOf(hit).id))).toEqual(new Set([delivery.event_id]));
  });

  it('loses no delivery when its webhook worker is SIGKILLed mid-delivery: another worker completes it', async () => {
    const { key, client } = await owner();
    const held = await endpoint(client, '/held', ['diagram.deleted'], (hit) => (hit === 1 ? 'hold' : 204));
    const diagramId = await storedDiagram(key.ownerId, key.userId);
    expect((await client.delete(`/api/v1/diagrams/${diagramId}`)).status).toBe(200);
    await eventually('the first attempt to arrive', () => receiver.at('/held').length === 1);
    // The only webhook worker holds the job, waiting on the receiver: kill it there.
    webhookWorker.kill('SIGKILL');
    await exited(webhookWorker);
    webhookWorker = startWebhookWorker();
    const [delivery] = await eventually('another worker to finish the delivery', async () => {
      const log = await deliveries(client, held.id);
      return log[0]?.status === 'succeeded' ? log : null;
    }, 60_000);
    const ids = receiver.at('/held').map((hit) => eventOf(hit).id);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    expect(new Set(ids)).toEqual(new Set([delivery.event_id]));
    expect(delivery.response_status).toBe(204);
  }, 90_000);

  it('rotates a secret: signed by the new and the old one until the old expires, by the new one only after a rotation with 0', async () => {
    const { key, client } = await owner();
    const hook = await endpoint(client, '/rotated', ['diagram.deleted']);
    const signatures = (hit: Hit) => String(hit.headers['flowsmith-signature']).split(',');
    const byHand = (hit: Hit, secret: string) => {
      const t = signatures(hit)[0].slice(2);
      return `v1=${createHmac('sha256', secret).update(`${t}.${hit.body}`).digest('hex')}`;
    };
    const deleteOne = async (count: number) => {
      await client.delete(`/api/v1/diagrams/${await storedDiagram(key.ownerId, key.userId)}`);
      return eventually(`delivery ${count} at /rotated`, () => receiver.at('/rotated')[count - 1] ?? null);
    };

    const rotated = await client.post(`/api/v1/webhook_endpoints/${hook.id}/rotate_secret`, { expires_in_seconds: 3600 });
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ object: 'webhook_endpoint', id: hook.id, secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/) });
    expect(rotated.body.secret).not.toBe(hook.secret);
    const expires = Date.parse(rotated.body.previous_secret_expires_at);
    expect(Math.abs(expires - (Date.now() + 3_600_000))).toBeLessThan(60_000);
    // Read back: the time is there, the secret is not.
    const read = (await client.get(`/api/v1/webhook_endpoints/${hook.id}`)).body;
    expect(read.previous_secret_expires_at).toBe(rotated.body.previous_secret_expires_at);
    expect(JSON.stringify(read)).not.toContain('whsec_');

    // During the overlap: two signatures, the new secret's first; each verifies by hand and with the client.
    const during = await deleteOne(1);
    expect(signatures(during)).toEqual([expect.stringMatching(/^t=\d+$/), byHand(during, rotated.body.secret), byHand(during, hook.secret)]);
    for (const secret of [rotated.body.secret, hook.secret]) expect(await verifyWebhookSignature(during.body, String(during.headers['flowsmith-signature']), secret)).toBe(true);

    // Rotated again with 0: only the newest secret signs; neither earlier one verifies.
    const now = await client.post(`/api/v1/webhook_endpoints/${hook.id}/rotate_secret`, { expires_in_seconds: 0 });
    expect(now.status).toBe(200);
    expect(now.body.previous_secret_expires_at).toBeNull();
    const after = await deleteOne(2);
    expect(signedByHand(after, now.body.secret)).toBe(true);
    for (const secret of [rotated.body.secret, hook.secret]) expect(await verifyWebhookSignature(after.body, String(after.headers['flowsmith-signature']), secret)).toBe(false);

    // Bad input is refused in the envelope, and writes nothing; another owner's endpoint is not found.
    for (const expires_in_seconds of [-1, 604_801, 1.5, true, 'soon']) {
      expectError(await client.post(`/api/v1/webhook_endpoints/${hook.id}/rotate_secret`, { expires_in_seconds }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'expires_in_seconds' });
    }
    const unchanged = await testPrisma().webhookEndpoint.findUniqueOrThrow({ where: { id: hook.id } });
    expect([unchanged.secret, unchanged.previousSecret]).toEqual([now.body.secret, null]);
    const stranger = (await owner()).client;
    expectError(await stranger.post(`/api/v1/webhook_endpoints/${hook.id}/rotate_secret`, {}), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
    expectError(await client.post(`/api/v1/webhook_endpoints/we_${'0'.repeat(24)}/rotate_secret`, {}), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
  });

  it('replays a delivery as a new one with the same event id', async () => {
    const { key, client } = await owner();
    const hook = await endpoint(client, '/replayed', ['diagram.deleted']);
    const diagramId = await storedDiagram(key.ownerId, key.userId);
    await client.delete(`/api/v1/diagrams/${diagramId}`);
    const [original] = await eventually('the delivery', async () => {
      const log = await deliveries(client, hook.id);
      return log[0]?.status === 'succeeded' ? log : null;
    });
    const replay = await client.post(`/api/v1/webhook_endpoints/${hook.id}/deliveries/${original.id}/replay`);
    expect(replay.status).toBe(201);
    expect(replay.body).toMatchObject({ object: 'webhook_delivery', id: expect.stringMatching(/^whd_[0-9a-f]{32}$/), event_id: original.event_id, replay_of: original.id, status: 'pending', attempts: 0 });
    await eventually('the replay to be received', () => receiver.at('/replayed').length === 2);
    expect(receiver.at('/replayed').map((hit) => eventOf(hit).id)).toEqual([original.event_id, original.event_id]);
    const log = await eventually('both logged as succeeded', async () => {
      const entries = await deliveries(client, hook.id);
      return entries.length === 2 && entries.every((entry) => entry.status === 'succeeded') ? entries : null;
    });
    expect(log.map((entry) => entry.id).sort()).toEqual([original.id, replay.body.id].sort());
    expectError(await client.post(`/api/v1/webhook_endpoints/${hook.id}/deliveries/whd_${'0'.repeat(32)}/replay`), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
    const stranger = (await owner()).client;
    expectError(await stranger.post(`/api/v1/webhook_endpoints/${hook.id}/deliveries/${original.id}/replay`), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
  });

  it('disables an endpoint whose deliveries have failed for the whole window, and its owner can turn it back on', async () => {
    const { key, client } = await owner();
    const down = await endpoint(client, '/down', ['diagram.deleted'], () => 503);
    const diagramId = await storedDiagram(key.ownerId, key.userId);
    await client.delete(`/api/v1/diagrams/${diagramId}`);
    const disabled = await eventually('the endpoint to be disabled', async () => {
      const response = await client.get(`/api/v1/webhook_endpoints/${down.id}`);
      return response.body.enabled === false ? response.body : null;
    }, 30_000);
    expect(disabled.disabled_reason).toMatch(/^every delivery failed for 3 s \(last: HTTP 503\)$/);
    const [delivery] = await deliveries(client, down.id);
    expect(delivery).toMatchObject({ status: 'failed', response_status: 503, error: 'HTTP 503; the endpoint was then disabled' });
    expect(delivery.attempts).toBeGreaterThanOrEqual(3);
    const attempts = receiver.at('/down').length;
    // Disabled: a new event is not even recorded for it.
    const another = await storedDiagram(key.ownerId, key.userId);
    await client.delete(`/api/v1/diagrams/${another}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(receiver.at('/down').length).toBe(attempts);
    expect(await deliveries(client, down.id)).toHaveLength(1);
    const enabled = await client.patch(`/api/v1/webhook_endpoints/${down.id}`, { enabled: true });
    expect(enabled.body).toMatchObject({ enabled: true, disabled_reason: null });
  });

  it('queues a recorded delivery whose job never reached Redis (its producer died after the commit): the sweeper', async () => {
    const { key, client } = await owner();
    const hook = await endpoint(client, '/swept', ['diagram.deleted']);
    // Recorded as the gateway records it, but never queued.
    const [deliveryId] = await new WebhooksRepository(testPrisma()).recordEvent({ id: 'evt_sweptsweptsweptswept01', ownerId: key.ownerId, type: 'diagram.deleted', body: '{"id":"evt_sweptsweptsweptswept01"}' });
    expect(deliveryId).toMatch(/^whd_/);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.at('/swept')).toHaveLength(0);
    const sweeper = startWebhookWorker({ REDIS_PREFIX: `${process.env.REDIS_PREFIX}whsweep:`, WEBHOOK_SWEEP_AFTER_SECONDS: '1' });
    try {
      await eventually('the swept delivery to arrive', () => receiver.at('/swept').length === 1);
      expect(receiver.at('/swept')[0].headers['flowsmith-delivery-id']).toBe(deliveryId);
      await eventually('it to be logged as succeeded', async () => (await deliveries(client, hook.id))[0]?.status === 'succeeded');
    } finally {
      sweeper.kill('SIGKILL');
    }
  });

  it('deletes events older than WEBHOOK_RETENTION_DAYS with their deliveries, keeping any whose delivery is still pending', async () => {
    const { key, client } = await owner();
    const hook = await endpoint(client, '/retained', ['diagram.deleted']);
    const repository = new WebhooksRepository(testPrisma());
    const record = async (id: string, daysAgo: number, status: 'succeeded' | 'pending') => {
      const [deliveryId] = await repository.recordEvent({ id, ownerId: key.ownerId, type: 'diagram.deleted', body: `{"id":"${id}"}` });
      await testPrisma().webhookEvent.update({ where: { id }, data: { createdAt: new Date(Date.now() - daysAgo * 86_400_000) } });
      if (status === 'succeeded') await testPrisma().webhookDelivery.update({ where: { id: deliveryId }, data: { status, completedAt: new Date() } });
      return deliveryId;
    };
    const expired = await record('evt_retainexpiredexpired01', 31, 'succeeded');
    const pending = await record('evt_retainpendingpending01', 31, 'pending');
    const recent = await record('evt_retainrecentrecentre01', 29, 'succeeded');
    expect((await deliveries(client, hook.id)).map((d) => d.id).sort()).toEqual([expired, pending, recent].sort());
    // A worker of its own (another prefix: it takes none of this spec's jobs) makes a pass as it starts.
    const keeper = startWebhookWorker({ REDIS_PREFIX: `${process.env.REDIS_PREFIX}whretain:`, WEBHOOK_RETENTION_DAYS: '30' });
    try {
      await eventually('the expired event to be deleted', async () => (await testPrisma().webhookEvent.findUnique({ where: { id: 'evt_retainexpiredexpired01' } })) === null, 60_000);
      expect(await testPrisma().webhookDelivery.findUnique({ where: { id: expired } })).toBeNull();
      expect((await deliveries(client, hook.id)).map((d) => d.id).sort()).toEqual([pending, recent].sort());
    } finally {
      keeper.kill('SIGKILL');
    }
  });

  it('checks the address again at delivery time: a worker without WEBHOOK_ALLOW_PRIVATE_URLS does not call loopback', async () => {
    const strictPrefix = `${process.env.REDIS_PREFIX}whstrict:`;
    const strictGateway = await startGateway(createGateway, { REDIS_PREFIX: strictPrefix, WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
    const strictWorker = spawnWorker('webhook-worker', { REDIS_PREFIX: strictPrefix, WEBHOOK_RETRY_WINDOW_SECONDS: '1', WEBHOOK_RETRY_BASE_MS: '200' });
    try {
      await waitForWorkers('webhook', strictPrefix);
      const key = await createTestKey({ plan: 'pro' });
      const client = new TestClient(strictGateway.url, key.secret);
      const hook = await endpoint(client, '/strict', ['diagram.deleted']);
      const diagramId = await storedDiagram(key.ownerId, key.userId);
      await client.delete(`/api/v1/diagrams/${diagramId}`);
      const [delivery] = await eventually('the delivery to fail', async () => {
        const log = await deliveries(client, hook.id);
        return log[0]?.status === 'failed' ? log : null;
      });
      expect(delivery).toMatchObject({ response_status: null, error: '127.0.0.1 is a loopback address' });
      expect(receiver.at('/strict')).toHaveLength(0);
    } finally {
      strictWorker.kill('SIGKILL');
      await strictGateway.close();
    }
  });
});
