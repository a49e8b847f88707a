import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { revocationMarkerKey } from '@flowsmith/identity';
import { redisUnavailable } from '../common/api-error';
import { REDIS_COMMANDS } from '../redis.providers';

export interface Bucket {
  /** Counter key without the deployment prefix, e.g. `rl:{keyId}:all`. */
  key: string;
  limit: number;
}

export type RateDecision =
  | { kind: 'revoked' }
  | { kind: 'allowed'; buckets: Array<{ limit: number; used: number; resetMs: number }> }
  | { kind: 'denied'; limit: number; used: number; resetMs: number };

/**
 * Fixed windows counted in Redis, so every gateway instance shares them. One script checks the
 * key's revocation marker, then checks every bucket before counting in any, so a denied request
 * spends nothing and an AI request spends from both of its buckets or neither.
 * Windows start at a bucket's first request and last `window` ms (the key's PTTL). A request
 * costs one unit; a render charges what its source's complexity costs beyond that
 * (libs/contracts/src/fairness.ts), and is refused when that would pass the limit.
 */
const SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return {-1} end
local window = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
for i = 2, #KEYS do
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  if used + cost > tonumber(ARGV[i + 1]) then
    local ttl = redis.call('PTTL', KEYS[i])
    if ttl < 0 then redis.call('PEXPIRE', KEYS[i], window); ttl = window end
    return {0, tonumber(ARGV[i + 1]), used, ttl}
  end
end
local result = {1}
for i = 2, #KEYS do
  local used = redis.call('INCRBY', KEYS[i], cost)
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl < 0 then redis.call('PEXPIRE', KEYS[i], window); ttl = window end
  result[#result + 1] = used
  result[#result + 1] = ttl
end
return result`;

type RedisWithLimiter = Redis & {
  flowsmithRateLimit(numKeys: number, ...args: Array<string | number>): Promise<number[]>;
};

@Injectable()
export class RateLimiter {
  private readonly redis: RedisWithLimiter;

  constructor(@Inject(REDIS_COMMANDS) redis: Redis, @Inject('REDIS_PREFIX') private readonly prefix: string) {
    redis.defineCommand('flowsmithRateLimit', { lua: SCRIPT });
    this.redis = redis as RedisWithLimiter;
  }

  async consume(buckets: Bucket[], windowMs: number, keyId?: string, cost = 1): Promise<RateDecision> {
    const marker = revocationMarkerKey(this.prefix, keyId ?? 'anonymous');
    let reply: number[];
    try {
      reply = await this.redis.flowsmithRateLimit(
        buckets.length + 1,
        marker,
        ...buckets.map((bucket) => this.prefix + bucket.key),
        windowMs,
        cost,
        ...buckets.map((bucket) => bucket.limit),
      );
    } catch {
      throw redisUnavailable();
    }
    if (reply[0] === -1) return { kind: 'revoked' };
    if (reply[0] === 0) return { kind: 'denied', limit: reply[1], used: reply[2], resetMs: reply[3] };
    return {
      kind: 'allowed',
      buckets: buckets.map((bucket, i) => ({ limit: bucket.limit, used: reply[1 + i * 2], resetMs: reply[2 + i * 2] })),
    };
  }
}
