import type { ConnectionOptions } from 'bullmq';
import { Redis, RedisOptions } from 'ioredis';

export type RedisRole = 'command' | 'queue';

/**
 * One place that knows how each kind of process talks to Redis.
 * - `queue`: BullMQ workers and queues need `maxRetriesPerRequest: null` and wait out outages.
 * - `command`: request paths (rate limits, caches) fail fast, so the gateway can answer 503
 *   instead of hanging while Redis is away.
 */
export function createRedis(url: string, role: RedisRole, overrides: RedisOptions = {}): Redis {
  const base: RedisOptions =
    role === 'queue'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true, connectTimeout: 2000 };
  return new Redis(url, { lazyConnect: false, retryStrategy: (times) => Math.min(times * 200, 2000), ...base, ...overrides });
}

/** The BullMQ key prefix of a deployment: every queue key starts with it. */
export function bullPrefix(redisPrefix: string): string {
  return `${redisPrefix}bull`;
}

/**
 * BullMQ connection options for a URL. Given options (not a client), BullMQ creates its own
 * connections and closes them with the queue or worker; a shared client would be left open.
 */
export function bullConnection(url: string): ConnectionOptions {
  return { url, maxRetriesPerRequest: null, retryStrategy: (times: number) => Math.min(times * 200, 2000) };
}
