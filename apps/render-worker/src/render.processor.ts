import { Processor, WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import { QueueName, RenderQueueName } from '@flowsmith/contracts';
import { dispatchJob, JobHandlers, WORKER_LOCK_DURATION_MS, WorkerPresence } from '@flowsmith/queue';
import { RenderJobsService } from './render-jobs.service';

/**
 * A render queue's consumer: thin, it routes each job to RenderJobsService. It starts taking
 * jobs only once Chromium is warm, pauses while the worker cannot render (withdrawn from the
 * registry: worker-registry.ts), and on shutdown, once the worker has left the registry, stops
 * taking new jobs and lets the jobs in hand finish for at most RenderJobsService.drainMs before
 * the browser closes. The worker consumes the three render queues from one page pool.
 */
abstract class RenderQueueConsumer extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(this.constructor.name);
  protected readonly handlers: JobHandlers<QueueName.Render>;

  constructor(
    protected readonly jobs: RenderJobsService,
    private readonly presence: WorkerPresence,
    private readonly queue: RenderQueueName,
  ) {
    super();
    // Heavy and best-effort renders never take a kind's last warm page (BrowserPool).
    const lane = { bestEffort: queue !== QueueName.Render };
    this.handlers = {
      render: (job) => this.jobs.render(job.data, lane),
      parse: (job) => this.jobs.parse(job.data, lane),
    };
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

/** What every render lane's BullMQ worker shares; it starts once Chromium is warm (onApplicationBootstrap). */
function laneOptions(queue: RenderQueueName) {
  return { lockDuration: WORKER_LOCK_DURATION_MS[queue], stalledInterval: 5_000, maxStalledCount: 2, autorun: false };
}

/** Keys on paid plans and the generation worker: every page, and more jobs than pages (RenderJobsService.jobConcurrency). */
@Processor(QueueName.Render, laneOptions(QueueName.Render))
@Injectable()
export class RenderProcessor extends RenderQueueConsumer {
  constructor(jobs: RenderJobsService, presence: WorkerPresence) {
    super(jobs, presence, QueueName.Render);
  }

  protected get concurrency(): number {
    return this.jobs.jobConcurrency;
  }
}

/**
 * Free keys, anonymous callers and public routes (libs/contracts/src/fairness.ts): half the jobs
 * the paying queue may run. This traffic can never hold every page (BrowserPool keeps a kind's
 * last warm page for paying work) nor more than a quarter of the PlantUML JVM's threads
 * (PlantumlPool), so a paying key's render never waits behind it.
 */
@Processor(QueueName.RenderBestEffort, laneOptions(QueueName.RenderBestEffort))
@Injectable()
export class RenderBestEffortProcessor extends RenderQueueConsumer {
  constructor(jobs: RenderJobsService, presence: WorkerPresence) {
    super(jobs, presence, QueueName.RenderBestEffort);
  }

  protected get concurrency(): number {
    return this.jobs.bestEffortJobConcurrency;
  }
}

/**
 * Paying keys' heavy sources (libs/contracts/src/fairness.ts): one job fewer than the worker has
 * pages (at least one), and never a kind's last warm page, so another owner's small renders keep their
 * job slots and a page while one owner's heavy renders run.
 */
@Processor(QueueName.RenderHeavy, laneOptions(QueueName.RenderHeavy))
@Injectable()
export class RenderHeavyProcessor extends RenderQueueConsumer {
  constructor(jobs: RenderJobsService, presence: WorkerPresence) {
    super(jobs, presence, QueueName.RenderHeavy);
  }

  protected get concurrency(): number {
    return this.jobs.heavyJobConcurrency;
  }
}
