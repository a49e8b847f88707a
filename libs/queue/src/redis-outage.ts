import { errorChain, SOCKET_ERROR_CODES } from '@flowsmith/observability';

/**
 * Whether an error means Redis is out of reach or cannot take commands now (down, restarting,
 * loading its data, failing over, a cluster re-sharding), so the caller answers a retryable 503
 * (apps/gateway/src/common/error-envelope.filter.ts).
 *
 * ioredis gives a class name for most (MaxRetriesPerRequestError, ClusterAllFailedError); a closed
 * connection is a plain Error with a fixed message (ioredis/built/utils/index.js CONNECTION_CLOSED_ERROR_MSG),
 * and the server's own refusals begin with their error code (LOADING, READONLY, CLUSTERDOWN …).
 */
const IOREDIS_ERROR_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError', 'QueueUnavailableError']);
/** ioredis' messages for a connection that is gone (closed, or not writable while it reconnects). */
const CONNECTION_LOST_MESSAGES = ['Connection is closed', "Stream isn't writeable"];
const IOREDIS_MESSAGES = [...CONNECTION_LOST_MESSAGES, 'Command timed out', 'Failed to refresh slots cache', 'None of startup nodes is available', 'All sentinels are unreachable'];
const REDIS_REPLY_CODES = /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|NOREPLICAS|NOMASTERLINK)\b/;

export function isRedisOutage(error: unknown): boolean {
  for (const item of errorChain(error)) {
    if (typeof item.name === 'string' && IOREDIS_ERROR_NAMES.has(item.name)) return true;
    if (typeof item.code === 'string' && SOCKET_ERROR_CODES.has(item.code)) return true;
    if (typeof item.message === 'string') {
      const message = item.message;
      if (IOREDIS_MESSAGES.some((m) => message.startsWith(m)) || REDIS_REPLY_CODES.test(message)) return true;
    }
  }
  return false;
}

/**
 * Narrower: the connection itself is gone (closed, refused, reset). What a QueueEvents stream's
 * errors are checked against before every caller waiting on it is failed (queue-job-runner.ts):
 * a blocking read reports timeouts and cluster redirections in the normal course of things.
 */
export function isRedisConnectionLost(error: unknown): boolean {
  for (const item of errorChain(error)) {
    if (typeof item.code === 'string' && SOCKET_ERROR_CODES.has(item.code)) return true;
    if (typeof item.message === 'string' && CONNECTION_LOST_MESSAGES.some((m) => (item.message as string).startsWith(m))) return true;
  }
  return false;
}
