/** The prefix every API route is mounted under (`/api/v1/...`). */
export const API_PREFIX = 'api';

/** The operations routes, served outside /api: probes and the metrics scrape. */
export const OPERATIONS_PATHS: readonly string[] = ['/healthz', '/readyz', '/metrics'];

/**
 * Every path mounted outside API_PREFIX: the operations routes and the playground at `/`. The one
 * list the global prefix (gateway.ts), the route catalogue, the OpenAPI document and the request
 * log read.
 */
export const UNPREFIXED_PATHS: readonly string[] = [...OPERATIONS_PATHS, '/'];
