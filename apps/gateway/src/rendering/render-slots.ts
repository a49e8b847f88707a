import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { RenderTenant } from '@flowsmith/contracts';
import { REDIS_COMMANDS } from '../redis.providers';

/**
 * Renders in flight per tenant, shared by every gateway: a sorted set per tenant of slot tokens
 * scored by the time their caller stops waiting. A slot is taken before a job is queued and given
 * back when its caller has its answer; a gateway that dies holding slots loses them at their
 * deadline, since expired tokens are dropped before every count. One script, so two gateways can
 * never both take the last slot.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local held = redis.call('ZCARD', KEYS[1])
if held >= tonumber(ARGV[3]) then return {0, held} end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return {1, held}`;

type RedisWithSlots = Redis & { flowsmithRenderSlot(numKeys: number, ...args: Array<string | number>): Promise<[number, number]> };

export type SlotDecision = { ok: true; release: () => Promise<void> } | { ok: false; held: number };

@Injectable()
export class RenderSlots {
  private readonly redis: RedisWithSlots;

  constructor(@Inject(REDIS_COMMANDS) redis: Redis, @Inject('REDIS_PREFIX') private readonly prefix: string) {
    redis.defineCommand('flowsmithRenderSlot', { lua: ACQUIRE });
    this.redis = redis as RedisWithSlots;
  }

  private key(tenant: RenderTenant): string {
    return `${this.prefix}inflight:{${tenant.id}}`;
  }

  /** Takes one of the tenant's slots until `deadline` (epoch ms), or says how many are held. */
  async acquire(tenant: RenderTenant, deadline: number): Promise<SlotDecision> {
    const key = this.key(tenant);
    const token = randomBytes(8).toString('hex');
    // A slot outlives its deadline by a second, so a release that races the expiry finds it.
    const [taken, held] = await this.redis.flowsmithRenderSlot(1, key, Date.now(), deadline + 1000, tenant.maxInFlight, token);
    if (!taken) return { ok: false, held };
    return {
      ok: true,
      release: async () => {
        await this.redis.zrem(key, token).catch(() => undefined); // it expires at its deadline anyway
      },
    };
  }
}
