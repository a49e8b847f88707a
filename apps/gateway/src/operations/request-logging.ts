import { AsyncResource } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { currentLogger, withLogContext } from '@flowsmith/observability';

/** Probes and scrapes would drown the request log. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
const SCOPE = Symbol('logScope');

type ScopedRequest = FastifyRequest & { [SCOPE]?: AsyncResource };

/**
 * Every line logged while a request runs carries its `request_id` (and method and path), and one
 * line says how it ended. The path never has its query: GET /v1/beautify.svg carries a source in
 * it. The context is opened in onRequest and re-entered after the body is read (body parsing
 * runs in the socket's async context, not the request's), as @fastify/request-context does.
 */
export function addRequestLogging(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request: ScopedRequest, _reply, done) => {
    const path = request.url.split('?')[0];
    withLogContext({ request_id: request.id, method: request.method, path }, () => {
      const scope = new AsyncResource('flowsmith-request');
      request[SCOPE] = scope;
      scope.runInAsyncScope(done);
    });
  });
  fastify.addHook('preValidation', (request: ScopedRequest, _reply, done) => {
    const scope = request[SCOPE];
    if (scope) scope.runInAsyncScope(done);
    else done();
  });
  fastify.addHook('onResponse', (request: ScopedRequest, reply, done) => {
    const log = () => {
      if (QUIET_PATHS.has(request.url.split('?')[0])) return;
      const status = reply.statusCode;
      const line = { status, duration_ms: Math.round(reply.elapsedTime * 10) / 10, route: request.routeOptions.url ?? null };
      if (status >= 500) currentLogger().error(line, 'request failed');
      else currentLogger().info(line, 'request completed');
    };
    const scope = request[SCOPE];
    if (scope) scope.runInAsyncScope(log);
    else log();
    done();
  });
}
