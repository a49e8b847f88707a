import { randomBytes } from 'node:crypto';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { PlanName, QueueName } from '@flowsmith/contracts';
import { GenerationsRepository, PrismaService, usagePeriod } from '@flowsmith/database';
import { provisionKey } from '@flowsmith/identity';
import { bullConnection, bullPrefix } from '@flowsmith/queue';
import { startThrowawayPostgres, ThrowawayPostgres } from '@flowsmith/testing';
import { GenerationRecovery } from '../src/generation-recovery';

/**
 * Recovery of generations whose job vanished from Redis, with the real queue (a private prefix on
 * the machine's Redis) and real rows in a Postgres of this spec's own: the run's shared schema is
 * read by every spec's generation workers, which must not see these rows. Four recoveries race, as
 * four generation workers would.
 */
describe('generation recovery: lost jobs queued again, once', () => {
  let postgres: ThrowawayPostgres;
  let prisma: PrismaService;
  const prefix = `${process.env.REDIS_PREFIX}recovery:${randomBytes(3).toString('hex')}:`;
  const connection = bullConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const queues: Queue[] = [];
  const newQueue = () => {
    const queue = new Queue(QueueName.Generation, { connection, prefix: bullPrefix(prefix) });
    queues.push(queue);
    return queue;
  };
  const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);

  beforeAll(async () => {
    postgres = await startThrowawayPostgres();
    prisma = new PrismaService(postgres.url, 4);
  }, 60_000);

  afterAll(async () => {
    await queues[0]?.obliterate({ force: true }).catch(() => undefined);
    await Promise.all(queues.map((queue) => queue.close()));
    await prisma?.$disconnect();
    await postgres?.close();
  });

  type Row = { status: 'queued' | 'processing' | 'succeeded'; updatedAt: Date; createdAt?: Date };

  /** An owner with one reserved unit per unfinished row, and the rows, aged as time would have. */
  async function arrange(rows: Row[], plan: PlanName = 'premium') {
    const { key } = await provisionKey(prisma, { plan, userEmail: `recovery-${randomBytes(3).toString('hex')}@test.flowsmith.localhost`, keyPrefix: 'fs_test_', expiresAt: null });
    const reserved = rows.filter((row) => row.status !== 'succeeded').length;
    await prisma.usageCounter.create({ data: { ownerId: key.ownerId, period: usagePeriod(), aiReserved: reserved, aiUsed: 0 } });
    const ids: string[] = [];
    for (const row of rows) {
      const id = `gen_${randomBytes(12).toString('hex')}`;
      await prisma.generation.create({
        data: { id, ownerId: key.ownerId, createdBy: key.userId, apiKeyId: key.id, prompt: 'lost one', theme: 'light', format: 'svg', status: row.status, attempts: row.status === 'queued' ? 0 : 1 },
      });
      await prisma.$executeRaw`UPDATE generations SET updated_at = ${row.updatedAt}, created_at = ${row.createdAt ?? row.updatedAt} WHERE id = ${id}`;
      ids.push(id);
    }
    const rowsNow = async () => Object.fromEntries((await prisma.generation.findMany({ where: { id: { in: ids } } })).map((g) => [g.id, g]));
    const counters = () => prisma.usageCounter.findUniqueOrThrow({ where: { ownerId_period: { ownerId: key.ownerId, period: usagePeriod() } } });
    return { ids, rowsNow, counters };
  }

  it('re-queues every lost generation exactly once with four recoveries racing, fails one whose job failed for good, and leaves the rest alone', async () => {
    const t0 = Date.now();
    const lost = Array.from({ length: 7 }, (_, i): Row => ({ status: i % 2 ? 'processing' : 'queued', updatedAt: ago(60 + i) }));
    const others: Row[] = [
      { status: 'queued', updatedAt: ago(60) }, // its job is waiting in the queue
      { status: 'processing', updatedAt: ago(60) }, // its job failed for good; its worker could not record it
      { status: 'queued', updatedAt: ago(1) }, // just accepted: the gateway may not have added its job yet
      { status: 'queued', updatedAt: ago(7200) }, // past GENERATION_REAP_AFTER_SECONDS: the reaper's
      { status: 'succeeded', updatedAt: ago(60) }, // final: its job may be long gone
    ];
    const world = await arrange([...lost, ...others]);
    const lostIds = world.ids.slice(0, lost.length);
    const [waiting, failedJob, fresh, old, done] = world.ids.slice(lost.length);

    // The failed job, made by a real worker that gives up on it, before any other job exists.
    const setup = newQueue();
    await setup.add('generate', { generationId: failedJob }, { jobId: failedJob });
    const worker = new Worker(QueueName.Generation, async () => { throw new UnrecoverableError('the database was away'); }, { connection, prefix: bullPrefix(prefix) });
    await new Promise<void>((resolve) => worker.once('failed', () => resolve()));
    await worker.close();
    expect(await setup.getJobState(failedJob)).toBe('failed');
    await setup.add('generate', { generationId: waiting }, { jobId: waiting });
    const before = await world.rowsNow();

    // Four workers' recoveries at once, each with its own pool and queue connection; small pages
    // so that the passes page through the candidates.
    const clients = Array.from({ length: 4 }, () => new PrismaService(postgres.url, 2));
    try {
      const recoveries = clients.map((client) => new GenerationRecovery(new GenerationsRepository(client), newQueue(), { graceSeconds: 30, maxAgeSeconds: 900, pageSize: 3 }));
      const passes = await Promise.all(recoveries.map((recovery) => recovery.recoverOnce()));
      const requeued = passes.flatMap((pass) => pass.requeued);
      expect([...requeued].sort()).toEqual([...lostIds].sort()); // each once, across all four
      expect(passes.flatMap((pass) => pass.failed)).toEqual([failedJob]);

      // Nothing left to do: the jobs exist now, and the touched rows are within their grace again.
      const again = await Promise.all(recoveries.map((recovery) => recovery.recoverOnce()));
      expect(again.flatMap((pass) => [...pass.requeued, ...pass.failed])).toEqual([]);
    } finally {
      await Promise.all(clients.map((client) => client.$disconnect()));
    }

    const queue = newQueue();
    for (const id of [...lostIds, waiting]) expect({ id, state: await queue.getJobState(id) }).toEqual({ id, state: 'waiting' });
    expect(await queue.getWaitingCount()).toBe(lostIds.length + 1); // no job twice
    for (const id of [fresh, old, done]) expect({ id, state: await queue.getJobState(id) }).toEqual({ id, state: 'unknown' });
    const job = await queue.getJob(lostIds[0]);
    expect(job?.data).toEqual({ generationId: lostIds[0] });

    const after = await world.rowsNow();
    for (const id of lostIds) {
      expect(after[id].status).toBe(before[id].status); // queued again, nothing else changed
      expect(after[id].updatedAt.getTime()).toBeGreaterThan(Date.now() - 30_000); // a fresh reap window
    }
    for (const id of [waiting, fresh, old, done]) expect(after[id]).toEqual(before[id]);
    expect(after[failedJob]).toMatchObject({ status: 'failed', error: { type: 'api_error', code: 'upstream_error', message: expect.stringContaining('no quota was spent') } });
    // 11 units were reserved (every unfinished row); the failed one's came back, once.
    expect(await world.counters()).toMatchObject({ aiReserved: 10, aiUsed: 0 });
    console.log(`recovery (4 racing, ${lostIds.length} lost) ${Date.now() - t0} ms`);
  }, 60_000);

  it('gives a re-queued job the priority of its owner\'s plan, as the gateway does: none for paying plans, behind them for free ones', async () => {
    const paying = await arrange([{ status: 'queued', updatedAt: ago(60) }], 'pro');
    const free = await arrange([{ status: 'queued', updatedAt: ago(61) }], 'free');
    const queue = newQueue();
    const recovery = new GenerationRecovery(new GenerationsRepository(prisma), queue, { graceSeconds: 30, maxAgeSeconds: 900 });
    expect((await recovery.recoverOnce()).requeued).toEqual(expect.arrayContaining([paying.ids[0], free.ids[0]]));
    expect((await queue.getJob(paying.ids[0]))?.opts.priority ?? 0).toBe(0);
    expect((await queue.getJob(free.ids[0]))?.opts.priority).toBe(1);
    expect(await queue.getJobState(free.ids[0])).toBe('prioritized');
  }, 20_000);

  it('decides nothing while Redis does not answer', async () => {
    const world = await arrange([{ status: 'queued', updatedAt: ago(60) }]);
    const before = await world.rowsNow();
    // Nothing listens on port 9: BullMQ keeps retrying, so the pass must give up on its own.
    const unreachable = new Queue(QueueName.Generation, { connection: bullConnection('redis://127.0.0.1:9'), prefix: bullPrefix(prefix) });
    unreachable.on('error', () => undefined);
    try {
      const recovery = new GenerationRecovery(new GenerationsRepository(prisma), unreachable, { graceSeconds: 30, maxAgeSeconds: 900, redisTimeoutMs: 1000 });
      await expect(recovery.recoverOnce()).rejects.toThrow(/did not tell the state/);
    } finally {
      await unreachable.close().catch(() => undefined);
    }
    expect(await world.rowsNow()).toEqual(before);
  }, 20_000);
});
