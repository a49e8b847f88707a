import { DynamicModule, Inject, Module, OnApplicationShutdown, Provider } from '@nestjs/common';
import type { BaseEnv } from '@flowsmith/config';
import type { QueueName } from '@flowsmith/contracts';
import { QueueClient } from './queue-client';
import type { RedisSettings } from './redis';

/** Where a process's queue clients connect: its Redis settings and key prefix (BaseEnv). */
export type QueueClientSettings = RedisSettings & Pick<BaseEnv, 'REDIS_PREFIX'>;

/** The injection token of the QueueClient for `queue` that QueueClientModule.register provides. */
export function queueClientToken(queue: QueueName): string {
  return `QueueClient:${queue}`;
}

/** Injects the QueueClient<queue> of a registered QueueClientModule. */
export const InjectQueueClient = (queue: QueueName): PropertyDecorator & ParameterDecorator => Inject(queueClientToken(queue));

/**
 * Every queue client a QueueClientModule registered, for what concerns them all (the gateway's
 * queue-depth metrics and queue dashboard); it closes them once the application shuts down (after
 * the processors have drained).
 */
export class QueueClients implements OnApplicationShutdown {
  constructor(readonly all: readonly QueueClient[]) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.all.map((client) => client.close()));
  }
}

/**
 * A producer's queue clients: one QueueClient per queue named, connected with the process's Redis
 * settings, each under queueClientToken(queue) (inject it with @InjectQueueClient(queue)), and
 * all of them as QueueClients, which closes them on application shutdown. The gateway registers every queue it produces to; the generation
 * worker the render queue.
 */
@Module({})
export class QueueClientModule {
  static register(options: { queues: readonly QueueName[]; redis: QueueClientSettings }): DynamicModule {
    const { queues, redis } = options;
    const tokens = queues.map(queueClientToken);
    const clients: Provider[] = queues.map((queue) => ({ provide: queueClientToken(queue), useFactory: () => new QueueClient(queue, redis, redis.REDIS_PREFIX) }));
    return {
      module: QueueClientModule,
      providers: [...clients, { provide: QueueClients, useFactory: (...all: QueueClient[]) => new QueueClients(all), inject: tokens }],
      exports: [...tokens, QueueClients],
    };
  }
}
