import { ChildProcess, spawn } from 'node:child_process';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { QueueName, RenderInput } from '@flowsmith/contracts';
import { bullConnection, bullPrefix, QueueClient, RedisSettings, RenderQueue } from '@flowsmith/queue';
import {
  closeTestPrisma, createTestKey, descendantProcesses, emitDiagram, exited, processAlive, ROOT, RunningGateway, spawnWorker, startGateway, TestClient,
  testPrisma, waitForFirstRender, waitForWorkers, waitUntil,
} from '@flowsmith/testing';
import { createGateway } from '../src/gateway';

/**
 * Engines killed from outside, and graceful shutdown on SIGTERM, with real processes.
 *
 * Covered elsewhere, not repeated here:
 * - render worker SIGKILLed mid-batch (every job completes once after a restart) and SIGTERM
 *   (jobs in hand finish, nothing new taken): apps/render-worker/test/faults.e2e-spec.ts;
 * - generation worker SIGKILLed mid-job (one diagram, one unit, one success):
 *   apps/gateway/src/generations/generations.e2e-spec.ts.
 */

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const VALID = 'flowchart TD\n  A[Order placed] --> B{Paid?}\n  B -->|yes| C[Ship]\n  B -->|no| D[Remind]';
const MODEL_DELAY_MS = 2000;

