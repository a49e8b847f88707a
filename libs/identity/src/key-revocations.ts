import type { Cluster, Redis } from 'ioredis';

/**
 * How a revocation reaches every gateway instance at once. Revoking writes a marker that every
 * authenticated request checks in the same Redis round trip as its rate limit, so no instance
 * can serve a revoked key from its cache, and publishes an eviction for tidiness.
 * The marker outlives any key cache (whose TTL is at most an hour).
 */
export const REVOCATION_MARKER_TTL_SECONDS = 2 * 60 * 60;

export function revocationMarkerKey(redisPrefix: string, keyId: string): string {
  return `${redisPrefix}key:revoked:{${keyId}}`;
}

export function revocationChannel(redisPrefix: string): string {
  return `${redisPrefix}key:revoked`;
}

export async function announceRevocation(redis: Redis | Cluster, redisPrefix: string, keyId: string): Promise<void> {
  await redis.set(revocationMarkerKey(redisPrefix, keyId), '1', 'EX', REVOCATION_MARKER_TTL_SECONDS);
  await redis.publish(revocationChannel(redisPrefix), keyId);
}
