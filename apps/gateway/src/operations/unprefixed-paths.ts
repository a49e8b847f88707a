/** The prefix every API route is mounted under (`/api/v1/...`). */
export const API_PREFIX = 'api';

/** The operations routes, served outside /api: probes and the metrics scrape. */
export const OPERATIONS_PATHS: readonly string[] = ['/healthz', '/readyz', '/metrics'];

/**
 * Every path mounted outside API_PREFIX: the operations routes, the playground at `/`, the
 * console at `/console` and the MCP endpoint at `/mcp` (mcp/mcp.controller.ts). The one list the
 * global prefix (gateway.ts), the route catalogue, the OpenAPI document and the request log read.
 */
export const UNPREFIXED_PATHS: readonly string[] = [...OPERATIONS_PATHS, '/', '/console', '/mcp'];

/**
 * Trees mounted outside API_PREFIX, every path under them included: the Kroki- and
 * mermaid.ink-compatible routes (compat/compat.controller.ts), at the paths those servers' clients use.
 */
export const UNPREFIXED_ROOTS: readonly string[] = ['/kroki', '/ink'];

/** Whether a path lies in one of UNPREFIXED_ROOTS. */
export function isUnderUnprefixedRoot(path: string): boolean {
  return UNPREFIXED_ROOTS.some((root) => path === root || path.startsWith(`${root}/`));
}

/** Whether a route's path is mounted as it is, not under API_PREFIX. */
export function isUnprefixed(path: string): boolean {
  return UNPREFIXED_PATHS.includes(path) || isUnderUnprefixedRoot(path);
}
