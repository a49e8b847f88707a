import { ChildProcess, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QueueName } from '@flowsmith/contracts';
import { PrismaService, usagePeriod } from '@flowsmith/database';
import { provisionKey } from '@flowsmith/identity';
import { bullConnection, bullPrefix } from '@flowsmith/queue';
import {
  exited, FakeAnthropic, freePort, GatewayFactory, ProjectRedis, redisCli, ROOT, RunningGateway, spawnWorker, startGateway, startProjectRedis, startThrowawayPostgres, TestClient, ThrowawayPostgres, waitUntil,
} from '@flowsmith/testing';

// Apps never import each other: the gateway comes built, as the workers do (npm run build).
const { createGateway } = require(`${ROOT}/dist/apps/gateway/src/gateway.js`) as { createGateway: GatewayFactory };

/**
 * Issue 13, item 10: a Redis restart with generations queued. The stack is the real one (gateway,
 * render worker with Chromium, generation worker with Claude's SDK against a fake Messages API, so that
 * each generation spends a unit of quota: the offline generator spends none) on a private Redis
 * started from deploy/redis.conf, the file `npm run up` uses, and a Postgres of this spec's own:
 * recovery is on here, and on the run's shared schema it would take other specs' generations for
 * lost (libs/testing/src/worker-process.ts).
 *
 * - Persistent Redis, crashed (SIGKILL) more than a second after the last accept and started on the
 *   same directory: the append-only file brings every job back, and each generation succeeds once.
 * - Redis that lost everything (the same crash, then its files deleted: what a Redis without
 *   persistence does on any restart): recovery queues the generations again within a minute.
 */
