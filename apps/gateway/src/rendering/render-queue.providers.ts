import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { QueueName } from '@flowsmith/contracts';
import { bullPrefix, DEFAULT_JOB_OPTIONS, bullConnection, RenderCache } from '@flowsmith/queue';
import { GatewayConfig } from '../common/gateway-config';
import { REDIS_COMMANDS } from '../redis.providers';

export const RENDER_QUEUE = Symbol('RENDER_QUEUE');
export const RENDER_EVENTS = Symbol('RENDER_EVENTS');

/** The gateway produces render jobs and waits on their events; it never renders. */
export const renderQueueProviders: Provider[] = [
  {
    provide: RENDER_QUEUE,
    useFactory: (config: GatewayConfig) =>
      new Queue(QueueName.Render, {
        connection: bullConnection(config.env.REDIS_URL),
        prefix: bullPrefix(config.env.REDIS_PREFIX),
        defaultJobOptions: DEFAULT_JOB_OPTIONS[QueueName.Render],
        streams: { events: { maxLen: 5000 } },
      }),
    inject: [GatewayConfig],
  },
  {
    provide: RENDER_EVENTS,
    useFactory: (config: GatewayConfig) =>
      new QueueEvents(QueueName.Render, {
        connection: bullConnection(config.env.REDIS_URL),
        prefix: bullPrefix(config.env.REDIS_PREFIX),
      }),
    inject: [GatewayConfig],
  },
  {
    provide: RenderCache,
    useFactory: (config: GatewayConfig, redis: Redis) => new RenderCache(redis, config.env.REDIS_PREFIX, config.env.RENDER_CACHE_MAX_MB * 1024 * 1024),
    inject: [GatewayConfig, REDIS_COMMANDS],
  },
];

@Injectable()
export class RenderQueueLifecycle implements OnApplicationShutdown {
  constructor(@Inject(RENDER_QUEUE) private readonly queue: Queue, @Inject(RENDER_EVENTS) private readonly events: QueueEvents) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }
}
