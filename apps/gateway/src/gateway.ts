import type { Server } from 'node:http';
import type { FastifyHttpOptions } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestFactory } from '@nestjs/core';
import type { GatewayEnv } from '@flowsmith/config';
import { nestLogger, rootLogger } from '@flowsmith/observability';
import { MAX_BODY_BYTES } from '@flowsmith/contracts';
import { GatewayModule } from './gateway.module';
import { FRAMEWORK_ERROR_OPTIONS } from './common/framework-errors';
import { addJsonBodyParser, JsonBodyOptions, MAX_BODY_DEPTH, MAX_BODY_KEYS } from './common/json-body';
import { newRequestId } from './common/request-id';
import { malformedQueryError } from './common/well-formed-text';
import { httpTimeouts, limitConnections, spareConnectionsBeingAnswered } from './operations/connection-limits';
import { ApiDocument } from './openapi/docs.controller';
import { addHttpMetrics } from './operations/http-metrics';
import { addRequestLogging } from './operations/request-logging';
import { mountQueueDashboard } from './operations/queue-dashboard';
import { addSecurityHeaders } from './operations/security-headers';
import { API_PREFIX, isUnderUnprefixedRoot, UNPREFIXED_PATHS, UNPREFIXED_ROOTS } from './operations/unprefixed-paths';

export { newRequestId } from './common/request-id';

/**
 * Nest registers its own `application/json` and `application/x-www-form-urlencoded` parsers when
 * the application initialises. The gateway replaces them with one JSON parser with depth and key
 * limits (common/json-body.ts); the API speaks JSON only, so a form body is 415 like any other.
 */
class GatewayFastifyAdapter extends FastifyAdapter {
  private jsonParserAdded = false;

  constructor(
    options: FastifyHttpOptions<Server>,
    private readonly jsonBody: JsonBodyOptions,
  ) {
    super(options);
  }

  override registerParserMiddleware(prefix?: string, rawBody?: boolean): void {
    super.registerParserMiddleware(prefix, rawBody);
    if (this.jsonParserAdded) return;
    this.jsonParserAdded = true;
    const fastify = this.getInstance();
    fastify.removeContentTypeParser(['application/json', 'application/x-www-form-urlencoded']);
    addJsonBodyParser(fastify, this.jsonBody);
    // The Kroki and mermaid.ink routes take a diagram as plain text too (docs/compat.md), and as
    // curl's --data-raw sends it (form-urlencoded, read as the text it is); elsewhere those are 415.
    fastify.addContentTypeParser(['text/plain', 'application/x-www-form-urlencoded'], { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (request, body, done) => {
      if (isUnderUnprefixedRoot(request.url.split('?')[0])) return done(null, body);
      done(Object.assign(new Error(`Unsupported Media Type: ${request.headers['content-type'] ?? ''}`), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }), undefined);
    });
  }
}

/**
 * Fastify underneath (for throughput), a request id on every response (and on every log line of
 * the request), security headers, latency metrics, JSON-only bodies of at most 1 MB, 32 levels
 * and 1,000 keys, the client's address taken through TRUST_PROXY_HOPS proxies and no more, and
 * the HTTP_* limits of GatewayEnv: header, request, idle and keep-alive timeouts, and caps on
 * connections per peer address and in all (operations/connection-limits.ts).
 * Failures before Nest sees a request (bad JSON, big bodies) still reach the envelope filter
 * through Nest's Fastify error handler.
 */
export function createGatewayAdapter(env: GatewayEnv): FastifyAdapter {
  const adapter = new GatewayFastifyAdapter({
    bodyLimit: MAX_BODY_BYTES,
    ...httpTimeouts(env),
    trustProxy: env.TRUST_PROXY_HOPS > 0 ? env.TRUST_PROXY_HOPS : false,
    genReqId: newRequestId,
    requestIdHeader: false,
    logger: false,
    return503OnClosing: true,
    // What Fastify answers itself (a malformed path, an over-long parameter, oversized headers) is the envelope too.
    ...FRAMEWORK_ERROR_OPTIONS,
  }, { bodyLimit: MAX_BODY_BYTES, maxDepth: MAX_BODY_DEPTH, maxKeys: MAX_BODY_KEYS });
  // The gateway's logger, at its level, before any request can log through it.
  rootLogger('gateway', env.LOG_LEVEL);
  const fastify = adapter.getInstance();
  limitConnections(fastify.server, { perAddress: env.HTTP_MAX_CONNECTIONS_PER_IP, total: env.HTTP_MAX_CONNECTIONS });
  spareConnectionsBeingAnswered(fastify.server);
  // The API speaks JSON only: any other body is 415 unsupported_media_type, not a string to validate
  // (but for the Kroki and mermaid.ink routes: GatewayFastifyAdapter.registerParserMiddleware).
  fastify.removeContentTypeParser('text/plain');
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    // Before the body is read: the query's text is checked like the path's (common/well-formed-text.ts).
    done(malformedQueryError(request.url) ?? undefined);
  });
  // request.cookies and reply.setCookie, for the browser session's cookie (sessions/sessions.controller.ts).
  void fastify.register(fastifyCookie);
  addRequestLogging(fastify);
  addSecurityHeaders(fastify);
  addHttpMetrics(fastify);
  return adapter;
}

/**
 * Everything but /healthz, /readyz and /metrics lives under /api (docs/api.md). The OpenAPI document
 * (GET /api/openapi.json, UI at /api/docs) is built from the application on first request.
 */
export function configureGateway(app: NestFastifyApplication): NestFastifyApplication {
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [...UNPREFIXED_PATHS.map((path) => (path === '/' ? path : path.slice(1))), ...UNPREFIXED_ROOTS.flatMap((root) => [root.slice(1), `${root.slice(1)}/{*path}`])],
  });
  app.get(ApiDocument).attach(app);
  // Exit 0 once every hook has run (in-flight requests drained, queues and pools closed), and let pino flush.
  app.enableShutdownHooks(undefined, { useProcessExit: true });
  return app;
}

export async function createGateway(env: GatewayEnv): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(env), createGatewayAdapter(env), { bufferLogs: true });
  app.useLogger(nestLogger('gateway', env.LOG_LEVEL));
  configureGateway(app);
  await mountQueueDashboard(app, env);
  await app.init();
  return app;
}
