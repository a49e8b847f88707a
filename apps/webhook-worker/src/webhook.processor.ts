import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap, Type } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { WebhookWorkerEnv } from '@flowsmith/config';
import { QueueName } from '@flowsmith/contracts';
import { dispatchJob, JobHandlers, WORKER_ENV } from '@flowsmith/queue';
import { jitteredDelayMs } from '@flowsmith/webhooks';
import { retrySchedule, WebhookDeliveryService } from './webhook-delivery.service';

/** The webhook queue's consumer; webhookProcessor(env) gives it its lock and backoff from the env. */
@Injectable()
export class WebhookProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly handlers: JobHandlers<QueueName.Webhook>;

  constructor(
    private readonly deliveries: WebhookDeliveryService,
    @Inject(WORKER_ENV) private readonly env: WebhookWorkerEnv,
  ) {
    super();
    this.handlers = { deliver: (job) => this.deliveries.attempt(job.data.deliveryId) };
  }

  onApplicationBootstrap(): void {
    // Deliveries wait on other people's servers, not on this machine: many at once.
    this.worker.concurrency = this.env.WORKER_CONCURRENCY ?? 32;
    void this.worker.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }

  process(job: Job): Promise<unknown> {
    return dispatchJob(QueueName.Webhook, this.handlers, job);
  }

  /** A job BullMQ will not run again leaves no delivery pending. */
  @OnWorkerEvent('failed')
  async onFailed(job: Job | undefined, error: Error): Promise<void> {
    if (!job || job.name !== 'deliver') return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError' || /stalled more than allowable limit/i.test(error.message);
    if (final) await this.deliveries.giveUp(job.data.deliveryId, error.message).catch(() => undefined);
  }
}

/**
 * WebhookProcessor built with a lock one attempt outlives (WEBHOOK_TIMEOUT_MS + 5 s), so a
 * worker that dies mid-delivery has its job taken over within about one and a half locks, and
 * the webhook backoff (libs/webhooks/src/backoff.ts) from WEBHOOK_RETRY_BASE_MS.
 */
export function webhookProcessor(env: WebhookWorkerEnv): Type<WebhookProcessor> {
  const lockDuration = env.WEBHOOK_TIMEOUT_MS + 5000;
  const schedule = retrySchedule(env);
  @Processor(QueueName.Webhook, {
    lockDuration,
    stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
    maxStalledCount: 10,
    autorun: false,
    settings: { backoffStrategy: (attemptsMade: number) => jitteredDelayMs(attemptsMade, schedule) },
  })
  @Injectable()
  class LockedWebhookProcessor extends WebhookProcessor {}
  return LockedWebhookProcessor;
}
