import { Injectable, Provider } from '@nestjs/common';
import { QueueName, RenderQueueName } from '@flowsmith/contracts';
import type { Redis } from 'ioredis';
import { InjectQueueClient, QueueClient, queueClientToken, RenderCache, RenderQueue } from '@flowsmith/queue';
import { GatewayConfig } from './common/gateway-config';
import { REDIS_COMMANDS } from './redis.providers';

/**
 * The queues the gateway produces to and waits on; it never consumes. Their clients, connection
 * and shutdown belong to QueueClientModule (gateway.module.ts).
 */
export const GATEWAY_QUEUES = [QueueName.Render, QueueName.RenderHeavy, QueueName.RenderBestEffort, QueueName.Generation, QueueName.Webhook] as const;

/** The generation queue's QueueClient<QueueName.Generation>. */
export const GENERATION_QUEUE = queueClientToken(QueueName.Generation);

/** One producer per render lane (libs/contracts/src/fairness.ts), by queue name. */
@Injectable()
export class RenderQueues {
  private readonly lanes: Record<RenderQueueName, RenderQueue>;

  constructor(
    @InjectQueueClient(QueueName.Render) render: QueueClient<QueueName.Render>,
    @InjectQueueClient(QueueName.RenderHeavy) heavy: QueueClient<QueueName.RenderHeavy>,
    @InjectQueueClient(QueueName.RenderBestEffort) bestEffort: QueueClient<QueueName.RenderBestEffort>,
  ) {
    this.lanes = {
      [QueueName.Render]: new RenderQueue(render),
      [QueueName.RenderHeavy]: new RenderQueue(heavy),
      [QueueName.RenderBestEffort]: new RenderQueue(bestEffort),
    };
  }

  of(name: RenderQueueName): RenderQueue {
    return this.lanes[name];
  }
}

export const queueClientProviders: Provider[] = [
  RenderQueues,
  // The render cache the render workers fill: the gateway only reads it.
  {
    provide: RenderCache,
    useFactory: (config: GatewayConfig, redis: Redis) => new RenderCache(redis, config.env.REDIS_PREFIX, config.env.RENDER_CACHE_MAX_MB * 1024 * 1024),
    inject: [GatewayConfig, REDIS_COMMANDS],
  },
];
