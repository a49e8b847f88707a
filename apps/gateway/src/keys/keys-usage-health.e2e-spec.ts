import { ChildProcess, execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { closeTestPrisma, createTestKey, expectError, exited, RunningGateway, spawnWorker, startGateway, TestClient, testPrisma, waitForWorkers } from '@flowsmith/testing';
import { createGateway } from '../gateway';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../../../..');

describe('keys', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway(createGateway);
  });
  afterAll(async () => {
    await gateway.close();
    await closeTestPrisma();
  });

  it('creates a key whose secret is shown once and works, lists keys without secrets, and revokes', async () => {
    const admin = new TestClient(gateway.url, (await createTestKey()).secret);
    const created = await admin.post('/api/v1/keys', { name: 'ci', scopes: ['diagrams:read', 'diagrams:write'], expires_at: new Date(Date.now() + 86400_000).toISOString() });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ object: 'api_key', name: 'ci', scopes: ['diagrams:read', 'diagrams:write'], revoked_at: null, last_used_at: null });
    expect(created.body.secret).toMatch(/^fs_test_[0-9A-Za-z]{40}$/);
    expect(created.body.prefix).toBe(created.body.secret.slice(0, 12));
    const row = await testPrisma().apiKey.findUnique({ where: { id: created.body.id } });
    expect(JSON.stringify(row)).not.toContain(created.body.secret);

    const ci = new TestClient(gateway.url, created.body.secret);
    expect((await ci.post('/api/v1/diagrams', { name: 'from ci', source: 'graph TD\nA' })).status).toBe(201);
    expectError(await ci.get('/api/v1/folders'), { status: 403, type: 'permission_error', code: 'insufficient_scope', message: 'This key is missing the required scope: folders:read.' });

    const list = await admin.get('/api/v1/keys');
    expect(list.body.data.length).toBe(2);
    expect(JSON.stringify(list.body)).not.toContain('secret');

    const revoked = await admin.delete(`/api/v1/keys/${created.body.id}`);
    expect(revoked.body.revoked_at).toEqual(expect.any(String));
    expectError(await ci.get('/api/v1/diagrams'), { status: 401, type: 'authentication_error', code: 'invalid_api_key' });
  });

  it('refuses to grant scopes the creating key lacks, unknown scopes and past expiries', async () => {
    const limited = new TestClient(gateway.url, (await createTestKey({ scopes: ['keys:write', 'diagrams:read'] })).secret);
    expectError(await limited.post('/api/v1/keys', { name: 'x', scopes: ['diagrams:write'] }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'scopes' });
    expectError(await limited.post('/api/v1/keys', { name: 'x', scopes: ['root'] }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'scopes' });
    expectError(await limited.post('/api/v1/keys', { name: 'x', scopes: [] }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'scopes' });
    expectError(await limited.post('/api/v1/keys', { name: 'x' }), { status: 400, type: 'invalid_request_error', code: 'missing_parameter', param: 'scopes' });
    expectError(await limited.post('/api/v1/keys', { name: 'x', scopes: ['diagrams:read'], expires_at: '2001-01-01T00:00:00Z' }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'expires_at' });
    expectError(await limited.post('/api/v1/keys', { name: 'x', scopes: ['diagrams:read'], expires_at: 'tomorrow' }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'expires_at' });
  });

  it('reports the owner\'s usage and plan limits', async () => {
    const pro = new TestClient(gateway.url, (await createTestKey({ plan: 'pro' })).secret);
    const usage = await pro.get('/api/v1/usage');
    expect(usage.status).toBe(200);
    const resetsAt = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 1)).toISOString().replace('.000Z', 'Z');
    expect(usage.body).toEqual({
      object: 'usage',
      plan: 'pro',
      actor: 'api_key',
      exports: { used: 0, limit: 100, resets_at: resetsAt },
      ai: { enabled: true, used: 0, reserved: 0, limit: 100, resets_at: resetsAt },
      shares: { used: 0, limit: 100 },
    });
    const free = new TestClient(gateway.url, (await createTestKey({ plan: 'free' })).secret);
    expect((await free.get('/api/v1/usage')).body).toMatchObject({ plan: 'free', exports: { limit: 3 }, ai: { enabled: false, limit: 0 }, shares: { limit: 5 } });
    const premium = new TestClient(gateway.url, (await createTestKey({ plan: 'premium' })).secret);
    expect((await premium.get('/api/v1/usage')).body).toMatchObject({ plan: 'premium', exports: { limit: null }, ai: { limit: 500 }, shares: { limit: null } });
  });

  it('applies the PLANS override of the environment', async () => {
    const custom = await startGateway(createGateway, { PLANS: '{"pro":{"exports_per_month":250}}' });
    try {
      const pro = new TestClient(custom.url, (await createTestKey({ plan: 'pro' })).secret);
      expect((await pro.get('/api/v1/usage')).body.exports.limit).toBe(250);
    } finally {
      await custom.close();
    }
  });
});

