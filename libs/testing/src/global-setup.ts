import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import pg from 'pg';
import { BASE_DATABASE_URL, newTestRun } from './test-run';
import { spawnWorker, waitForWorkers } from './worker-process';

/** Creates the run's schema, migrates it with the real migrations, and hands both names down. */
export default async function globalSetup(): Promise<void> {
  const run = newTestRun();
  const base = new URL(BASE_DATABASE_URL);
  const database = base.pathname.slice(1);
  const admin = new pg.Client({ connectionString: new URL('/postgres', base).toString() });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (!exists.rowCount) await admin.query(`CREATE DATABASE "${database}"`).catch(() => undefined);
  await admin.end();

  const url = new URL(BASE_DATABASE_URL);
  url.searchParams.set('schema', run.schema);
  const root = resolve(__dirname, '../../..');
  execFileSync(resolve(root, 'node_modules/.bin/prisma'), ['migrate', 'deploy'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url.toString() },
    stdio: 'pipe',
  });
  process.env.DATABASE_URL = url.toString();
  process.env.REDIS_PREFIX = run.redisPrefix;
  process.env.REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  process.env.TEST_SCHEMA = run.schema;
  process.env.NODE_ENV = 'test';
  process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';

  // One render worker (real Chromium) serves every gateway the specs start under the run's prefix.
  const worker = spawnWorker('render-worker', { RENDER_PAGES: '2', RENDER_CHECK_SAMPLES: 'true', RENDER_RASTER_WARM: 'true' });
  worker.unref();
  process.env.TEST_RENDER_WORKER_PID = String(worker.pid);
  // Its start renders every language's sample first: on a machine busy with other runs that takes
  // more than the 90 s a spec's own worker is given.
  await waitForWorkers('render', run.redisPrefix, 1, 240_000);
}
