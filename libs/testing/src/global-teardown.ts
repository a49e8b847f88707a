import { Redis } from 'ioredis';
import pg from 'pg';
import { BASE_DATABASE_URL } from './test-run';

/** Drops the run's schema and deletes its Redis keys, unless KEEP_TEST_DATA is set. */
export default async function globalTeardown(): Promise<void> {
  const pid = Number(process.env.TEST_RENDER_WORKER_PID);
  if (pid) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
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
