import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import {
  ThrowawayPostgres, ThrowawayRedis, RunningGateway, spawnWorker, startGateway, startThrowawayPostgres, startThrowawayRedis, waitUntil,
} from '@flowsmith/testing';
import { PrismaService } from '@flowsmith/database';
import { provisionKey } from '@flowsmith/identity';
import { createGateway } from '../src/gateway';

/**
 * Redis and Postgres outages under traffic, with real processes: a gateway, a render worker and a
 * generation worker (offline generator) on a Redis and a Postgres of this spec's own, which it
 * kills and restarts (the machine's shared servers are never touched). Redis runs with the
 * persistence production uses (append-only file, docker-compose.yml), so jobs accepted before a
 * crash are still there after it.
 */

interface Outcome {
  kind: string;
  status: number;
  ms: number;
  body: any;
  retryAfter: string | null;
  requestId: string | null;
  at: number;
  error?: string;
}

const REQUEST_TIMEOUT_MS = 20_000;
/**
 * "Within a few seconds", well inside the 10 s render budget: the slowest 503 allowed while a
 * server is down or coming back. ~2 s on a quiet machine; up to ~6.4 s measured in CI, where the
 * suites beside this one keep both cores busy.
 */
const MAX_UNAVAILABLE_MS = 8_000;
/** No answer at all may take longer than the API's 10 s render budget (and a little slack). */
const MAX_ANSWER_MS = 11_000;

