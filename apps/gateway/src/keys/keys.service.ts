import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { ApiKey, ApiKeysRepository } from '@flowsmith/database';
import { announceRevocation, mintSecret } from '@flowsmith/identity';
import type { KeyActor } from '../auth/actor';
import { ApiKeyAuthenticator } from '../auth/api-key-authenticator';
import { ApiError, notFound } from '../common/api-error';
import { GatewayConfig } from '../common/gateway-config';
import { ListQueryDto, listResponse, pageQuery, timestamp } from '../common/pagination';
import { REDIS_COMMANDS } from '../redis.providers';
import { CreateKeyDto } from './key.dto';

export function presentKey(key: ApiKey) {
  return {
    object: 'api_key' as const,
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    organization_id: key.organizationId,
    created_by: key.userId,
    created_at: timestamp(key.createdAt),
    expires_at: timestamp(key.expiresAt),
    last_used_at: timestamp(key.lastUsedAt),
    revoked_at: timestamp(key.revokedAt),
  };
}

@Injectable()
export class KeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly config: GatewayConfig,
    private readonly authenticator: ApiKeyAuthenticator,
    @Inject(REDIS_COMMANDS) private readonly redis: Redis,
  ) {}

  /** A key can mint keys for its own owner, with no scope it does not hold itself. */
  async create(actor: KeyActor, body: CreateKeyDto) {
    const foreign = body.scopes.filter((scope) => !actor.scopes.has(scope));
    if (foreign.length) {
      throw new ApiError('invalid_parameter', `A key cannot grant scopes it does not hold: ${foreign.join(', ')}.`, { param: 'scopes' });
    }
    let expiresAt: Date | null = null;
    if (body.expires_at) {
      expiresAt = new Date(body.expires_at);
      if (expiresAt.getTime() <= Date.now()) throw new ApiError('invalid_parameter', 'expires_at must be in the future.', { param: 'expires_at' });
    }
    const minted = mintSecret(this.config.env.API_KEY_PREFIX);
    const key = await this.keys.create({
      name: body.name,
      hash: minted.hash,
      prefix: minted.prefix,
      scopes: [...new Set(body.scopes)],
      userId: actor.userId,
      organizationId: actor.organizationId,
      expiresAt,
    });
    return { ...presentKey(key), secret: minted.secret };
  }

  async list(actor: KeyActor, query: ListQueryDto) {
    const page = pageQuery('keys', query);
    const rows = await this.keys.list(actor.ownerId, page);
    return listResponse('keys', rows, page.limit, presentKey);
  }

  /** Revokes at once on every gateway instance: see ApiKeyAuthenticator. */
  async revoke(actor: KeyActor, id: string) {
    const key = await this.keys.revoke(id, actor.ownerId);
    if (!key) throw notFound('API key');
    await announceRevocation(this.redis, this.config.env.REDIS_PREFIX, key.id);
    this.authenticator.evict(key.id);
    return presentKey(key);
  }
}
