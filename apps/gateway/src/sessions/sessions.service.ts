import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { revocationMarkerKey, sameSecret } from '@flowsmith/identity';
import { ApiError, redisUnavailable } from '../common/api-error';
import { GatewayConfig } from '../common/gateway-config';
import { REDIS_COMMANDS } from '../redis.providers';

/** The cookie a browser holds instead of the key (/work/briefs/session.md is the contract). */
export const SESSION_COOKIE = 'flowsmith_session';
export const CSRF_HEADER = 'x-csrf-token';

/** What Redis holds for a session: the key it stands for, never the key's secret. */
export interface BrowserSession {
  keyId: string;
  keyName: string;
  csrfToken: string;
  expiresAt: string;
}

/** An opened session, with the cookie's value (held by the browser alone: Redis has its SHA-256). */
export interface OpenedSession extends BrowserSession {
  token: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The session whose cookie authenticated this request (AccessGuard), when one did. */
    browserSession?: BrowserSession & { token: string };
  }
}

const randomToken = () => randomBytes(32).toString('base64url');

/**
 * Browser sessions in Redis, under the deployment's prefix: `session:<sha256 of the cookie>` →
 * the key id, its name, the CSRF token, expiring after SESSION_TTL_SECONDS. A stolen dump of
 * Redis holds no cookie that works.
 */
@Injectable()
export class SessionsService {
  readonly ttlSeconds: number;

  constructor(
    @Inject(REDIS_COMMANDS) private readonly redis: Redis,
    @Inject('REDIS_PREFIX') private readonly prefix: string,
    config: GatewayConfig,
  ) {
    this.ttlSeconds = config.env.SESSION_TTL_SECONDS;
  }

  /** A session for a key just authenticated; the revocation marker is checked as on every keyed request (auth/rate-limiter.ts). */
  async open(key: { id: string; name: string }): Promise<OpenedSession> {
    if (await this.call(() => this.redis.exists(revocationMarkerKey(this.prefix, key.id)))) throw new ApiError('invalid_api_key', 'This API key has been revoked.');
    const token = randomToken();
    const session: BrowserSession = {
      keyId: key.id,
      keyName: key.name,
      csrfToken: randomToken(),
      expiresAt: new Date(Date.now() + this.ttlSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    await this.call(() => this.redis.set(this.redisKey(token), JSON.stringify(session), 'EX', this.ttlSeconds));
    return { ...session, token };
  }

  /** The live session a cookie names, or null (unknown, expired or signed out). */
  async find(token: string | undefined): Promise<BrowserSession | null> {
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const stored = await this.call(() => this.redis.get(this.redisKey(token)));
    return stored ? (JSON.parse(stored) as BrowserSession) : null;
  }

  async end(token: string): Promise<void> {
    await this.call(() => this.redis.del(this.redisKey(token)));
  }

  /** Whether a request carries the session's CSRF token, compared in constant time. */
  static csrfMatches(session: BrowserSession, sent: string | string[] | undefined): boolean {
    return typeof sent === 'string' && sameSecret(sent, session.csrfToken);
  }

  private redisKey(token: string): string {
    return `${this.prefix}session:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch {
      throw redisUnavailable();
    }
  }
}
