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

/** Whether the worker can take jobs now: 'ok', or why not (a browser that will not start). */
export type WorkerFitness = () => Promise<'ok' | string>;

/**
 * How long a worker may be unable to work before it withdraws from the registry: a browser
 * relaunch or a raster process replaced after a kill takes well under this, and a worker must not
 * vanish from the gateways' counts (which answer 503 when none is left) for that.
 */
export const UNFIT_GRACE_MS = 5_000;

/**
 * A worker's entry in the registry. It beats while the worker can take jobs, withdraws when its
 * fitness check has failed for UNFIT_GRACE_MS (so gateways stop counting it and /readyz agrees),
 * returns when the check passes again, and withdraws for good on stop(). Busy is not unfit: the
 * checks say whether the worker could render, not whether it is rendering.
 */
export class WorkerHeartbeat {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private beating: Promise<void> = Promise.resolve();
  private fitness?: WorkerFitness;
  private unfitSince?: number;
  private withdrawn = false;
  private readonly listeners: Array<(fit: boolean, reason: string) => void> = [];

  constructor(
    private readonly redis: RedisClient,
    private readonly redisPrefix: string,
    private readonly kind: WorkerKind,
    readonly workerId: string,
    private readonly intervalSeconds: number,
    /** What the worker wants operators to see in /readyz (e.g. which model provider it uses). */
    private readonly meta: Record<string, string> = {},
  ) {}

  /** True while the worker is withdrawn because it cannot work (not because it stopped). */
  get unfit(): boolean {
    return this.withdrawn;
  }

  async start(): Promise<void> {
    await this.beat(); // a worker that cannot reach Redis does not start

    this.timer = setInterval(() => void this.tick(), this.intervalSeconds * 1000);
    this.timer.unref();
  }

  /** From the next beat on, the worker beats only while `fitness` says 'ok' (within the grace). */
  watch(fitness: WorkerFitness): void {
    this.fitness = fitness;
  }

  /** Called when the worker withdraws for being unfit (false) and when it returns (true). */
  onFitnessChange(listener: (fit: boolean, reason: string) => void): void {
    this.listeners.push(listener);
  }

  /** Withdraws for good: no beat that is in flight can put the entry back afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.beating;
    // Best effort: if Redis is away the entry expires after three silent beats anyway.
    await this.redis.zrem(workerRegistryKey(this.redisPrefix, this.kind), this.workerId).catch((error: Error) => {
      Logger.warn(`could not withdraw ${this.workerId} from the worker registry (it expires on its own): ${error.message}`, 'WorkerHeartbeat');
    });
  }

  private tick(): Promise<void> {
    // One beat at a time: a slow Redis must not let beats overtake each other (or stop()).
    this.beating = this.beating.then(() => this.beat()).catch(() => undefined);
    return this.beating;
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    const state = this.fitness ? await this.fitness().catch((error: Error) => error.message || 'failed') : 'ok';
    if (this.stopped) return;
    const key = workerRegistryKey(this.redisPrefix, this.kind);
    const now = Date.now();
    if (state !== 'ok') {
      this.unfitSince ??= now;
      if (now - this.unfitSince >= UNFIT_GRACE_MS) {
        if (!this.withdrawn) {
          await this.redis.zrem(key, this.workerId);
          this.withdrawn = true;
          Logger.warn(`${this.workerId} withdraws from the worker registry: it cannot take jobs (${state})`, 'WorkerHeartbeat');
          for (const listener of this.listeners) listener(false, state);
        }
        return;
      }
    } else {
      this.unfitSince = undefined;
      if (this.withdrawn) {
        this.withdrawn = false;
        Logger.log(`${this.workerId} can take jobs again and rejoins the worker registry`, 'WorkerHeartbeat');
        for (const listener of this.listeners) listener(true, state);
      }
    }
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
