import { randomBytes } from 'node:crypto';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestFactory } from '@nestjs/core';
import type { GatewayEnv } from '@flowsmith/config';
import { nestLogger, rootLogger } from '@flowsmith/observability';
import { MAX_BODY_BYTES } from '@flowsmith/contracts';
import { GatewayModule } from './gateway.module';
import { FRAMEWORK_ERROR_OPTIONS } from './common/framework-errors';
import { ApiDocument } from './openapi/docs.controller';
import { addHttpMetrics } from './operations/http-metrics';
import { addRequestLogging } from './operations/request-logging';
import { mountQueueDashboard } from './operations/queue-dashboard';
import { addSecurityHeaders } from './operations/security-headers';

// Request ids come from a pool of random bytes drawn 4 KB at a time: one randomBytes call per
// request was ~5% of the gateway's CPU on a cached image.
let idPool = Buffer.alloc(0);
let idOffset = 0;

export function newRequestId(): string {
  if (idOffset + 8 > idPool.length) {
    idPool = randomBytes(4096);
    idOffset = 0;
  }
  const id = idPool.toString('hex', idOffset, idOffset + 8);
  idOffset += 8;
  return `req_${id}`;
}

/**
 * Fastify underneath (for throughput), a request id on every response (and on every log line of
 * the request), security headers, latency metrics, JSON-only bodies of at most 1 MB, and the
 * client's address taken through TRUST_PROXY_HOPS proxies and no more.
 * Failures before Nest sees a request (bad JSON, big bodies) still reach the envelope filter
 * through Nest's Fastify error handler.
 */
export function createGatewayAdapter(env: GatewayEnv): FastifyAdapter {
  const adapter = new FastifyAdapter({
    bodyLimit: MAX_BODY_BYTES,
    trustProxy: env.TRUST_PROXY_HOPS > 0 ? env.TRUST_PROXY_HOPS : false,
    genReqId: newRequestId,
    requestIdHeader: false,
    logger: false,
    return503OnClosing: true,
    // What Fastify answers itself (a malformed path, an over-long parameter, oversized headers) is the envelope too.
    ...FRAMEWORK_ERROR_OPTIONS,
  });
  // The gateway's logger, at its level, before any request can log through it.
  rootLogger('gateway', env.LOG_LEVEL);
  const fastify = adapter.getInstance();
  // The API speaks JSON only: any other body is 415 unsupported_media_type, not a string to validate.
  fastify.removeContentTypeParser('text/plain');
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    done();
  });
  addRequestLogging(fastify);
  addSecurityHeaders(fastify);
  addHttpMetrics(fastify);
  return adapter;
}

/**
 * Everything but /healthz, /readyz and /metrics lives under /api (API.md). The OpenAPI document
 * (GET /api/openapi.json, UI at /api/docs) is built from the application on first request.
 */
export function configureGateway(app: NestFastifyApplication): NestFastifyApplication {
  app.setGlobalPrefix('api', { exclude: ['healthz', 'readyz', 'metrics', '/'] });
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
