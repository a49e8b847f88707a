import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';

export const ROOT = resolve(__dirname, '../../..');

export type WorkerApp = 'render-worker' | 'generation-worker' | 'webhook-worker';

const children = new Set<ChildProcess>();
// A spec that fails half-way must not leave workers behind: whatever is still running goes with us.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts a built worker as a real process of its own, as production runs it. */
export function spawnWorker(app: WorkerApp, env: Record<string, string> = {}): ChildProcess {
  const main = resolve(ROOT, `dist/apps/${app}/src/main.js`);
  if (!existsSync(main)) throw new Error(`${main} is missing: run 'npm run build' first (npm test does).`);
  const child = spawn(process.execPath, [main], {
    cwd: ROOT,
    // Recovery of lost generations is off: the run's one schema is shared by workers of many Redis
    // prefixes, and each would take the others' generations for lost (generation-recovery.e2e-spec.ts tests it).
    // The webhook sweeper is off for the same reason (webhook-worker's specs start their own where they test it).
    // The sample check of every language (RENDER_CHECK_SAMPLES) runs in the run's global worker
    // (global-setup.ts); the many workers the fault and scale-out specs start skip it.
    // Their raster processes start Chromium on their first picture (RENDER_RASTER_WARM=false), not
    // at once: two browsers less per worker, which on a 2-core machine running two suites at a time
    // is what starved the run (dozens of idle Chromiums). Specs that time PNGs warm them.
    env: { ...process.env, WORKER_HEARTBEAT_SECONDS: '1', GENERATION_RECOVER_AFTER_SECONDS: '0', WEBHOOK_SWEEP_AFTER_SECONDS: '0', RENDER_CHECK_SAMPLES: 'false', RENDER_RASTER_WARM: 'false', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', ...env },
    stdio: process.env.TEST_LOG_LEVEL ? 'inherit' : 'ignore',
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Resolves once `count` workers of the kind beat under the prefix. */
export async function waitForWorkers(kind: 'render' | 'generation' | 'webhook', redisPrefix: string, count = 1, timeoutMs = 90_000): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = await redis.zcount(`${redisPrefix}workers:${kind}`, Date.now() - 3000, '+inf');
      if (live >= count) return;
      if (Date.now() > deadline) throw new Error(`no ${kind} worker registered under ${redisPrefix} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    redis.disconnect();
  }
}

export function exited(child: ChildProcess): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(String(child.exitCode ?? child.signalCode));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(String(code ?? signal))));
}

/**
 * Resolves once the gateway at `gatewayUrl` answers a render of a new flowchart with 200: the
 * render workers behind it take jobs, and their first, slow render (a cold page's JIT) is done.
 * On a loaded machine that first render can outlast the 10 s budget; the next one then finishes.
 */
export async function waitForFirstRender(gatewayUrl: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (let attempt = 0; ; attempt++) {
    const source = `graph TD\n  W${attempt}_${Date.now()}[Warm] --> U[Up]`;
    const response = await fetch(`${gatewayUrl}/api/v1/beautify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source, source_format: 'mermaid' }),
    }).catch((error: Error) => ({ status: 0, text: async () => error.message }));
    if (response.status === 200) return;
    last = `${response.status} ${(await response.text()).slice(0, 200)}`;
    if (Date.now() > deadline) throw new Error(`no render through ${gatewayUrl} within ${timeoutMs} ms (last answer: ${last})`);
    // Anonymous renders have a bucket of their own (20 a minute): a slow start must not spend it.
    const retryAfter = 'headers' in response ? Number(response.headers.get('retry-after')) : 0;
    await new Promise((r) => setTimeout(r, retryAfter > 0 ? Math.min(retryAfter * 1000, Math.max(0, deadline - Date.now())) : 1000));
  }
}
