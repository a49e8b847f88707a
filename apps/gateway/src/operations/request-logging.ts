import type { FastifyInstance } from 'fastify';
import { rootLogger } from '@flowsmith/observability';
import { OPERATIONS_PATHS } from './unprefixed-paths';

/** Probes and scrapes would drown the request log. */
const QUIET_PATHS = new Set(OPERATIONS_PATHS);

/**
 * One line per answered request with its `request_id` (the X-Request-Id header), method, path,
 * route, status and duration. The path never has its query: GET /v1/beautify.svg carries a source
 * in it. The id is written on the line, not kept in async local storage (see libs/observability).
 */
export function addRequestLogging(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const path = request.url.split('?')[0];
    if (!QUIET_PATHS.has(path)) {
      const status = reply.statusCode;
      const line = { request_id: request.id, method: request.method, path, route: request.routeOptions.url ?? null, status, duration_ms: Math.round(reply.elapsedTime * 10) / 10 };
      if (status >= 500) rootLogger().error(line, 'request failed');
      else rootLogger().info(line, 'request completed');
    }
    done();
  });
}
