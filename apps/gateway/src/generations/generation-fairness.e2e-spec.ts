import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { QueueName } from '@flowsmith/contracts';
import { usagePeriod } from '@flowsmith/database';
import { bullConnection, bullPrefix } from '@flowsmith/queue';
import {
  closeTestPrisma, createTestKey, exited, expectError, RunningGateway, spawnWorker, startGateway, TestClient, testPrisma, waitForWorkers, waitUntil,
} from '@flowsmith/testing';
import { createGateway } from '../gateway';

/**
 * Generation work shared fairly (issue 13), with the offline generator and real workers on a
 * private Redis prefix: jobs of paying plans are taken before any free plan's however late they
 * come, and one owner cannot have more than GENERATION_IN_FLIGHT_PER_OWNER generations queued or
 * processing, over both routes, however many it sends at once.
 */
describe('fair generation scheduling', () => {
  const prefix = `${process.env.REDIS_PREFIX}genfair:${randomBytes(3).toString('hex')}:`;
  const CAP = 3;
  let gateway: RunningGateway;
  let renderWorker: ChildProcess;
  let generationWorker: ChildProcess | undefined;

  beforeAll(async () => {
    renderWorker = spawnWorker('render-worker', { REDIS_PREFIX: prefix, RENDER_PAGES: '1' });
    gateway = await startGateway(createGateway, {
      REDIS_PREFIX: prefix,
      RATE_LIMIT_PER_KEY: '100000',
      RATE_LIMIT_AI_PER_KEY: '100000',
      GENERATION_IN_FLIGHT_PER_OWNER: String(CAP),
      // Free keys may generate here, so that there is free traffic to put behind the paying one.
      PLANS: JSON.stringify({ free: { ai_enabled: true, ai_per_month: 50 } }),
    });
    await waitForWorkers('render', prefix);
  }, 60_000);

  afterAll(async () => {
    generationWorker?.kill('SIGKILL');
    renderWorker?.kill('SIGKILL');
    await gateway?.close();
    await closeTestPrisma();
  });

  /** One generation worker taking one job at a time, so the order it takes them in is visible. */
  async function startGenerationWorker() {
    generationWorker = spawnWorker('generation-worker', { REDIS_PREFIX: prefix, ANTHROPIC_API_KEY: '', WORKER_CONCURRENCY: '1' });
    await waitForWorkers('generation', prefix);
  }

  async function stopGenerationWorker() {
    if (!generationWorker) return;
    generationWorker.kill('SIGTERM');
    await exited(generationWorker);
    generationWorker = undefined;
  }

  async function owner(plan: 'free' | 'pro' | 'premium') {
    const key = await createTestKey({ plan });
    return { client: new TestClient(gateway.url, key.secret), ownerId: key.ownerId };
  }

  async function submit(client: TestClient, n: number, tag: string) {
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => client.post('/api/v1/diagrams/generate', { prompt: `${tag} ${i}: order placed, then paid, then shipped` })));
    return answers;
  }

  async function settled(ids: string[], timeoutMs = 60_000) {
    await waitUntil(async () => (await testPrisma().generation.count({ where: { id: { in: ids }, status: { in: ['succeeded', 'failed'] } } })) === ids.length, timeoutMs, `${ids.length} generations to finish`, 200);
    return testPrisma().generation.findMany({ where: { id: { in: ids } } });
  }

  it('takes every paying job before any free one, whichever was queued first', async () => {
    const freeOwners = [await owner('free'), await owner('free')];
    const payingOwners = [await owner('pro'), await owner('premium')];
    // Free work first, while no worker runs: it is all waiting when the paying work arrives.
    const freeIds: string[] = [];
    for (const { client } of freeOwners) for (const answer of await submit(client, CAP, 'free')) freeIds.push(answer.body.id);
    const payingIds: string[] = [];
    for (const { client } of payingOwners) for (const answer of await submit(client, CAP, 'paying')) payingIds.push(answer.body.id);
    expect(freeIds.length + payingIds.length).toBe(4 * CAP);

    const queue = new Queue(QueueName.Generation, { connection: bullConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'), prefix: bullPrefix(prefix) });
    try {
      // Paying jobs in the plain wait list, free ones in the prioritized set behind it.
      expect(await queue.getJobCounts('wait', 'prioritized')).toEqual({ wait: payingIds.length, prioritized: freeIds.length });
      const retryAfter = Number((await payingOwners[0].client.get(`/api/v1/generations/${payingIds[0]}`)).headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
    } finally {
      await queue.close();
    }

    await startGenerationWorker();
    const rows = await settled([...freeIds, ...payingIds]);
    for (const row of rows) expect({ id: row.id, status: row.status }).toEqual({ id: row.id, status: 'succeeded' });
    const started = (ids: string[]) => rows.filter((row) => ids.includes(row.id)).map((row) => row.startedAt!.getTime());
    // One job at a time: the last paying job started before the first free one.
    expect(Math.max(...started(payingIds))).toBeLessThan(Math.min(...started(freeIds)));

    // A free key's synchronous generation (added with its priority, then waited for) still answers.
    const sync = await freeOwners[0].client.post('/api/v1/ai/generate', { prompt: 'sync free: order placed, then paid, then shipped' });
    expect(sync.status).toBe(200);
    expect(sync.body).toMatchObject({ object: 'ai_generation', mermaid: expect.stringContaining('flowchart') });
    await stopGenerationWorker();
  }, 120_000);

  it('caps one owner\'s generations in flight over both routes: 429 rate_limited with Retry-After, nothing reserved for the refused, others unaffected', async () => {
    const busy = await owner('pro');
    const other = await owner('pro');
    // Ten at once against a cap of three, with no worker taking any.
    const answers = await submit(busy.client, 10, 'burst');
    const accepted = answers.filter((answer) => answer.status === 202);
    const refused = answers.filter((answer) => answer.status !== 202);
    expect(accepted.length).toBe(CAP);
    expect(refused.length).toBe(10 - CAP);
    for (const answer of refused) {
      expectError(answer, { status: 429, type: 'rate_limit_error', code: 'rate_limited' });
      expect(answer.body.error.message).toContain(`(${CAP})`);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // The synchronous route counts against the same cap.
    expectError(await busy.client.post('/api/v1/ai/generate', { prompt: 'sync over the cap: placed, paid' }), { status: 429, type: 'rate_limit_error', code: 'rate_limited' });
    // Another owner is not held back by this one.
    expect((await submit(other.client, 1, 'other'))[0].status).toBe(202);

    const counters = () => testPrisma().usageCounter.findUniqueOrThrow({ where: { ownerId_period: { ownerId: busy.ownerId, period: usagePeriod() } } });
    expect(await counters()).toMatchObject({ aiReserved: CAP, aiUsed: 0 });
    expect(await testPrisma().generation.count({ where: { ownerId: busy.ownerId } })).toBe(CAP);

    // Once they finish the owner may submit again.
    await startGenerationWorker();
    await settled(accepted.map((answer) => answer.body.id));
    // Released, not spent: the offline generator runs no model.
    expect(await counters()).toMatchObject({ aiReserved: 0, aiUsed: 0 });
    const again = await submit(busy.client, 1, 'after');
    expect(again[0].status).toBe(202);
    await settled([again[0].body.id]);
    await stopGenerationWorker();
  }, 120_000);
});
