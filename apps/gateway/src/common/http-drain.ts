import type { Server } from 'node:http';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/**
 * Graceful shutdown of the HTTP side. Nest closes the server only after every module is destroyed
 * (the database pool, Redis), and Node's server.close() leaves a keep-alive connection open until
 * its 72 s timeout once its request is answered. So, first of the destroy hooks: stop accepting,
 * let the requests in flight finish (Fastify answers 503 to new ones on open connections), and
 * close each connection as soon as it falls idle.
 */
@Injectable()
export class HttpDrain implements OnModuleDestroy {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  async onModuleDestroy(): Promise<void> {
    const adapter = this.adapterHost.httpAdapter;
    const server = adapter?.getHttpServer() as Server | undefined;
    if (!server?.listening) return;
    const reap = setInterval(() => server.closeIdleConnections(), 50);
    reap.unref();
    try {
      await adapter.close();
    } finally {
      clearInterval(reap);
    }
  }
}
