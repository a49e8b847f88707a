import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import { Queue, QueueEvents } from 'bullmq';
import { QueueName } from '@flowsmith/contracts';
import { bullConnection, bullPrefix, DEFAULT_JOB_OPTIONS } from '@flowsmith/queue';
import { GatewayConfig } from '../common/gateway-config';

export const GENERATION_QUEUE = Symbol('GENERATION_QUEUE');
export const GENERATION_EVENTS = Symbol('GENERATION_EVENTS');

export const generationQueueProviders: Provider[] = [
  {
    provide: GENERATION_QUEUE,
    useFactory: (config: GatewayConfig) =>
      new Queue(QueueName.Generation, { connection: bullConnection(config.env.REDIS_URL), prefix: bullPrefix(config.env.REDIS_PREFIX), defaultJobOptions: DEFAULT_JOB_OPTIONS[QueueName.Generation] }),
    inject: [GatewayConfig],
  },
  {
    provide: GENERATION_EVENTS,
    useFactory: (config: GatewayConfig) => new QueueEvents(QueueName.Generation, { connection: bullConnection(config.env.REDIS_URL), prefix: bullPrefix(config.env.REDIS_PREFIX) }),
    inject: [GatewayConfig],
  },
];

@Injectable()
export class GenerationQueueLifecycle implements OnApplicationShutdown {
  constructor(@Inject(GENERATION_QUEUE) private readonly queue: Queue, @Inject(GENERATION_EVENTS) private readonly events: QueueEvents) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }
}
