import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import type { GenerationWorkerEnv } from '@flowsmith/config';
import { QueueName } from '@flowsmith/contracts';
import { QueueClient, WORKER_ENV } from '@flowsmith/queue';

/** The generation worker validates and renders through the render worker, as the gateway does. */
export const RENDER_QUEUE = Symbol('RENDER_QUEUE');

export const renderQueueProvider: Provider = {
  provide: RENDER_QUEUE,
  useFactory: (env: GenerationWorkerEnv) => new QueueClient(QueueName.Render, env, env.REDIS_PREFIX),
  inject: [WORKER_ENV],
};

@Injectable()
export class RenderQueueLifecycle implements OnApplicationShutdown {
  constructor(@Inject(RENDER_QUEUE) private readonly renderQueue: QueueClient) {}

  onApplicationShutdown(): Promise<void> {
    return this.renderQueue.close();
  }
}
