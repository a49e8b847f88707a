import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, OnModuleInit } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { WorkerEnv } from '@flowsmith/config';
import { QueueName } from '@flowsmith/contracts';
import { assertHandlersComplete, dispatchJob, JobHandlers, WORKER_ENV, WORKER_LOCK_DURATION_MS } from '@flowsmith/queue';

/** The generation queue's consumer: thin, it routes each job to its handler by name. */
@Processor(QueueName.Generation, { lockDuration: WORKER_LOCK_DURATION_MS[QueueName.Generation], autorun: false })
export class GenerationProcessor extends WorkerHost implements OnModuleInit {
  // Job handlers of this queue; they arrive with the issues that define the jobs.
  private readonly handlers: Partial<JobHandlers<QueueName.Generation>> = {};

  constructor(@Inject(WORKER_ENV) private readonly env: WorkerEnv) {
    super();
  }

  onModuleInit(): void {
    assertHandlersComplete(QueueName.Generation, this.handlers);
    this.worker.concurrency = this.env.WORKER_CONCURRENCY ?? 1;
    void this.worker.run();
  }

  process(job: Job): Promise<unknown> {
    return dispatchJob(QueueName.Generation, this.handlers, job);
  }
}
