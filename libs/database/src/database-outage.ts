/**
 * Whether an error means the database is out of reach (down, restarting, failing over, out of
 * connections) rather than that the query was wrong. Callers answer the first with a retryable
 * 503 and the second as a bug (apps/gateway/src/common/error-envelope.filter.ts).
 *
 * Decided by the structure the stack gives, not by message text where a structure exists:
 * Prisma's error codes, the driver adapter's error kinds (node_modules/@prisma/adapter-pg maps pg's
 * errors to them), Postgres SQLSTATEs, and Node's socket error codes. Only node-postgres' own
 * connection errors carry no code and are known by their fixed messages. The catalogue was taken
 * by stopping and starting a Postgres under queries (fast, immediate, smart); see
 * libs/database/src/database-outage.spec.ts.
 */
import { errorChain, SOCKET_ERROR_CODES } from '@flowsmith/observability';

/** Prisma's codes for "could not talk to the database": unreachable, timed out, closed, pool exhausted, too many connections. */
const OUTAGE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1011', 'P1017', 'P2024', 'P2037']);

/** Driver adapter kinds (adapter-pg's convertDriverError) that mean the connection, not the query, failed. */
const OUTAGE_ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TlsConnectionError']);

/** node-postgres' connection errors, which have no code (pg/lib/client.js, pg-pool/index.js). */
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'timeout exceeded when trying to connect',
  'Client was closed and is not queryable',
];

/**
 * SQLSTATEs of a server that cannot serve now: class 08 (connection exception), 53300 (too many
 * connections), 57P01–57P03 (admin shutdown, crash shutdown, cannot connect now: starting up,
 * shutting down, not yet accepting connections, in recovery).
 */
export function isOutageSqlState(code: unknown): boolean {
  return typeof code === 'string' && (/^08[0-9A-Z]{3}$/.test(code) || code === '53300' || /^57P0[1-3]$/.test(code));
}

export function isDatabaseOutage(error: unknown): boolean {
  for (const item of errorChain(error)) {
    if (item.name === 'PrismaClientInitializationError') return true;
    if (typeof item.code === 'string') {
      if (OUTAGE_PRISMA_CODES.has(item.code) || SOCKET_ERROR_CODES.has(item.code) || isOutageSqlState(item.code)) return true;
    }
    if (typeof item.kind === 'string') {
      if (OUTAGE_ADAPTER_KINDS.has(item.kind)) return true;
      if (item.kind === 'postgres' && isOutageSqlState((item as { originalCode?: unknown }).originalCode)) return true;
    }
    if (typeof item.message === 'string' && PG_CONNECTION_MESSAGES.some((m) => (item.message as string).startsWith(m))) return true;
  }
  return false;
}
