import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { GenerationsRepository, PrismaService, usagePeriod } from '@flowsmith/database';
import { closeTestPrisma, createTestKey, exited, spawnWorker, testPrisma, waitForWorkers, waitUntil } from '@flowsmith/testing';

/**
 * The reaper: generations left queued or processing past GENERATION_REAP_AFTER_SECONDS (their
 * worker gone for good, their job lost) are failed and their reserved unit released, exactly once
 * however many reapers run. The stuck rows are made directly in the run's database, with old
 * timestamps, as a dead worker leaves them.
 */
describe('resilience: the reaper of abandoned generations', () => {
  const error = { type: 'api_error', code: 'upstream_timeout', message: 'The generation was abandoned: it was not finished in time.' };
  const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3600_000);

  afterAll(() => closeTestPrisma());

  /** An owner with `reserved` units in use, and generations in the given states and ages. */
  async function arrange(rows: Array<{ status: 'queued' | 'processing' | 'succeeded'; updatedAt: Date }>, reserved: number) {
    const owner = await createTestKey({ plan: 'pro' });
    const prisma = testPrisma();
    await prisma.usageCounter.create({ data: { ownerId: owner.ownerId, period: usagePeriod(), aiReserved: reserved, aiUsed: 1 } });
    const ids: string[] = [];
    for (const row of rows) {
      const id = `gen_${randomBytes(12).toString('hex')}`;
      await prisma.generation.create({
        data: { id, ownerId: owner.ownerId, createdBy: owner.userId, apiKeyId: owner.id, prompt: 'a stuck one', theme: 'light', format: 'png', status: row.status, attempts: row.status === 'queued' ? 0 : 1 },
      });
      // Prisma sets updated_at itself: age the row afterwards, as time would have.
      await prisma.$executeRaw`UPDATE generations SET updated_at = ${row.updatedAt} WHERE id = ${id}`;
      ids.push(id);
    }
    const counters = async () => prisma.usageCounter.findUniqueOrThrow({ where: { ownerId_period: { ownerId: owner.ownerId, period: usagePeriod() } } });
    const statuses = async () => Object.fromEntries((await prisma.generation.findMany({ where: { id: { in: ids } } })).map((g) => [g.id, g]));
    return { owner, ids, counters, statuses };
  }

  it('fails stuck generations and releases their units exactly once with four reapers racing', async () => {
    const t0 = Date.now();
    const stuck = Array.from({ length: 6 }, (_, i) => ({ status: i % 2 ? ('queued' as const) : ('processing' as const), updatedAt: hoursAgo(2) }));
    const fresh = [{ status: 'processing' as const, updatedAt: new Date() }, { status: 'queued' as const, updatedAt: new Date() }];
    const done = [{ status: 'succeeded' as const, updatedAt: hoursAgo(3) }];
    // 8 units reserved: the 6 stuck ones and the 2 fresh ones. A double release would show below 2.
    const world = await arrange([...stuck, ...fresh, ...done], 8);

    // Four reapers, each with its own connection pool, at the same moment.
    const clients = Array.from({ length: 4 }, () => new PrismaService(process.env.DATABASE_URL!, 2));
    try {
      const cutoff = hoursAgo(1);
      const results = await Promise.all(clients.map((client) => new GenerationsRepository(client).reapStale(cutoff, error)));
      const reaped = results.flat().map((r) => r.id).filter((id) => world.ids.includes(id));
      expect(reaped.sort()).toEqual(world.ids.slice(0, 6).sort());
      expect(new Set(reaped).size).toBe(reaped.length); // none reaped twice
      // Once more: nothing left to reap.
      expect((await new GenerationsRepository(clients[0]).reapStale(cutoff, error)).filter((r) => world.ids.includes(r.id))).toEqual([]);
    } finally {
      await Promise.all(clients.map((client) => client.$disconnect()));
    }

    const after = await world.statuses();
    for (const id of world.ids.slice(0, 6)) {
      expect(after[id]).toMatchObject({ status: 'failed', error, completedAt: expect.any(Date) });
    }
    expect(world.ids.slice(6).map((id) => after[id].status)).toEqual(['processing', 'queued', 'succeeded']);
    expect(await world.counters()).toMatchObject({ aiReserved: 2, aiUsed: 1 });
    console.log(`reaper (repository, 4 racing) ${Date.now() - t0} ms`);
  });

  it('runs in every generation worker: two workers reap stuck generations once, with a clear error', async () => {
    const t0 = Date.now();
    const prefix = `${process.env.REDIS_PREFIX}reaper:`;
    const world = await arrange(
      [
        ...Array.from({ length: 5 }, () => ({ status: 'processing' as const, updatedAt: hoursAgo(2) })),
        { status: 'processing' as const, updatedAt: new Date() },
      ],
      7,
    );
    let workers: ChildProcess[] = [];
    try {
      // Both start together, so their first passes (at boot) race.
      workers = [0, 1].map(() => spawnWorker('generation-worker', { REDIS_PREFIX: prefix, ANTHROPIC_API_KEY: '', GENERATION_REAP_AFTER_SECONDS: '600' }));
      await waitForWorkers('generation', prefix, 2);
      await waitUntil(async () => Object.values(await world.statuses()).filter((g) => g.status === 'failed').length === 5, 15_000, 'the reapers');
      const after = await world.statuses();
      for (const id of world.ids.slice(0, 5)) {
        expect(after[id].status).toBe('failed');
        expect(after[id].error).toEqual({
          type: 'api_error',
          code: 'upstream_timeout',
          message: expect.stringMatching(/^The generation was abandoned: it was not finished in time \(no progress for 600 s.*No quota was spent/),
        });
      }
      expect(after[world.ids[5]].status).toBe('processing'); // recent: a live worker may hold it
      expect(await world.counters()).toMatchObject({ aiReserved: 2, aiUsed: 1 });
    } finally {
      for (const worker of workers) worker.kill('SIGKILL');
      await Promise.all(workers.map(exited));
    }
    console.log(`reaper (two worker processes) ${Date.now() - t0} ms`);
  }, 40_000);
});