describe('health', () => {
  /** The built worker, as a real process of its own. */
  async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (accept(value) || Date.now() > deadline) return value;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('answers /healthz and /readyz outside /api, without auth or rate limits, and needs a worker of each kind', async () => {
    const prefix = `${process.env.REDIS_PREFIX}health:`;
    const gateway = await startGateway(createGateway, { READY_REQUIRES_WORKERS: 'true', REDIS_PREFIX: prefix, WORKER_HEARTBEAT_SECONDS: '1' });
    const client = new TestClient(gateway.url);
    const workers: ChildProcess[] = [];
    try {
      const health = await client.get('/healthz');
      expect(health.status).toBe(200);
      expect(health.headers.get('ratelimit-limit')).toBeNull();

      const notReady = await client.get('/readyz');
      expect(notReady.status).toBe(503);
      expect(notReady.headers.get('retry-after')).toBe('5');
      expect(notReady.body.checks).toMatchObject({ database: 'ok', redis: 'ok', render_workers: 'no live worker', generation_workers: 'no live worker' });

      workers.push(spawnWorker('render-worker', { REDIS_PREFIX: prefix }), spawnWorker('generation-worker', { REDIS_PREFIX: prefix }));
      // A render worker registers once its Chromium is up with warm pages: on a loaded machine that
      // can take tens of seconds (waitForWorkers' deadline), so /readyz is asked once both have.
      await Promise.all([waitForWorkers('render', prefix, 1, 60_000), waitForWorkers('generation', prefix, 1, 60_000)]);
      const ready = await eventually(() => client.get('/readyz'), (r) => r.status === 200);
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({
        status: 'ok',
        checks: { database: 'ok', redis: 'ok', render_workers: 'ok', generation_workers: 'ok' },
        // Webhook workers are counted, not required: deliveries wait in their queue (docs/webhooks.md).
        workers: { render: 1, generation: 1, webhook: 0 },
        generation_provider: 'offline',
      });
      expect((await client.get('/api/healthz')).status).toBe(404);

      // SIGTERM: the worker shuts down cleanly and withdraws from the registry at once.
      const generation = workers.pop()!;
      const stopped = exited(generation);
      generation.kill('SIGTERM');
      // A clean stop: the shutdown hooks ran, then exit 0.
      expect(await stopped).toBe('0');
      // Withdrawn by the worker itself (well before the 3 s a silent worker takes to expire).
      const after = await eventually(() => client.get('/readyz'), (r) => r.body.workers.generation === 0, 2000);
      expect(after.body.workers).toEqual({ render: 1, generation: 0, webhook: 0 });
    } finally {
      for (const worker of workers) worker.kill('SIGKILL');
      await gateway.close();
    }
  }, 90_000);
});

describe('npm run key -- create', () => {
  const keyCommand = (...args: string[]) =>
    run('node', [resolve(ROOT, 'dist/apps/gateway/src/key-command.js'), ...args], { cwd: ROOT, env: { ...process.env, API_KEY_PREFIX: 'fs_test_' } });

  it('creates what is missing and prints the secret alone on the last line, which then authenticates', async () => {
    const gateway = await startGateway(createGateway);
    try {
      const org = `Acme ${Date.now()}`;
      const { stdout } = await keyCommand('create', '--plan', 'pro', '--scopes', 'diagrams:read,usage:read', '--org', org, '--user', `ops-${Date.now()}@acme.test`, '--name', 'ops');
      const lines = stdout.trim().split('\n');
      const secret = lines[lines.length - 1];
      expect(secret).toMatch(/^fs_test_[0-9A-Za-z]{40}$/);
      const client = new TestClient(gateway.url, secret);
      const usage = await client.get('/api/v1/usage');
      expect(usage.body.plan).toBe('pro');
      expect((await client.get('/api/v1/diagrams')).status).toBe(200);
      expect((await client.post('/api/v1/diagrams', { name: 'x', source: 'graph TD\nA' })).status).toBe(403);
      const organization = await testPrisma().organization.findUnique({ where: { name: org } });
      expect(organization?.plan).toBe('pro');

      // Defaults: premium and every scope.
      const defaults = (await keyCommand('create', '--user', `dev-${Date.now()}@acme.test`)).stdout.trim().split('\n').pop()!;
      expect((await new TestClient(gateway.url, defaults).get('/api/v1/usage')).body.plan).toBe('premium');
    } finally {
      await gateway.close();
      await closeTestPrisma();
    }
  });

  it('refuses unknown scopes and plans with a message', async () => {
    await expect(keyCommand('create', '--scopes', 'diagrams:read,root')).rejects.toMatchObject({ stderr: expect.stringContaining('Unknown scope(s): root') });
    await expect(keyCommand('create', '--plan', 'gold')).rejects.toMatchObject({ stderr: expect.stringContaining('--plan must be one of') });
  });
});