describe('durability: queued generations across a Redis restart', () => {
  const prefix = `${process.env.REDIS_PREFIX}durable:${randomBytes(3).toString('hex')}:`;
  let postgres: ThrowawayPostgres;
  let prisma: PrismaService;
  let redis: ProjectRedis;
  let gateway: RunningGateway;
  let renderWorker: ChildProcess;
  let generationWorker: ChildProcess | undefined;
  const model = new FakeAnthropic();
  let modelUrl: string;

  const startGenerationWorker = (env: Record<string, string> = {}) =>
    spawnWorker('generation-worker', { DATABASE_URL: postgres.url, REDIS_URL: redis.url, REDIS_PREFIX: prefix, ANTHROPIC_API_KEY: 'sk-ant-fake', ANTHROPIC_BASE_URL: modelUrl, WORKER_CONCURRENCY: '8', ...env });

  /** waitForWorkers reads the machine's Redis; this one reads ours. */
  async function waitForWorker(kind: 'render' | 'generation') {
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      await waitUntil(async () => (await client.zcount(`${prefix}workers:${kind}`, Date.now() - 3000, '+inf')) > 0, 60_000, `a ${kind} worker`);
    } finally {
      client.disconnect();
    }
  }

  async function queueCounts() {
    const queue = new Queue(QueueName.Generation, { connection: bullConnection(redis.url), prefix: bullPrefix(prefix) });
    try {
      return await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'completed', 'failed');
    } finally {
      await queue.close();
    }
  }

  beforeAll(async () => {
    [postgres, redis, modelUrl] = await Promise.all([startThrowawayPostgres(), startProjectRedis(), model.start()]);
    prisma = new PrismaService(postgres.url, 4);
    renderWorker = spawnWorker('render-worker', { REDIS_URL: redis.url, REDIS_PREFIX: prefix, RENDER_PAGES: '2' });
    gateway = await startGateway(createGateway, { DATABASE_URL: postgres.url, REDIS_URL: redis.url, REDIS_PREFIX: prefix, RATE_LIMIT_PER_KEY: '100000', RATE_LIMIT_AI_PER_KEY: '100000' });
    await waitForWorker('render');
  }, 120_000);

  afterAll(async () => {
    generationWorker?.kill('SIGKILL');
    renderWorker?.kill('SIGKILL');
    await gateway?.close();
    await prisma?.$disconnect();
    await redis?.close();
    await postgres?.close();
    await model.close();
  });

  /** Two pro owners (the cap on generations in flight is per owner), ten generations each, no worker running. */
  async function queueTwenty(tag: string) {
    const owners: Array<{ ownerId: string; ids: string[] }> = [];
    for (let o = 0; o < 2; o++) {
      const { key, secret } = await provisionKey(prisma, { plan: 'pro', userEmail: `durable-${tag}-${o}-${randomBytes(3).toString('hex')}@test.flowsmith.localhost`, keyPrefix: 'fs_test_', expiresAt: null });
      const client = new TestClient(gateway.url, secret);
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => client.post('/api/v1/diagrams/generate', { prompt: `${tag} ${o}.${i}: order placed, then paid, then shipped` })));
      for (const answer of answers) expect({ status: answer.status, body: answer.body?.status }).toEqual({ status: 202, body: 'queued' });
      owners.push({ ownerId: key.ownerId, ids: answers.map((answer) => answer.body.id as string) });
    }
    return owners;
  }

  /** Every generation succeeded once: one attempt, its own diagram, and each owner's quota spent once per generation, nothing left reserved. */
  async function expectExactlyOnce(owners: Array<{ ownerId: string; ids: string[] }>, timeoutMs: number) {
    const ids = owners.flatMap((owner) => owner.ids);
    await waitUntil(async () => (await prisma.generation.count({ where: { id: { in: ids }, status: { in: ['succeeded', 'failed'] } } })) === ids.length, timeoutMs, `${ids.length} generations to finish`, 250);
    const rows = await prisma.generation.findMany({ where: { id: { in: ids } } });
    for (const row of rows) expect({ id: row.id, status: row.status, attempts: row.attempts, error: row.error, diagram: typeof row.diagramId }).toEqual({ id: row.id, status: 'succeeded', attempts: 1, error: null, diagram: 'string' });
    expect(new Set(rows.map((row) => row.diagramId)).size).toBe(ids.length);
    for (const { ownerId, ids: own } of owners) {
      expect(await prisma.diagram.count({ where: { ownerId } })).toBe(own.length);
      const counters = await prisma.usageCounter.findUniqueOrThrow({ where: { ownerId_period: { ownerId, period: usagePeriod() } } });
      expect({ ownerId, used: counters.aiUsed, reserved: counters.aiReserved }).toEqual({ ownerId, used: own.length, reserved: 0 });
    }
  }

  async function stopGenerationWorker() {
    if (!generationWorker) return;
    generationWorker.kill('SIGTERM');
    await exited(generationWorker);
    generationWorker = undefined;
  }

  it('persistent Redis (deploy/redis.conf) crashed with 20 generations queued: the append-only file keeps every job, each generation succeeds once', async () => {
    const owners = await queueTwenty('aof');
    expect((await queueCounts()).wait).toBe(20);
    // The append-only file is fsynced every second: past that, a crash loses nothing accepted.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await redis.stop('SIGKILL');
    await redis.start();
    expect(await queueCounts()).toMatchObject({ wait: 20, active: 0, completed: 0 });

    // Recovery off: the jobs must come back from the file, not be queued again from Postgres.
    const t0 = Date.now();
    generationWorker = startGenerationWorker({ GENERATION_RECOVER_AFTER_SECONDS: '0' });
    await expectExactlyOnce(owners, 90_000);
    console.log(`durability (AOF): 20 generations kept across a Redis crash, all done ${Date.now() - t0} ms after the worker started`);
    expect(await queueCounts()).toMatchObject({ wait: 0, prioritized: 0, active: 0, completed: 20, failed: 0 });
    await stopGenerationWorker();
  }, 180_000);

  it('Redis that lost everything: the generation workers queue the 20 generations again within a minute, each succeeds once, no quota leaked', async () => {
    const owners = await queueTwenty('lost');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await redis.stop('SIGKILL');
    redis.wipe();
    await redis.start();
    expect(await queueCounts()).toMatchObject({ wait: 0, prioritized: 0, active: 0 });

    const t0 = Date.now();
    generationWorker = startGenerationWorker({ GENERATION_RECOVER_AFTER_SECONDS: '2' });
    await expectExactlyOnce(owners, 60_000);
    console.log(`durability (lost): 20 generations re-queued and done ${Date.now() - t0} ms after the worker started (GENERATION_RECOVER_AFTER_SECONDS=2)`);
    await stopGenerationWorker();
  }, 180_000);

  it('npm run up starts its Redis from deploy/redis.conf: an append-only file in REDIS_DATA_DIR, fsync every second, noeviction', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'flowsmith-up-redis-'));
    const env = { ...process.env, REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_DATA_DIR: dir };
    const ensureRedis = () => promisify(execFile)('bash', ['-c', 'source scripts/lib.sh && ensure_redis'], { cwd: ROOT, env, timeout: 30_000 });
    try {
      await ensureRedis();
      await waitUntil(async () => (await redisCli(port, 'PING')) === 'PONG', 10_000, 'the started Redis');
      const config = async (name: string) => (await redisCli(port, 'CONFIG', 'GET', name)).split('\n')[1];
      expect({ appendonly: await config('appendonly'), appendfsync: await config('appendfsync'), policy: await config('maxmemory-policy'), dir: await config('dir') })
        .toEqual({ appendonly: 'yes', appendfsync: 'everysec', policy: 'noeviction', dir });
      // Run again while it answers: used as it is, not started twice.
      const pid = readFileSync(join(dir, 'redis.pid'), 'utf8').trim();
      await ensureRedis();
      expect(readFileSync(join(dir, 'redis.pid'), 'utf8').trim()).toBe(pid);
    } finally {
      await redisCli(port, 'SHUTDOWN', 'NOSAVE').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
