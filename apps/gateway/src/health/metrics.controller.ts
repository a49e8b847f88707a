import { Controller, Get, Headers, Injectable, OnModuleDestroy, OnModuleInit, Res } from '@nestjs/common';
import { ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { sameSecret } from '@flowsmith/identity';
import { countQueue, metricsText, uncountQueue } from '@flowsmith/observability';
import { QueueClients } from '@flowsmith/queue';
import { Access } from '../auth/access.decorator';
import { ApiError } from '../common/api-error';
import { GatewayConfig } from '../common/gateway-config';
import { ApiEndpoint } from '../openapi/api-docs.decorators';

/** The gateway reports the depth of every queue it produces to (read from Redis at scrape time). */
@Injectable()
export class QueueDepthReporter implements OnModuleInit, OnModuleDestroy {
  constructor(private readonly clients: QueueClients) {}

  onModuleInit(): void {
    for (const client of this.clients.all) countQueue(client.queue);
  }

  onModuleDestroy(): void {
    for (const client of this.clients.all) uncountQueue(client.queue);
  }
}

/**
 * Prometheus text (docs/api.md "Health and operations"): outside /api, auth and rate limits, as
 * probes and scrapers expect. Where the gateway's port is reachable from outside, set
 * METRICS_TOKEN and the scraper sends it as a bearer token.
 */
@ApiTags('Operations')
@Controller()
export class MetricsController {
  constructor(private readonly config: GatewayConfig) {}

  @Get('metrics')
  @ApiEndpoint('Prometheus metrics', {
    description: 'HTTP latency by route and status, rate-limit denials, queue depth, render cache hits, and process metrics, in Prometheus text format. Outside /api, auth and rate limits; with METRICS_TOKEN set, send it as `Authorization: Bearer <token>`.',
  })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'Prometheus text exposition format 0.0.4.', content: { 'text/plain': { schema: { type: 'string' } } } })
  @Access({ operations: true })
  async metrics(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const token = this.config.env.METRICS_TOKEN;
    if (token && !sameSecret(authorization ?? '', `Bearer ${token}`)) {
      throw new ApiError('not_authenticated', 'GET /metrics needs METRICS_TOKEN as a bearer token.');
    }
    const { contentType, body } = await metricsText();
    reply.header('Content-Type', contentType).header('Cache-Control', 'no-store');
    return body;
  }
}
