/**
 * Walking what an error wraps, and the socket failures every client library passes through; the
 * outage classifiers build on these (libs/database/src/database-outage.ts, libs/queue/src/redis-outage.ts).
 */

/** Node's socket and DNS error codes seen while a server or its address is going away. */
export const SOCKET_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

export interface ErrorLike {
  name?: unknown;
  code?: unknown;
  errno?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: unknown };
  kind?: unknown;
}

/** The error, what it wraps (cause, a driver adapter error in meta) and so on, at most a few levels deep. */
export function* errorChain(error: unknown): Generator<ErrorLike> {
  const queue: unknown[] = [error];
  for (let seen = 0; queue.length && seen < 8; seen++) {
    const next = queue.shift();
    if (!next || typeof next !== 'object') continue;
    const item = next as ErrorLike;
    yield item;
    queue.push(item.cause, item.meta?.driverAdapterError);
    if (next instanceof AggregateError) queue.push(...next.errors);
  }
}

