import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { closeTestPrisma, createTestKey, exited, expectError, freePort, RunningGateway, startGateway, TestClient } from '@flowsmith/testing';
import { createGateway } from '../gateway';

const ROOT = resolve(__dirname, '../../../..');
// A marker no log line may ever carry: it sits in every source, prompt and secret-like value sent.
const MARKER = `cobalt${Date.now().toString(36)}marker`;
const SOURCE = `graph TD\n  A[${MARKER} start] --> B[${MARKER} end]`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A built app as a real process whose stdout (its JSON log) the test keeps. */
class LoggedProcess {
  readonly lines: string[] = [];
  readonly child: ChildProcess;
  private partial = '';

  constructor(app: 'gateway' | 'render-worker', env: Record<string, string>) {
    this.child = spawn(process.execPath, [resolve(ROOT, `dist/apps/${app}/src/main.js`)], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', WORKER_HEARTBEAT_SECONDS: '1', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts.filter(Boolean));
    });
  }

  records(): Array<Record<string, any>> {
    return this.lines.map((line) => JSON.parse(line));
  }

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await exited(this.child);
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The value of one sample of a Prometheus text exposition, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.lastIndexOf('}'));
    const found = Object.fromEntries([...body.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('operations: logs, metrics, readiness, security headers and the queue dashboard (real processes)', () => {
  const prefix = `${process.env.REDIS_PREFIX}obs:`;
  let gateway: LoggedProcess;
  let worker: LoggedProcess;
  let url: string;
  let workerHealth: string;
  let key: { secret: string };
  const requestIds: string[] = [];

  beforeAll(async () => {
    const [gatewayPort, healthPort] = await Promise.all([freePort(), freePort()]);
    url = `http://127.0.0.1:${gatewayPort}`;
    workerHealth = `http://127.0.0.1:${healthPort}`;
    worker = new LoggedProcess('render-worker', { REDIS_PREFIX: prefix, RENDER_PAGES: '1', HEALTH_PORT: String(healthPort) });
    gateway = new LoggedProcess('gateway', {
      REDIS_PREFIX: prefix,
      PORT: String(gatewayPort),
      HOST: '127.0.0.1',
      READY_REQUIRES_WORKERS: 'false',
      API_KEY_PREFIX: 'fs_test_',
      RATE_LIMIT_ANONYMOUS: '2',
      BULL_BOARD_PASSWORD: `board-${MARKER}`,
    });
    await waitFor('the gateway', () => fetch(`${url}/healthz`).then((r) => r.ok, () => false));
    await waitFor('the render worker', () => fetch(`${workerHealth}/readyz`).then((r) => r.ok, () => false), 60_000);
    key = await createTestKey();
  }, 90_000);

  afterAll(async () => {
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await closeTestPrisma();
  }, 60_000);

  const api = () => new TestClient(url, key.secret);
  const remember = <T extends { headers: Headers }>(response: T) => {
    requestIds.push(response.headers.get('x-request-id')!);
    return response;
  };

  it('serves requests and renders while logging JSON lines that carry ids, never sources or secrets', async () => {
    const created = remember(await api().post('/api/v1/diagrams', { name: `${MARKER} diagram`, source: SOURCE }));
    expect(created.status).toBe(201);
    for (let i = 0; i < 2; i++) expect(remember(await api().get(`/api/v1/diagrams/${created.body.id}/image?format=svg`)).status).toBe(200);
    const embed = remember(await fetch(`${url}/api/v1/beautify.svg?source=${Buffer.from(SOURCE).toString('base64url')}`));
    expect(embed.status).toBe(200);
    expectError(remember(await api().post('/api/v1/beautify', { source: `graph TD\n  A[${MARKER} -->`, source_format: 'mermaid' })), { status: 400, type: 'invalid_request_error', code: 'parse_failed' });

    // Every request's line, with its id, path without the query, and status.
    const gatewayLines = await waitFor('request logs', () => {
      const records = gateway.records();
      return requestIds.every((id) => records.some((r) => r.request_id === id && r.msg === 'request completed')) ? records : undefined;
    });
    for (const record of gatewayLines) expect(record).toMatchObject({ level: expect.any(String), time: expect.any(String), service: 'gateway', pid: gateway.child.pid });
    const embedLine = gatewayLines.find((r) => r.request_id === requestIds[3] && r.msg === 'request completed')!;
    expect(embedLine).toMatchObject({ method: 'GET', path: '/api/v1/beautify.svg', route: '/api/v1/beautify.svg', status: 200, duration_ms: expect.any(Number) });
    // One line per request, however many hooks and middlewares it passes.
    for (const id of requestIds) expect(gatewayLines.filter((r) => r.request_id === id && r.msg === 'request completed')).toHaveLength(1);

    // Each job's lines carry its id and the source's hash, length and format instead of the source.
    const jobLines = await waitFor('job logs', () => {
      const done = worker.records().filter((r) => r.msg === 'job finished' && r.job_name === 'render');
      return done.length >= 2 ? done : undefined;
    });
    expect(jobLines[0]).toMatchObject({ service: 'render-worker', queue: 'render', job_id: expect.any(String), outcome: 'completed', source_sha256: sha256(SOURCE), source_length: SOURCE.length, source_format: 'mermaid' });
    expect(worker.records().some((r) => r.msg === 'job finished' && r.job_name === 'render' && r.outcome === 'rejected')).toBe(true);

    for (const line of [...gateway.lines, ...worker.lines]) {
      expect(line).not.toContain(MARKER);
      expect(line).not.toContain(key.secret);
    }
  });

  it('exports Prometheus metrics from the gateway and the worker', async () => {
    // One anonymous request over the limit of 2, for the denial counter.
    const anonymous = new TestClient(url);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await anonymous.post('/api/v1/beautify', { source: 'graph TD\n  A --> B' })).status);
    expect(statuses).toContain(429);

    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(sample(text, 'flowsmith_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/diagrams/:id/image', status: '200' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'flowsmith_render_cache_requests_total', { result: 'hit' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'flowsmith_render_cache_requests_total', { result: 'miss' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'flowsmith_rate_limit_denials_total', { bucket: 'anon' })).toBe(1);
    expect(sample(text, 'flowsmith_queue_jobs', { queue: 'render', state: 'waiting' })).toEqual(expect.any(Number));
    expect(sample(text, 'flowsmith_queue_jobs', { queue: 'generation', state: 'active' })).toEqual(expect.any(Number));
    expect(text).toMatch(/^process_cpu_seconds_total /m);

    const fromWorker = await (await fetch(`${workerHealth}/metrics`)).text();
    expect(sample(fromWorker, 'flowsmith_renders_total', { engine: 'mermaid', format: 'svg', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sample(fromWorker, 'flowsmith_job_duration_seconds_count', { queue: 'render', job: 'render', outcome: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(sample(fromWorker, 'flowsmith_job_duration_seconds_count', { queue: 'render', job: 'render', outcome: 'rejected' })).toBeGreaterThanOrEqual(1);
    expect(sample(fromWorker, 'flowsmith_queue_jobs', { queue: 'render', state: 'active' })).toEqual(expect.any(Number));
  });

  it('reports each dependency of a worker on its /readyz', async () => {
    const ready = await fetch(`${workerHealth}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { redis: 'ok', chromium: 'ok', raster: 'ok' } });
  });

  it('puts security headers on every kind of response', async () => {
    const json = await fetch(`${url}/api/v1/diagrams`, { headers: { authorization: `Bearer ${key.secret}` } });
    expect(Object.fromEntries(['x-content-type-options', 'x-frame-options', 'content-security-policy', 'referrer-policy'].map((h) => [h, json.headers.get(h)]))).toEqual({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
    });
    const error = await fetch(`${url}/api/v1/nowhere`);
    expect(error.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");

    // A public embed may be framed by any site, but never runs anything, even opened on its own.
    const svg = await fetch(`${url}/api/v1/beautify.svg?source=${Buffer.from('graph TD\n  A --> B').toString('base64url')}`);
    expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(svg.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; sandbox");
    expect(svg.headers.get('x-frame-options')).toBeNull();
    expect(svg.headers.get('x-content-type-options')).toBe('nosniff');

    // The playground keeps its own, stricter policy.
    const page = await fetch(`${url}/`);
    expect(page.headers.get('content-security-policy')).toContain("'sha256-");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
  });

  it('serves the queue dashboard only with its operator credential', async () => {
    const without = await fetch(`${url}/admin/queues`);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await without.json()).toMatchObject({ error: { type: 'authentication_error', code: 'not_authenticated' }, request_id: without.headers.get('x-request-id') });
    const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` });
    expect((await fetch(`${url}/admin/queues`, { headers: basic('wrong-password-here') })).status).toBe(401);
    expect((await fetch(`${url}/admin/queues`, { headers: { authorization: `Bearer ${key.secret}` } })).status).toBe(401);

    const page = await fetch(`${url}/admin/queues`, { headers: basic(`board-${MARKER}`) });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const queues = await fetch(`${url}/admin/queues/api/queues`, { headers: basic(`board-${MARKER}`) });
    expect(queues.status).toBe(200);
    expect(((await queues.json()) as { queues: Array<{ name: string }> }).queues.map((q: { name: string }) => q.name).sort()).toEqual(['generation', 'render', 'render-best-effort', 'render-heavy', 'webhook']);
  });

  describe('defaults of an in-process gateway', () => {
    let plain: RunningGateway;
    let guarded: RunningGateway;
    beforeAll(async () => {
      [plain, guarded] = await Promise.all([startGateway(createGateway), startGateway(createGateway, { METRICS_TOKEN: `metrics-${MARKER}` })]);
    });
    afterAll(async () => {
      await Promise.all([plain?.close(), guarded?.close()]);
    });

    it('has no queue dashboard unless BULL_BOARD_PASSWORD is set', async () => {
      expectError(await new TestClient(plain.url).get('/admin/queues'), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
    });

    it('asks for METRICS_TOKEN on /metrics when one is set', async () => {
      expectError(await new TestClient(guarded.url).get('/metrics'), { status: 401, type: 'authentication_error', code: 'not_authenticated' });
      const allowed = await fetch(`${guarded.url}/metrics`, { headers: { authorization: `Bearer metrics-${MARKER}` } });
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toContain('flowsmith_http_request_duration_seconds');
    });
  });
});
