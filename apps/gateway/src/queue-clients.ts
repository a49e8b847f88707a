import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import { QueueName, RenderQueueName } from '@flowsmith/contracts';
import type { Redis } from 'ioredis';
import { QueueClient, RenderCache } from '@flowsmith/queue';
import { GatewayConfig } from './common/gateway-config';
import { REDIS_COMMANDS } from './redis.providers';

/** The gateway produces jobs on every queue and waits on their events; it never consumes. */
export const GENERATION_QUEUE = Symbol('GENERATION_QUEUE');

/** One client per render lane (libs/contracts/src/fairness.ts), by queue name. */
@Injectable()
export class RenderQueues {
  private readonly clients: Record<RenderQueueName, QueueClient>;

  constructor(config: GatewayConfig) {
    const client = (name: RenderQueueName) => new QueueClient(name, config.env, config.env.REDIS_PREFIX);
    this.clients = {
      [QueueName.Render]: client(QueueName.Render),
      [QueueName.RenderHeavy]: client(QueueName.RenderHeavy),
      [QueueName.RenderBestEffort]: client(QueueName.RenderBestEffort),
    };
  }

  of(name: RenderQueueName): QueueClient {
    return this.clients[name];
  }

  get all(): QueueClient[] {
    return Object.values(this.clients);
  }
}

export const queueClientProviders: Provider[] = [
  RenderQueues,
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
    private readonly renderQueues: RenderQueues,
    @Inject(GENERATION_QUEUE) private readonly generation: QueueClient,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.renderQueues.all, this.generation].map((client) => client.close()));
  }
}
