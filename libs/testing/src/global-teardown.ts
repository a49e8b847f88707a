import { Redis } from 'ioredis';
import pg from 'pg';
import { BASE_DATABASE_URL } from './test-run';

/** Drops the run's schema and deletes its Redis keys, unless KEEP_TEST_DATA is set. */
export default async function globalTeardown(): Promise<void> {
  const pid = Number(process.env.TEST_RENDER_WORKER_PID);
  if (pid) {
    // SIGTERM lets it close Chromium; a worker that has not exited within 8 s is killed.
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    if (alive()) process.kill(pid, 'SIGTERM');
    for (let waited = 0; alive() && waited < 8000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    if (alive()) process.kill(pid, 'SIGKILL');
  }
  if (process.env.KEEP_TEST_DATA) return;
  const schema = process.env.TEST_SCHEMA;
  const prefix = process.env.REDIS_PREFIX;
  if (schema?.startsWith('test_')) {
    const client = new pg.Client({ connectionString: BASE_DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
  if (prefix?.startsWith('test:')) {
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  }
}