describe('resilience: Redis and Postgres outages under traffic (private servers)', () => {
  let redis: ThrowawayRedis;
  let postgres: ThrowawayPostgres;
  let gateway: RunningGateway;
  let workers: ChildProcess[] = [];
  let db: pg.Client;
  let key: string;
  const diagramIds: string[] = [];
  const prefix = 'res:';

  beforeAll(async () => {
    const t0 = Date.now();
    [redis, postgres] = await Promise.all([startThrowawayRedis({ persistence: 'aof' }), startThrowawayPostgres()]);
    console.log(`private servers up in ${Date.now() - t0} ms (postgres: ${JSON.stringify(postgres.timings)})`);
    const env = { REDIS_URL: redis.url, DATABASE_URL: postgres.url, REDIS_PREFIX: prefix };
    workers = [
      spawnWorker('render-worker', { ...env, RENDER_PAGES: '2' }),
      spawnWorker('generation-worker', { ...env, ANTHROPIC_API_KEY: '', WORKER_CONCURRENCY: '4', GENERATION_LOCK_MS: '5000' }),
    ];
    gateway = await startGateway(createGateway, { ...env, READY_REQUIRES_WORKERS: 'true', RATE_LIMIT_PER_KEY: '100000', RATE_LIMIT_AI_PER_KEY: '100000', GENERATION_IN_FLIGHT_PER_OWNER: '100000', DATABASE_POOL_SIZE: '5' });
    db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    const prisma = new PrismaService(postgres.url, 1);
    try {
      key = (await provisionKey(prisma, { plan: 'premium', userEmail: 'resilience@test.flowsmith.localhost', name: 'resilience', keyPrefix: 'fs_test_', expiresAt: null })).secret;
    } finally {
      await prisma.$disconnect();
    }
    await waitUntil(async () => (await call('GET', '/readyz')).status === 200, 30_000, 'readiness with both workers');
    for (let i = 0; i < 4; i++) {
      let created!: Outcome;
      // A loaded machine may time a first parse out: retried, as a client would.
      await waitUntil(async () => (created = await call('POST', '/api/v1/diagrams', { name: `outage ${i}`, source: `flowchart TD\n  A${i}[Start ${i}] --> B${i}[End ${i}]` })).status === 201, 60_000, 'a diagram');
      diagramIds.push(created.body.id);
    }
    await waitUntil(async () => (await call('GET', `/api/v1/diagrams/${diagramIds[0]}/image?format=svg`)).status === 200, 30_000, 'the cached image');
    console.log(`setup done in ${Date.now() - t0} ms`);
  }, 150_000);

  afterAll(async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    await gateway?.close().catch(() => undefined);
    await db?.end().catch(() => undefined);
    await Promise.allSettled([redis?.close(), postgres?.close()]);
  }, 30_000);

  async function call(method: string, path: string, body?: unknown, kind = path): Promise<Outcome> {
    const started = Date.now();
    try {
      const response = await fetch(gateway.url + path, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      let parsed: any = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* an image */
      }
      return { kind, status: response.status, ms: Date.now() - started, body: parsed, retryAfter: response.headers.get('retry-after'), requestId: response.headers.get('x-request-id'), at: started };
    } catch (error) {
      return { kind, status: 0, ms: Date.now() - started, body: null, retryAfter: null, requestId: null, at: started, error: (error as Error).message };
    }
  }

  let counter = 0;
  const themes = ['light', 'dark', 'modern', 'midnight', 'blueprint', 'high-contrast', 'print'];

  /** One round of the traffic: cached and uncached images, a beautify, a generation. */
  async function round(): Promise<Outcome[]> {
    const n = counter++;
    const id = diagramIds[n % diagramIds.length];
    const theme = themes[Math.floor(n / diagramIds.length) % themes.length];
    const scale = [1, 2, 4][Math.floor(n / (diagramIds.length * themes.length)) % 3];
    return Promise.all([
      call('GET', `/api/v1/diagrams/${diagramIds[0]}/image?format=svg`, undefined, 'image cached'),
      call('GET', `/api/v1/diagrams/${id}/image?format=png&theme=${theme}&scale=${scale}`, undefined, 'image uncached'),
      call('POST', '/api/v1/beautify', { source: `flowchart LR\n  X${n}[Beautify ${n}] --> Y${n}[Done]`, source_format: 'mermaid' }, 'beautify'),
      call('POST', '/api/v1/diagrams/generate', { prompt: `outage ${n}: receive the order, then check stock, then ship it` }, 'generate'),
    ]);
  }

  /** Runs rounds back to back on `lanes` lanes until `stop` resolves. */
  async function traffic(lanes: number, stop: Promise<unknown>): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    let stopped = false;
    void stop.then(() => (stopped = true));
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        while (!stopped) outcomes.push(...(await round()));
      }),
    );
    return outcomes;
  }

  function expectUnavailable(outcome: Outcome): void {
    expect({ kind: outcome.kind, status: outcome.status, type: outcome.body?.error?.type, code: outcome.body?.error?.code }).toEqual({
      kind: outcome.kind,
      status: 503,
      type: 'api_error',
      code: 'service_unavailable',
    });
    expect(Number(outcome.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(outcome.ms).toBeLessThanOrEqual(MAX_UNAVAILABLE_MS);
    expect(outcome.body.request_id).toBe(outcome.requestId);
  }

  function summary(outcomes: Outcome[]) {
    const byKind: Record<string, Record<string, number>> = {};
    for (const o of outcomes) {
      byKind[o.kind] ??= {};
      byKind[o.kind][o.status] = (byKind[o.kind][o.status] ?? 0) + 1;
    }
    const odd = outcomes.filter((o) => ![200, 202, 503].includes(o.status) || o.ms > MAX_ANSWER_MS || (o.status === 503 && o.ms > MAX_UNAVAILABLE_MS)).slice(0, 5).map((o) => ({ kind: o.kind, status: o.status, ms: o.ms, body: typeof o.body === 'string' ? o.body.slice(0, 200) : o.body, error: o.error }));
    return { requests: outcomes.length, maxMs: Math.max(...outcomes.map((o) => o.ms)), byKind, odd };
  }

  async function settleGenerations(ids: string[], timeoutMs: number): Promise<Record<string, string>> {
    let statuses: Record<string, string> = {};
    await waitUntil(
      async () => {
        const rows = await db.query<{ id: string; status: string }>('SELECT id, status::text FROM generations WHERE id = ANY($1)', [ids]);
        statuses = Object.fromEntries(rows.rows.map((row) => [row.id, row.status]));
        return rows.rows.length === ids.length && rows.rows.every((row) => row.status === 'succeeded' || row.status === 'failed');
      },
      timeoutMs,
      'the accepted generations to finish',
      250,
    ).catch(() => undefined);
    return statuses;
  }

  it('Redis down for 10 s: 503 service_unavailable with Retry-After at once, /readyz names redis, then everything accepted completes', async () => {
    const t0 = Date.now();
    let outage!: { down: number; up: number };
    let readyDown: Outcome | undefined;
    const scenario = (async () => {
      await new Promise((r) => setTimeout(r, 1500)); // traffic flowing first
      await redis.stop('SIGKILL');
      const down = Date.now();
      await waitUntil(async () => (readyDown = await call('GET', '/readyz')).status === 503 && readyDown.body?.checks?.redis !== 'ok', 5000, '/readyz to notice');
      await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - down))));
      await redis.start();
      outage = { down, up: Date.now() };
      await new Promise((r) => setTimeout(r, 3000)); // traffic while everything reconnects
    })();
    const outcomes = await traffic(2, scenario);
    console.log('redis outage', JSON.stringify(summary(outcomes)), `took ${Date.now() - t0} ms`);

    const failures = outcomes.filter((o) => o.status !== 200 && o.status !== 202);
    for (const o of failures) expectUnavailable(o);
    for (const o of outcomes) expect({ kind: o.kind, ms: o.ms, under: o.ms <= MAX_ANSWER_MS }).toEqual({ kind: o.kind, ms: o.ms, under: true });
    expect(failures.filter((o) => o.at > outage.down + 500 && o.at + o.ms < outage.up).length).toBeGreaterThan(0);
    expect(readyDown?.status).toBe(503);
    expect(readyDown?.retryAfter).toBeTruthy();
    expect(readyDown?.body.checks.redis).not.toBe('ok');

    // Recovery: ready again (workers reconnected and beating), every accepted generation succeeds.
    await waitUntil(async () => (await call('GET', '/readyz')).status === 200, 20_000, '/readyz to recover');
    const accepted = outcomes.filter((o) => o.kind === 'generate' && o.status === 202).map((o) => o.body.id as string);
    expect(accepted.length).toBeGreaterThan(0);
    const statuses = await settleGenerations(accepted, 40_000);
    expect(Object.values(statuses).filter((s) => s !== 'succeeded')).toEqual([]);
    expect(Object.keys(statuses).length).toBe(accepted.length);
    await waitUntil(async () => (await round()).every((o) => o.status === 200 || o.status === 202), 20_000, 'every route to answer again');
    console.log(`redis scenario total ${Date.now() - t0} ms`);
  }, 90_000);

  it('Postgres restarted (5 s down): 503 with Retry-After meanwhile, recovery after, no Generation left in processing', async () => {
    const t0 = Date.now();
    let outage!: { down: number; up: number };
    const scenario = (async () => {
      await new Promise((r) => setTimeout(r, 1500));
      await postgres.stop('fast');
      const down = Date.now();
      await new Promise((r) => setTimeout(r, 5000));
      await postgres.start();
      outage = { down, up: Date.now() };
      await new Promise((r) => setTimeout(r, 3000));
    })();
    // The spec's own client loses its connection too.
    db.on('error', () => undefined);
    const outcomes = await traffic(2, scenario);
    console.log('postgres outage', JSON.stringify(summary(outcomes)), `took ${Date.now() - t0} ms`);
    await db.end().catch(() => undefined);
    db = new pg.Client({ connectionString: postgres.url });
    await db.connect();

    const failures = outcomes.filter((o) => o.status !== 200 && o.status !== 202);
    for (const o of failures) expectUnavailable(o);
    for (const o of outcomes) expect({ kind: o.kind, ms: o.ms, under: o.ms <= MAX_ANSWER_MS }).toEqual({ kind: o.kind, ms: o.ms, under: true });
    expect(failures.filter((o) => o.at > outage.down + 500 && o.at + o.ms < outage.up).length).toBeGreaterThan(0);

    await waitUntil(async () => (await call('GET', '/readyz')).status === 200, 20_000, '/readyz to recover');
    const accepted = outcomes.filter((o) => o.kind === 'generate' && o.status === 202).map((o) => o.body.id as string);
    const statuses = await settleGenerations(accepted, 40_000);
    expect(Object.values(statuses).filter((s) => s !== 'succeeded')).toEqual([]);
    // Nothing stuck: every generation of the spec ends final (those still running finish shortly).
    let stuck: unknown[] = [];
    await waitUntil(async () => (stuck = (await db.query(`SELECT id, status FROM generations WHERE status IN ('queued', 'processing')`)).rows).length === 0, 30_000, 'no generation queued or processing').catch(() => undefined);
    expect(stuck).toEqual([]);
    const counters = await db.query('SELECT sum(ai_reserved)::int AS reserved FROM usage_counters');
    expect(counters.rows[0].reserved).toBe(0);
    await waitUntil(async () => (await round()).every((o) => o.status === 200 || o.status === 202), 20_000, 'every route to answer again');
    console.log(`postgres scenario total ${Date.now() - t0} ms`);
  }, 90_000);
});
