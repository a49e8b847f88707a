import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { isScope, PlanName, Scope } from '@flowsmith/contracts';
import { ApiKeysRepository } from '@flowsmith/database';
import { API_KEY_PATTERN, hashSecret, revocationChannel, sameHash } from '@flowsmith/identity';
import { ApiError } from '../common/api-error';
import { GatewayConfig } from '../common/gateway-config';
import { REDIS_SUBSCRIBER } from '../redis.providers';

interface CachedKey {
  id: string;
  name: string;
  hash: string;
  userId: string;
  organizationId: string | null;
  ownerId: string;
  plan: PlanName;
  scopes: ReadonlySet<Scope>;
  expiresAt: number | null;
  revoked: boolean;
  lastUsedWrite: number;
}

/** Unknown hashes are remembered briefly too, so a flood of bad keys does not reach Postgres. */
const UNKNOWN = Symbol('unknown');
const LAST_USED_WRITE_INTERVAL_MS = 60_000;

/**
 * Turns a bearer token into the key it names. Keys are cached in memory for KEY_CACHE_TTL_SECONDS;
 * a revoked key cannot outlive its revocation here because the rate limiter checks Redis's
 * revocation marker on every request (see AccessGuard), and revocations also evict at once.
 */
@Injectable()
export class ApiKeyAuthenticator implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ApiKeyAuthenticator.name);
  private readonly cache: LRUCache<string, CachedKey | typeof UNKNOWN>;

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly config: GatewayConfig,
    @Inject(REDIS_SUBSCRIBER) private readonly subscriber: Redis,
  ) {
    const ttl = Math.max(1, config.env.KEY_CACHE_TTL_SECONDS) * 1000;
    this.cache = new LRUCache({ max: 50_000, ttl, ttlAutopurge: false });
  }

  async onModuleInit(): Promise<void> {
    const channel = revocationChannel(this.config.env.REDIS_PREFIX);
    this.subscriber.on('message', (from: string, keyId: string) => {
      if (from === channel) this.evict(keyId);
    });
    await this.subscriber.subscribe(channel).catch((error: Error) => this.logger.warn(`revocation feed unavailable: ${error.message}`));
  }

  onModuleDestroy(): void {
    this.subscriber.disconnect();
  }

  evict(keyId: string): void {
    for (const [hash, entry] of this.cache.entries()) if (entry !== UNKNOWN && entry.id === keyId) this.cache.delete(hash);
  }

  async authenticate(authorization: string): Promise<CachedKey> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw new ApiError('invalid_api_key', "The Authorization header must be 'Bearer <api key>'.");
    const token = match[1];
    if (!API_KEY_PATTERN.test(token)) throw new ApiError('invalid_api_key', 'Invalid API key provided.');
    const hash = hashSecret(token);
    const entry = await this.lookup(hash, () => this.keys.findByHash(hash));
    if (entry === UNKNOWN || !sameHash(entry.hash, hash)) throw new ApiError('invalid_api_key', 'Invalid API key provided.');
    return this.usable(entry);
  }

  /**
   * The key a browser session stands for (sessions/sessions.service.ts), by id, with the same
   * revocation and expiry checks. Cached beside the hashes (under `id:`), so evict() drops both.
   */
  async authenticateId(id: string): Promise<CachedKey> {
    const entry = await this.lookup(`id:${id}`, () => this.keys.findById(id));
    if (entry === UNKNOWN) throw new ApiError('invalid_api_key', 'The API key of this session no longer exists.');
    return this.usable(entry);
  }

  private async lookup(slot: string, find: () => ReturnType<ApiKeysRepository['findByHash']>): Promise<CachedKey | typeof UNKNOWN> {
    let entry = this.cache.get(slot);
    if (entry === undefined) {
      const row = await find();
      entry = row ? this.toEntry(row) : UNKNOWN;
      this.cache.set(slot, entry, entry === UNKNOWN ? { ttl: 10_000 } : undefined);
    }
    return entry;
  }

  private usable(entry: CachedKey): CachedKey {
    if (entry.revoked) throw new ApiError('invalid_api_key', 'This API key has been revoked.');
    if (entry.expiresAt !== null && entry.expiresAt <= Date.now()) throw new ApiError('invalid_api_key', 'This API key has expired.');
    this.touch(entry);
    return entry;
  }

  private toEntry(row: NonNullable<Awaited<ReturnType<ApiKeysRepository['findByHash']>>>): CachedKey {
    return {
      id: row.id,
      name: row.name,
      hash: row.hash,
      userId: row.userId,
      organizationId: row.organizationId,
      ownerId: row.ownerId,
      plan: (row.organization?.plan ?? row.user.plan) as PlanName,
      scopes: new Set(row.scopes.filter(isScope)),
      expiresAt: row.expiresAt?.getTime() ?? null,
      revoked: row.revokedAt !== null,
      lastUsedWrite: 0,
    };
  }

  /** last_used_at is written at most once a minute per key and instance, off the request path. */
  private touch(entry: CachedKey): void {
    const now = Date.now();
    if (now - entry.lastUsedWrite < LAST_USED_WRITE_INTERVAL_MS) return;
    entry.lastUsedWrite = now;
    this.keys.touchLastUsed(entry.id, new Date(now)).catch((error: Error) => this.logger.warn(`last_used_at not written: ${error.message}`));
  }
}
