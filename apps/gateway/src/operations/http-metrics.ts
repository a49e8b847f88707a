import type { FastifyInstance } from 'fastify';
import { metrics } from '@flowsmith/observability';

/**
 * One latency observation per answered request, labelled by the route's pattern (never the
 * path, whose ids would explode the series), method and status. Unmatched paths share one label.
 */
export function addHttpMetrics(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
}
