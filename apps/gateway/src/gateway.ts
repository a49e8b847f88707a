import { randomBytes } from 'node:crypto';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestFactory } from '@nestjs/core';
import type { GatewayEnv } from '@flowsmith/config';
import { MAX_BODY_BYTES } from '@flowsmith/contracts';
import { GatewayModule } from './gateway.module';

export function newRequestId(): string {
  return `req_${randomBytes(8).toString('hex')}`;
}

/**
 * Builds the gateway: Fastify underneath (for throughput), a request id on every response, the
 * error envelope even for failures that happen before Nest sees the request (bad JSON, big bodies).
 */
export async function createGateway(env: GatewayEnv): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: MAX_BODY_BYTES,
    trustProxy: env.TRUST_PROXY_HOPS > 0 ? env.TRUST_PROXY_HOPS : false,
    genReqId: newRequestId,
    requestIdHeader: false,
    logger: false,
    return503OnClosing: true,
  });
  const fastify = adapter.getInstance();
  // The API speaks JSON only: any other body is 415 unsupported_media_type, not a string to validate.
  fastify.removeContentTypeParser('text/plain');
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    done();
  });

  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(env), adapter, {
    logger: env.LOG_LEVEL === 'silent' ? false : ['log', 'warn', 'error'],
    bufferLogs: false,
  });
  app.setGlobalPrefix('api', { exclude: ['healthz', 'readyz', 'metrics'] });
  app.enableShutdownHooks();

  await app.init();
  return app;
}
