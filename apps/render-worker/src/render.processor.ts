import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, OnModuleInit } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { WorkerEnv } from '@flowsmith/config';
import { QueueName } from '@flowsmith/contracts';
import { assertHandlersComplete, dispatchJob, JobHandlers, WORKER_ENV, WORKER_LOCK_DURATION_MS } from '@flowsmith/queue';

/** The render queue's consumer: thin, it routes each job to its handler by name. */
@Processor(QueueName.Render, { lockDuration: WORKER_LOCK_DURATION_MS[QueueName.Render], autorun: false })
export class RenderProcessor extends WorkerHost implements OnModuleInit {
  // Job handlers of this queue; they arrive with the issues that define the jobs.
  private readonly handlers: Partial<JobHandlers<QueueName.Render>> = {};

  constructor(@Inject(WORKER_ENV) private readonly env: WorkerEnv) {
    super();
  }

  onModuleInit(): void {
    assertHandlersComplete(QueueName.Render, this.handlers);
    this.worker.concurrency = this.env.WORKER_CONCURRENCY ?? 1;
    void this.worker.run();
  }

  process(job: Job): Promise<unknown> {
    return dispatchJob(QueueName.Render, this.handlers, job);
  }
}