/** A Messages API that answers every call with a valid diagram after MODEL_DELAY_MS. */
async function slowModel(): Promise<{ url: string; calls: () => number; close: () => Promise<void> }> {
  let calls = 0;
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      calls++;
      setTimeout(() => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(emitDiagram(VALID, 'Slow').body));
      }, MODEL_DELAY_MS);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: () => calls,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('resilience: killed engines and graceful shutdown (real processes)', () => {
  const prefix = `${process.env.REDIS_PREFIX}procs:`;
  let gateway: RunningGateway;
  let renderWorker: ChildProcess;
  let client: TestClient;
  let queue: Queue;
  let events: QueueEvents;
  const completions = new Map<string, number>();
  let producer: QueueClient<QueueName.Render>;
  let renders: RenderQueue;

  beforeAll(async () => {
    renderWorker = spawnWorker('render-worker', { REDIS_PREFIX: prefix, RENDER_PAGES: '2' });
    gateway = await startGateway(createGateway, { REDIS_PREFIX: prefix, RATE_LIMIT_PER_KEY: '100000', RATE_LIMIT_AI_PER_KEY: '100000' });
    client = new TestClient(gateway.url, (await createTestKey({ plan: 'premium' })).secret);
    queue = new Queue(QueueName.Render, { connection: bullConnection(REDIS_URL), prefix: bullPrefix(prefix) });
    events = new QueueEvents(QueueName.Render, { connection: bullConnection(REDIS_URL), prefix: bullPrefix(prefix) });
    events.on('completed', ({ jobId }) => completions.set(jobId, (completions.get(jobId) ?? 0) + 1));
    producer = new QueueClient(QueueName.Render, { REDIS_URL } as RedisSettings, prefix);
    renders = new RenderQueue(producer);
    await Promise.all([events.waitUntilReady(), waitForWorkers('render', prefix)]);
  }, 60_000);

  afterAll(async () => {
    renderWorker?.kill('SIGKILL');
    await producer?.close();
    await events?.close();
    await queue?.close();
    await gateway?.close();
    await closeTestPrisma();
  });

  /**
   * A render through the render queue's producer with a long deadline, for the engine-kill tests:
   * a new Chromium and its pages, or a new JVM, take ~2 s here but up to ~10 s while other suites
   * load both cores, past a request's 10 s budget. What those tests prove is recovery: every job
   * retried onto the new engine, completed once, rendered; a request through the gateway follows.
   */
  async function viaQueue({ source, source_format }: { source: string; source_format: string }) {
    const input: RenderInput = { source, sourceFormat: source_format as RenderInput['sourceFormat'], theme: 'light', format: 'svg', scale: 1, watermark: false };
    const result = await renders.render(input, { deadline: Date.now() + 45_000, timeoutMs: 45_000 });
    return { status: result.ok ? 200 : 500, body: result };
  }

  /**
   * Sends `sources` to /v1/beautify at once, SIGKILLs the worker's child matching `engine` as
   * soon as renders are under way, and returns the responses and what happened to the jobs.
   */
  async function killMidRender(
    engine: RegExp,
    sources: Array<{ source: string; source_format: string }>,
    send: (body: { source: string; source_format: string }) => Promise<{ status: number; body: any }> = (body) => client.post('/api/v1/beautify', body),
  ) {
    const before = new Set(completions.keys());
    const engines = () => descendantProcesses(renderWorker.pid!).filter((p) => p.ppid === renderWorker.pid && engine.test(p.command));
    // The worker announces itself before its engines are warm.
    await waitUntil(() => engines().length > 0, 30_000, `the worker's ${engine.source} process`);
    const [victim] = engines();
    const pending = Promise.all(sources.map(send));
    // Renders under way: the first ones done, the rest in the pages or waiting.
    await waitUntil(() => [...completions.keys()].filter((id) => !before.has(id)).length >= 2, 20_000, 'the first renders', 5);
    process.kill(victim.pid, 'SIGKILL');
    const responses = await pending;
    // This spec's own events stream may hear of the last completions a moment after the callers.
    const fresh = () => [...completions.keys()].filter((id) => !before.has(id)).length;
    await waitUntil(() => fresh() >= sources.length, 5000, 'every completion event').catch(() => undefined);
    const ours = [...completions.entries()].filter(([id]) => !before.has(id));
    const jobs = await Promise.all(ours.map(([id]) => queue.getJob(id)));
    return { victim, responses, ours, retried: jobs.filter((job) => (job?.attemptsStarted ?? 0) > 1).length, engines };
  }

  it('Chromium SIGKILLed from outside mid-render: every render succeeds, every job completes once, a new browser runs', async () => {
    const t0 = Date.now();
    // Warm pages first, so the 10 s budget of each request below pays for the crash, not the boot.
    await waitForFirstRender(gateway.url, 30_000);
    // Eight diagrams of a dozen nodes: after the kill, a new browser and its pages must still serve
    // the rest within their 10 s budget while the other suites load the same two cores.
    const sources = Array.from({ length: 8 }, (_, i) => ({
      source: `flowchart TD\n${Array.from({ length: 12 }, (__, n) => `  c${i}n${n}[Chromium kill ${i} step ${n}] --> c${i}n${n + 1}`).join('\n')}`,
      source_format: 'mermaid',
    }));
    const { victim, responses, ours, retried, engines } = await killMidRender(/chrom/i, sources, viaQueue);
    expect(responses.map((r) => [r.status, r.body.ok && r.body.contentType])).toEqual(sources.map(() => [200, 'image/svg+xml']));
    expect(ours.length).toBe(sources.length);
    expect(ours.every(([, count]) => count === 1)).toBe(true);
    expect(await queue.getFailedCount()).toBe(0);
    await waitUntil(() => !processAlive(victim.pid) && engines().length > 0, 10_000, 'a relaunched Chromium');
    // And the gateway renders with it.
    expect((await client.post('/api/v1/beautify', { source: 'flowchart LR\n  After --> Crash', source_format: 'mermaid' })).status).toBe(200);
    console.log(`chromium kill: ${sources.length} renders, ${retried} retried after the crash, ${Date.now() - t0} ms`);
  }, 60_000);

  it('the PlantUML JVM SIGKILLed mid-render: every render succeeds, every job completes once, a new JVM runs', async () => {
    const t0 = Date.now();
    // The JVM starts with the first PlantUML render.
    await waitUntil(async () => (await client.post('/api/v1/beautify', { source: '@startuml\nWarm -> Up: hello\n@enduml', source_format: 'plantuml' })).status === 200, 30_000, 'a warm JVM');
    const sources = Array.from({ length: 12 }, (_, i) => ({
      source: `@startuml\n${Array.from({ length: 12 }, (__, n) => `Alice${i} -> Bob${i}: JVM kill ${i} message ${n}`).join('\n')}\n@enduml`,
      source_format: 'plantuml',
    }));
    const { victim, responses, ours, retried, engines } = await killMidRender(/java/i, sources, viaQueue);
    expect(responses.map((r) => [r.status, r.body.ok && r.body.contentType])).toEqual(sources.map(() => [200, 'image/svg+xml']));
    expect(ours.length).toBe(sources.length);
    expect(ours.every(([, count]) => count === 1)).toBe(true);
    expect(await queue.getFailedCount()).toBe(0);
    expect((await client.post('/api/v1/beautify', { source: '@startuml\nAfter -> Kill: hello\n@enduml', source_format: 'plantuml' })).status).toBe(200);
    await waitUntil(() => !processAlive(victim.pid) && engines().length > 0, 10_000, 'a restarted JVM');
    console.log(`jvm kill: ${sources.length} renders, ${retried} retried after the crash, ${Date.now() - t0} ms`);
  }, 60_000);

  describe('SIGTERM', () => {
    let model: Awaited<ReturnType<typeof slowModel>>;
    let generationWorker: ChildProcess;

    beforeAll(async () => {
      model = await slowModel();
      generationWorker = spawnWorker('generation-worker', { REDIS_PREFIX: prefix, ANTHROPIC_API_KEY: 'sk-ant-fake', ANTHROPIC_BASE_URL: model.url, WORKER_CONCURRENCY: '1' });
      await waitForWorkers('generation', prefix);
    }, 30_000);

    afterAll(async () => {
      generationWorker?.kill('SIGKILL');
      await model?.close();
    });

    it('the gateway: the request in flight finishes, new connections are refused, the process exits cleanly', async () => {
      const t0 = Date.now();
      const port = await new Promise<number>((r) => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const { port: free } = probe.address() as AddressInfo;
          probe.close(() => r(free));
        });
      });
      const child = spawn(process.execPath, [resolve(ROOT, 'dist/apps/gateway/src/main.js')], {
        cwd: ROOT,
        env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', REDIS_PREFIX: prefix, READY_REQUIRES_WORKERS: 'false', API_KEY_PREFIX: 'fs_test_', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
        stdio: process.env.TEST_LOG_LEVEL ? 'inherit' : 'ignore',
      });
      try {
        const url = `http://127.0.0.1:${port}`;
        await waitUntil(async () => (await fetch(`${url}/healthz`)).ok, 45_000, 'the gateway process');
        const up = Date.now();
        const own = new TestClient(url, client.key);
        const callsBefore = model.calls();
        const inFlight = own.post('/api/v1/ai/generate', { prompt: 'graceful: order placed, paid, shipped' });
        await waitUntil(() => model.calls() > callsBefore, 10_000, 'the model call', 20);
        const signalled = Date.now();
        child.kill('SIGTERM');
        // New connections: refused (or answered 503 while closing), well before the request in flight ends.
        let refusedAt = 0;
        await waitUntil(async () => {
          try {
            const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
            if (response.status !== 503) return false;
          } catch {
            // refused or reset: closed to new connections
          }
          refusedAt = Date.now();
          return true;
        }, 5000, 'new connections to be refused', 20);
        const response = await inFlight;
        const answeredAt = Date.now();
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ object: 'ai_generation', mermaid: VALID });
        expect(refusedAt).toBeLessThan(answeredAt);
        const code = await exited(child);
        console.log(`gateway SIGTERM: up after ${up - t0} ms; refused new connections after ${refusedAt - signalled} ms, in-flight answered after ${answeredAt - signalled} ms, exited after ${Date.now() - signalled} ms (${code})`);
        // A clean exit: every shutdown hook ran, then process.exit(0).
        expect(code).toBe('0');
      } finally {
        child.kill('SIGKILL');
      }
    }, 90_000);

    it('the generation worker: the job in hand finishes before it exits, and it takes no new one', async () => {
      const t0 = Date.now();
      const callsBefore = model.calls();
      const accepted = [];
      for (let i = 0; i < 3; i++) accepted.push((await client.post('/api/v1/diagrams/generate', { prompt: `graceful worker ${i}: pick, pack, ship` })).body.id as string);
      await waitUntil(() => model.calls() > callsBefore, 10_000, 'the first job in hand', 20);
      generationWorker.kill('SIGTERM');
      const signalled = Date.now();
      const code = await exited(generationWorker);
      console.log(`generation worker SIGTERM: exited after ${Date.now() - signalled} ms (${code})`);
      expect(code).toBe('0');
      const rows = await testPrisma().generation.findMany({ where: { id: { in: accepted } } });
      const status = Object.fromEntries(rows.map((row) => [row.id, row]));
      expect(status[accepted[0]]).toMatchObject({ status: 'succeeded', attempts: 1 });
      expect(accepted.slice(1).map((id) => [status[id].status, status[id].attempts])).toEqual([['queued', 0], ['queued', 0]]);
      expect(model.calls() - callsBefore).toBe(1);
      console.log(`generation worker SIGTERM: ${Date.now() - t0} ms`);
    }, 40_000);
  });
});
