import { Processor, WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import { QueueName } from '@flowsmith/contracts';
import { assertHandlersComplete, dispatchJob, JobHandlers, WORKER_LOCK_DURATION_MS } from '@flowsmith/queue';
import { RenderJobsService } from './render-jobs.service';

/**
 * The render queue's consumer: thin, it routes each job to RenderJobsService. It starts taking
 * jobs only once Chromium is warm, and on shutdown stops taking new ones and lets the jobs in hand
 * finish before the browser closes.
 */
@Processor(QueueName.Render, { lockDuration: WORKER_LOCK_DURATION_MS[QueueName.Render], stalledInterval: 5_000, maxStalledCount: 2, autorun: false })
@Injectable()
export class RenderProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly handlers: JobHandlers<QueueName.Render>;

  constructor(private readonly jobs: RenderJobsService) {
    super();
    this.handlers = {
      render: (job) => this.jobs.render(job.data),
      parse: (job) => this.jobs.parse(job.data),
    };
    assertHandlersComplete(QueueName.Render, this.handlers);
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.jobs.concurrency;
    void this.worker.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }

  process(job: Job): Promise<unknown> {
    return dispatchJob(QueueName.Render, this.handlers, job);
  }
}
