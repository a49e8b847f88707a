import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { periodResetsAt, usagePeriod, UsageRepository } from '@flowsmith/database';
import type { Actor } from '../auth/actor';
import { ApiError } from '../common/api-error';
import { GatewayConfig } from '../common/gateway-config';
import { timestamp } from '../common/pagination';
import { REDIS_COMMANDS } from '../redis.providers';

export interface ExportAllowance {
  plan: string;
  used: number;
  /** null: unlimited. */
  limit: number | null;
  resetsAt: string | null;
}

const TRIAL_SECONDS = 24 * 3600;

/**
 * Exports spend from the owner's monthly bucket, atomically in Postgres so concurrent requests can
 * never pass the limit; anonymous callers get a trial of one per IP per 24 h, counted in Redis.
 * An export is spent only once its file exists: the route checks the bucket first (`check`, so a
 * spent bucket costs no render), renders, then spends (`spend`, which may still find the last unit
 * taken by a concurrent export). A render that fails therefore never holds a unit, and a burst of
 * failing exports cannot make anyone else see quota_exhausted while units remain.
 */
@Injectable()
export class ExportQuota {
  constructor(
    private readonly usage: UsageRepository,
    private readonly config: GatewayConfig,
    @Inject(REDIS_COMMANDS) private readonly redis: Redis,
  ) {}

  private trialKey(ip: string): string {
    return `${this.config.env.REDIS_PREFIX}trial:export:{${ip}}`;
  }

  /** Refuses at once when the bucket has nothing left; spends nothing. */
  async check(actor: Actor): Promise<void> {
    if (actor.kind === 'anonymous') {
      const ttl = await this.redis.pttl(this.trialKey(actor.ip));
      if (ttl > 0) throw this.trialSpent(Math.ceil(ttl / 1000));
      return;
    }
    const limit = this.config.plans[actor.plan].exports_per_month;
    if (limit === null) return;
    const counters = await this.usage.counters(actor.ownerId, usagePeriod());
    if (counters.exportsUsed >= limit) throw this.monthSpent(actor.plan, limit);
  }

  /** Spends one export, or throws quota_exhausted when the last one has gone meanwhile. */
  async spend(actor: Actor): Promise<ExportAllowance> {
    if (actor.kind === 'anonymous') {
      const key = this.trialKey(actor.ip);
      const claimed = await this.redis.set(key, '1', 'EX', TRIAL_SECONDS, 'NX');
      const ttl = await this.redis.ttl(key);
      if (!claimed) throw this.trialSpent(ttl);
      return { plan: 'anonymous', used: 1, limit: 1, resetsAt: timestamp(new Date(Date.now() + Math.max(ttl, 0) * 1000)) };
    }
    const limit = this.config.plans[actor.plan].exports_per_month;
    const used = await this.usage.spendExport(actor.ownerId, usagePeriod(), limit);
    if (used === null) throw this.monthSpent(actor.plan, limit!);
    return { plan: actor.plan, used, limit, resetsAt: timestamp(periodResetsAt()) };
  }

  private trialSpent(ttlSeconds: number): ApiError {
    const resetsAt = timestamp(new Date(Date.now() + Math.max(ttlSeconds, 0) * 1000));
    return new ApiError('quota_exhausted', `Anonymous callers may export once per 24 hours; the next export is possible at ${resetsAt}. Sign up for an API key to export more.`, {
      anonymousHint: true,
      headers: { 'Retry-After': String(Math.max(ttlSeconds, 1)) },
    });
  }

  private monthSpent(plan: string, limit: number): ApiError {
    const resetsAt = timestamp(periodResetsAt());
    return new ApiError('quota_exhausted', `This ${plan} plan's ${limit} exports for the month are spent; the bucket resets at ${resetsAt}.`, {
      headers: { 'Retry-After': String(Math.max(1, Math.ceil((periodResetsAt().getTime() - Date.now()) / 1000))) },
    });
  }

  /** The bucket as beautify reports it (`usage`): nothing is spent. */
  async peek(actor: Actor): Promise<{ used: number; limit: number | null; resets_at: string | null }> {
    if (actor.kind === 'anonymous') {
      const ttl = await this.redis.ttl(this.trialKey(actor.ip));
      return ttl > 0 ? { used: 1, limit: 1, resets_at: timestamp(new Date(Date.now() + ttl * 1000)) } : { used: 0, limit: 1, resets_at: null };
    }
    const counters = await this.usage.counters(actor.ownerId, usagePeriod());
    return { used: counters.exportsUsed, limit: this.config.plans[actor.plan].exports_per_month, resets_at: timestamp(periodResetsAt()) };
  }
}
