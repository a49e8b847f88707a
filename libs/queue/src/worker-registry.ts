import { Logger } from '@nestjs/common';
import type { RedisClient } from './redis';
import type { WorkerKind } from '@flowsmith/contracts';

/**
 * Workers announce themselves in a sorted set per kind, scored by their last heartbeat, so any
 * gateway can tell how many of each kind are alive without asking them.
 */
export function workerRegistryKey(redisPrefix: string, kind: WorkerKind): string {
  return `${redisPrefix}workers:${kind}`;
}

export class WorkerHeartbeat {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisClient,
    private readonly redisPrefix: string,
    private readonly kind: WorkerKind,
    readonly workerId: string,
    private readonly intervalSeconds: number,
    /** What the worker wants operators to see in /readyz (e.g. which model provider it uses). */
    private readonly meta: Record<string, string> = {},
  ) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch(() => undefined), this.intervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    // Best effort: if Redis is away the entry expires after three silent beats anyway.
    await this.redis.zrem(workerRegistryKey(this.redisPrefix, this.kind), this.workerId).catch((error: Error) => {
      Logger.warn(`could not withdraw ${this.workerId} from the worker registry (it expires on its own): ${error.message}`, 'WorkerHeartbeat');
    });
  }

  private async beat(): Promise<void> {
    const key = workerRegistryKey(this.redisPrefix, this.kind);
    const now = Date.now();
    const beat = this.redis.multi().zadd(key, now, this.workerId).zremrangebyscore(key, 0, now - 3 * this.intervalSeconds * 1000);
    if (Object.keys(this.meta).length) beat.set(`${key}:info`, JSON.stringify(this.meta), 'EX', 3 * this.intervalSeconds);
    await beat.exec();
  }
}

/** How many workers of a kind beat within the last three intervals. */
export async function liveWorkers(redis: RedisClient, redisPrefix: string, kind: WorkerKind, intervalSeconds: number): Promise<number> {
  return redis.zcount(workerRegistryKey(redisPrefix, kind), Date.now() - 3 * intervalSeconds * 1000, '+inf');
}

/** The meta the workers of a kind last announced, or null. */
export async function workerInfo(redis: RedisClient, redisPrefix: string, kind: WorkerKind): Promise<Record<string, string> | null> {
  const raw = await redis.get(`${workerRegistryKey(redisPrefix, kind)}:info`);
  return raw ? (JSON.parse(raw) as Record<string, string>) : null;
}
