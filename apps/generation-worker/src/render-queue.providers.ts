import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import { Queue, QueueEvents } from 'bullmq';
import type { GenerationWorkerEnv } from '@flowsmith/config';
import { QueueName } from '@flowsmith/contracts';
import { bullConnection, bullPrefix, DEFAULT_JOB_OPTIONS, WORKER_ENV } from '@flowsmith/queue';

export const RENDER_QUEUE = Symbol('RENDER_QUEUE');
export const RENDER_EVENTS = Symbol('RENDER_EVENTS');

/** The generation worker validates and renders through the render worker, like the gateway. */
export const renderQueueProviders: Provider[] = [
  {
    provide: RENDER_QUEUE,
    useFactory: (env: GenerationWorkerEnv) =>
      new Queue(QueueName.Render, { connection: bullConnection(env.REDIS_URL), prefix: bullPrefix(env.REDIS_PREFIX), defaultJobOptions: DEFAULT_JOB_OPTIONS[QueueName.Render] }),
    inject: [WORKER_ENV],
  },
  {
    provide: RENDER_EVENTS,
    useFactory: (env: GenerationWorkerEnv) => new QueueEvents(QueueName.Render, { connection: bullConnection(env.REDIS_URL), prefix: bullPrefix(env.REDIS_PREFIX) }),
    inject: [WORKER_ENV],
  },
];

@Injectable()
export class RenderQueueLifecycle implements OnApplicationShutdown {
  constructor(@Inject(RENDER_QUEUE) private readonly queue: Queue, @Inject(RENDER_EVENTS) private readonly events: QueueEvents) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }
}
