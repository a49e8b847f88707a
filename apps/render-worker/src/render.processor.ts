import { Processor, WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import { QueueName } from '@flowsmith/contracts';
import { assertHandlersComplete, dispatchJob, JobHandlers, WORKER_LOCK_DURATION_MS, WorkerPresence } from '@flowsmith/queue';
import { RenderJobsService } from './render-jobs.service';

/**
 * A render queue's consumer: thin, it routes each job to RenderJobsService. It starts taking
 * jobs only once Chromium is warm, pauses while the worker cannot render (withdrawn from the
 * registry: worker-registry.ts), and on shutdown, once the worker has left the registry, stops
 * taking new jobs and lets the jobs in hand finish for at most RenderJobsService.drainMs before
 * the browser closes. The worker consumes both render queues from one page pool.
 */
abstract class RenderQueueConsumer extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(this.constructor.name);
  protected readonly handlers: JobHandlers<QueueName.Render>;

  constructor(
    protected readonly jobs: RenderJobsService,
    private readonly presence: WorkerPresence,
    private readonly queue: QueueName.Render | QueueName.RenderBestEffort,
  ) {
    super();
    this.handlers = {
      render: (job) => this.jobs.render(job.data, { bestEffort: queue === QueueName.RenderBestEffort }),
      parse: (job) => this.jobs.parse(job.data, { bestEffort: queue === QueueName.RenderBestEffort }),
    };
    assertHandlersComplete(queue, this.handlers);
  }

  /** Jobs of this queue this worker runs at once. */
  protected abstract get concurrency(): number;

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.concurrency;
    // A job taken while the browser cannot start would only fail; other workers take it instead.
    this.presence.heartbeat.onFitnessChange((fit) => (fit ? this.worker.resume() : void this.worker.pause(true)));
    void this.worker.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      this.worker.close().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.jobs.drainMs))),
    ]).finally(() => clearTimeout(timer));
    if (!drained) {
      // Every render is bounded by its deadline, so this is a step that hangs (a browser call);
      // its job's lock lapses and another worker takes it, or skips it once its caller has gone.
      this.logger.warn(`the jobs in hand did not finish within ${this.jobs.drainMs} ms; closing without them`);
      await this.worker.close(true);
    }
  }

  process(job: Job): Promise<unknown> {
    return dispatchJob(this.queue, this.handlers, job);
  }
}

/** Keys on paid plans and the generation worker: every page. */
@Processor(QueueName.Render, { lockDuration: WORKER_LOCK_DURATION_MS[QueueName.Render], stalledInterval: 5_000, maxStalledCount: 2, autorun: false })
@Injectable()
export class RenderProcessor extends RenderQueueConsumer {
  constructor(jobs: RenderJobsService, presence: WorkerPresence) {
    super(jobs, presence, QueueName.Render);
  }

  protected get concurrency(): number {
    return this.jobs.concurrency;
  }
}

/**
 * Free keys, anonymous callers and public routes (libs/contracts/src/fairness.ts): one page fewer
 * than the worker has (at least one), so this traffic can never hold every page and a paying
 * key's render never waits behind it. With a single page the two share it.
 */
@Processor(QueueName.RenderBestEffort, { lockDuration: WORKER_LOCK_DURATION_MS[QueueName.RenderBestEffort], stalledInterval: 5_000, maxStalledCount: 2, autorun: false })
@Injectable()
export class RenderBestEffortProcessor extends RenderQueueConsumer {
  constructor(jobs: RenderJobsService, presence: WorkerPresence) {
    super(jobs, presence, QueueName.RenderBestEffort);
  }

  protected get concurrency(): number {
    return Math.max(1, this.jobs.concurrency - 1);
  }
}
