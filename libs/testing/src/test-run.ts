import { randomBytes } from 'node:crypto';

/**
 * The identity of one test run: its Postgres schema and Redis prefix. Global setup creates them
 * and exports them through the environment, which every Jest worker inherits.
 */
export function newTestRun() {
  const id = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  return { schema: `test_${id}`, redisPrefix: `test:${id}:` };
}

export const BASE_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/flowsmith_test';
