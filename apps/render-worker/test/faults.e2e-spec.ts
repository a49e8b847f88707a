import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { QueueName, RenderInput, renderCacheKey } from '@flowsmith/contracts';
import { bullConnection, bullPrefix, DEFAULT_JOB_OPTIONS, RenderCache } from '@flowsmith/queue';
import { exited, spawnWorker, waitForWorkers } from '@flowsmith/testing';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Every process below `root` (Chromium's and the JVM's), from /proc. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone while we looked
    }
  }
  const found: number[] = [];
  const walk = (pid: number) => (children.get(pid) ?? []).forEach((child) => (found.push(child), walk(child)));
  walk(root);
  return found;
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

function jobsFor(tag: string, count: number, size = 12) {
  return Array.from({ length: count }, (_, i) => {
    const lines = Array.from({ length: size }, (__, n) => `  ${tag}${i}n${n}[Step ${n} of ${tag} ${i}] --> ${tag}${i}n${n + 1}`);
    const input: RenderInput = { source: `flowchart TD\n${lines.join('\n')}`, sourceFormat: 'mermaid', theme: 'light', format: 'png', scale: 2, watermark: false };
    const cacheKey = renderCacheKey(input);
    return { name: 'render' as const, data: { ...input, cacheKey }, opts: { jobId: cacheKey } };
  });
}

/** A worker process under a prefix of its own, with the queue and its events as the gateway sees them. */
async function harness(name: string) {
  const prefix = `${process.env.REDIS_PREFIX}${name}:`;
  const queue = new Queue(QueueName.Render, { connection: bullConnection(REDIS_URL), prefix: bullPrefix(prefix), defaultJobOptions: DEFAULT_JOB_OPTIONS[QueueName.Render] });
  const events = new QueueEvents(QueueName.Render, { connection: bullConnection(REDIS_URL), prefix: bullPrefix(prefix) });
  await events.waitUntilReady();
  const completions = new Map<string, number>();
  const results = new Map<string, string>();
  events.on('completed', ({ jobId, returnvalue }) => {
    completions.set(jobId, (completions.get(jobId) ?? 0) + 1);
    results.set(jobId, typeof returnvalue === 'string' ? returnvalue : JSON.stringify(returnvalue));
  });
  const redis = new Redis(REDIS_URL);
  const cache = new RenderCache(redis, prefix, 256 * 1024 * 1024);
  return {
    prefix,
    queue,
    completions,
    results,
    cache,
    start: async (env: Record<string, string> = {}) => {
      // Its jobs are PNGs, and its drain and restart are timed: raster browsers start with it, as they ship.
      const worker = spawnWorker('render-worker', { REDIS_PREFIX: prefix, RENDER_PAGES: '2', RENDER_RASTER_WARM: 'true', ...env });
      await waitForWorkers('render', prefix);
      return worker;
    },
    async until(predicate: () => boolean | Promise<boolean>, timeoutMs: number) {
      const deadline = Date.now() + timeoutMs;
      while (!(await predicate())) {
        if (Date.now() > deadline) throw new Error('timed out waiting');
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close() {
      await events.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      redis.disconnect();
    },
  };
}

describe('render worker faults (real processes)', () => {
  it('SIGKILL in the middle of 20 renders: after a restart all 20 complete, none twice', async () => {
    const h = await harness('sigkill');
    const first = await h.start();
    try {
      const jobs = jobsFor('k', 20);
      await h.queue.addBulk(jobs);
      // A new worker's first renders: a cold browser, on a busy machine well over 30 s.
      await h.until(() => h.completions.size >= 3, 90_000);
      const helpers = descendants(first.pid!);
      expect(helpers.length).toBeGreaterThan(0);
      first.kill('SIGKILL');
      await exited(first);
      // Chromium (over its DevTools pipe) and the PlantUML JVM (on its stdin) notice and exit too.
      await h.until(() => helpers.every((pid) => { try { return !alive(pid); } catch { return true; } }), 10_000);
      const inFlight = await h.queue.getActiveCount();
      const second = await h.start();
      try {
        // Jobs the dead worker held are stalled: their locks lapse and the new worker takes them.
        await h.until(() => h.completions.size === 20, 60_000);
        expect(inFlight + h.completions.size).toBeGreaterThanOrEqual(20);
        expect([...h.completions.values()].every((n) => n === 1)).toBe(true);
        expect(await h.queue.getFailedCount()).toBe(0);
        // Each completed with a rendering, not a failure value (which has no cache entry).
        for (const job of jobs) expect([job.data.cacheKey, await h.cache.get(job.data.cacheKey) ? 'cached' : h.results.get(job.data.cacheKey)]).toEqual([job.data.cacheKey, 'cached']);
      } finally {
        second.kill('SIGKILL');
      }
    } finally {
      // Failed before the kill, it would outlive the run (Jest force-exits its workers, so their exit hooks never run).
      first.kill('SIGKILL');
      await h.close();
    }
  }, 240_000);

  it('SIGTERM: the jobs in hand finish before the process exits, and no new job is taken', async () => {
    const h = await harness('sigterm');
    // The drain lasts RENDER_TIMEOUT_MS + 3 s and the process RENDER_TIMEOUT_MS + 10 s
    // (apps/render-worker/src/main.ts): the jobs in hand, a page's worth each, and the browsers'
    // close must fit, which on a busy 2-core machine took longer than the default 8 s allows.
    const worker = await h.start({ RENDER_TIMEOUT_MS: '20000' });
    try {
      await h.queue.addBulk(jobsFor('t', 12, 60));
      await h.until(async () => (await h.queue.getActiveCount()) >= 1, 30_000);
      const active = (await h.queue.getActive()).map((job) => job.id!);
      worker.kill('SIGTERM');
      expect(await exited(worker)).toBe('0');
      await new Promise((r) => setTimeout(r, 300)); // the last completion events
      for (const id of active) expect(h.completions.get(id)).toBe(1);
      expect(await h.queue.getActiveCount()).toBe(0);
      expect(await h.queue.getFailedCount()).toBe(0);
      const counts = await h.queue.getJobCounts('completed', 'waiting', 'wait', 'prioritized');
      expect(h.completions.size + (counts.waiting ?? counts.wait ?? 0)).toBe(12);
      expect(h.completions.size).toBeLessThan(12);
    } finally {
      worker.kill('SIGKILL');
      await h.close();
    }
  }, 90_000);
});
