import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import { QueueName } from '@flowsmith/contracts';
import type { Redis } from 'ioredis';
import { QueueClient, RenderCache } from '@flowsmith/queue';
import { GatewayConfig } from './common/gateway-config';
import { REDIS_COMMANDS } from './redis.providers';

/** The gateway produces jobs on every queue and waits on their events; it never consumes. */
export const RENDER_QUEUE = Symbol('RENDER_QUEUE');
export const RENDER_BEST_EFFORT_QUEUE = Symbol('RENDER_BEST_EFFORT_QUEUE');
export const RENDER_HEAVY_QUEUE = Symbol('RENDER_HEAVY_QUEUE');
export const GENERATION_QUEUE = Symbol('GENERATION_QUEUE');

export const queueClientProviders: Provider[] = [
  { provide: RENDER_QUEUE, useFactory: (config: GatewayConfig) => new QueueClient(QueueName.Render, config.env, config.env.REDIS_PREFIX), inject: [GatewayConfig] },
  { provide: RENDER_BEST_EFFORT_QUEUE, useFactory: (config: GatewayConfig) => new QueueClient(QueueName.RenderBestEffort, config.env, config.env.REDIS_PREFIX), inject: [GatewayConfig] },
  { provide: RENDER_HEAVY_QUEUE, useFactory: (config: GatewayConfig) => new QueueClient(QueueName.RenderHeavy, config.env, config.env.REDIS_PREFIX), inject: [GatewayConfig] },
  { provide: GENERATION_QUEUE, useFactory: (config: GatewayConfig) => new QueueClient(QueueName.Generation, config.env, config.env.REDIS_PREFIX), inject: [GatewayConfig] },
  // The render cache the render workers fill: the gateway only reads it.
  {
    provide: RenderCache,
    useFactory: (config: GatewayConfig, redis: Redis) => new RenderCache(redis, config.env.REDIS_PREFIX, config.env.RENDER_CACHE_MAX_MB * 1024 * 1024),
    inject: [GatewayConfig, REDIS_COMMANDS],
  },
];

@Injectable()
export class QueueClientsLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(RENDER_QUEUE) private readonly render: QueueClient,
    @Inject(RENDER_BEST_EFFORT_QUEUE) private readonly renderBestEffort: QueueClient,
    @Inject(RENDER_HEAVY_QUEUE) private readonly renderHeavy: QueueClient,
    @Inject(GENERATION_QUEUE) private readonly generation: QueueClient,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.render.close(), this.renderBestEffort.close(), this.renderHeavy.close(), this.generation.close()]);
  }
}
