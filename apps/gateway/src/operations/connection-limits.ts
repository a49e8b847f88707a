import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { GatewayEnv } from '@flowsmith/config';
import { rootLogger } from '@flowsmith/observability';
import { ApiError } from '../common/api-error';
import { HttpSocket, rawErrorResponse } from '../common/framework-errors';

/**
 * Node's and Fastify's timeouts, from the env (GatewayEnv's HTTP_* variables). Fastify defaults
 * requestTimeout to 0, so before these a POST that promised 1000 bytes and sent 8 was held for as
 * long as the client liked (400+ s in the red-team run of issue 13).
 * - headersTimeout / requestTimeout: all headers, then the whole request, must arrive in time;
 *   Node then answers through the clientError handler (framework-errors.ts) and closes.
 * - connectionsCheckingInterval: how often Node checks those two; its default of 30 s would let a
 *   10 s limit run to 40 s.
 * - connectionTimeout (socket.setTimeout): a connection idle both ways is closed, unless the
 *   gateway is still working on its answer (spareConnectionsBeingAnswered).
 * - keepAliveTimeout: how long an idle kept-alive connection waits for its next request.
 */
export function httpTimeouts(env: GatewayEnv) {
  const requestTimeout = env.HTTP_REQUEST_TIMEOUT_SECONDS * 1000;
  return {
    requestTimeout,
    connectionTimeout: env.HTTP_IDLE_TIMEOUT_SECONDS * 1000,
    keepAliveTimeout: env.HTTP_KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
    http: {
      // Node refuses a headers timeout longer than the request timeout.
      headersTimeout: Math.min(env.HTTP_HEADERS_TIMEOUT_SECONDS * 1000, requestTimeout),
      connectionsCheckingInterval: Math.min(1000, requestTimeout),
    },
  };
}

/**
 * HTTP_IDLE_TIMEOUT_SECONDS is for connections on which the client does nothing: it sends no
 * request, or does not read its answer. Node applies it to every socket, also while the gateway
 * itself is still working on the answer, so a synchronous generation (up to 120 s) was reset at
 * 60 s. With a listener on the server's 'timeout', Node leaves the choice to us: a connection
 * whose answer has not begun is spared (its route's own deadline bounds it; the body's arrival is
 * bounded by HTTP_REQUEST_TIMEOUT_SECONDS); any other idle connection is closed. The timer starts
 * again with the next byte either way.
 */
export function spareConnectionsBeingAnswered(server: Server): void {
  server.on('timeout', (socket: HttpSocket) => {
    const response = socket._httpMessage;
    if (response && !response.headersSent) return;
    socket.destroy();
  });
}

/** What a refused connection is told before it is closed: 429 in the envelope, no request read. */
function refusal(limit: number): string {
  return rawErrorResponse(
    new ApiError('rate_limited', `Too many open connections from your address (at most ${limit}). Reuse connections, or close some.`, { headers: { 'Retry-After': '1' } }),
  );
}

/**
 * Caps connections per peer address and in all. Counted by the socket's remote address: behind
 * TRUST_PROXY_HOPS that is the proxy, which then needs its own per-client cap (GatewayEnv's
 * HTTP_MAX_CONNECTIONS_PER_IP says so). Over the cap the connection gets a 429 and is closed at
 * once, before Node reads a byte of its request; over the total Node drops it (server.maxConnections).
 */
export function limitConnections(server: Server, { perAddress, total }: { perAddress: number; total: number }): void {
  if (total > 0) server.maxConnections = total;
  if (perAddress <= 0) return;
  const open = new Map<string, number>();
  let refused = 0;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = (open.get(address) ?? 0) + 1;
    if (count > perAddress) {
      // One line per second of refusals at most: an attack must not turn into a log flood.
      if (refused++ === 0) setTimeout(() => {
        rootLogger().warn({ remote_address: address, refused, limit: perAddress }, 'connections refused: too many from one address');
        refused = 0;
      }, 1000).unref();
      socket.on('error', () => undefined); // a reset while we refuse it is expected
      if (socket.writable) socket.write(refusal(perAddress));
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
