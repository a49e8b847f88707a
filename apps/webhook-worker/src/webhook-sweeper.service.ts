import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { WebhookWorkerEnv } from '@flowsmith/config';
import { QueueName } from '@flowsmith/contracts';
import { WebhooksRepository } from '@flowsmith/database';
import { WORKER_ENV } from '@flowsmith/queue';
import { WebhookDeliveryService } from './webhook-delivery.service';

/**
 * Makes "recorded" mean "delivered at least once attempted", in every webhook worker at once: a
 * pending delivery unmoved for WEBHOOK_SWEEP_AFTER_SECONDS is claimed (one statement, so each is
 * looked at by one sweeper per period) and its job looked up under the delivery's id. A missing
 * job (its producer died between the commit and the queueing, or Redis lost it) is queued again; a
 * job that failed for good without its worker recording it fails the delivery. A job that exists
 * otherwise (waiting out a backoff) is left alone.
 */
@Injectable()
export class WebhookSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookSweeper.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly deliveries: WebhookDeliveryService,
    @Inject(WORKER_ENV) private readonly env: WebhookWorkerEnv,
    @InjectQueue(QueueName.Webhook) private readonly queue: Queue,
  ) {}

  /** A third of the period, between 1 s and a minute. */
  get intervalMs(): number {
    return Math.min(60_000, Math.max(1000, Math.floor((this.env.WEBHOOK_SWEEP_AFTER_SECONDS * 1000) / 3)));
  }

  onApplicationBootstrap(): void {
    if (this.env.WEBHOOK_SWEEP_AFTER_SECONDS === 0) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.sweepOnce()
      .then((queued) => queued.length && this.logger.warn(`queued ${queued.length} delivery(ies) whose jobs were missing: ${queued.join(', ')}`))
      .catch((error: Error) => this.logger.warn(`sweeping pending deliveries failed (will retry): ${error.message}`))
      .finally(() => (this.running = undefined));
  }

  /** One pass: the deliveries it queued again. */
  async sweepOnce(now: Date = new Date()): Promise<string[]> {
    const claimed = await this.webhooks.claimStale(new Date(now.getTime() - this.env.WEBHOOK_SWEEP_AFTER_SECONDS * 1000));
    const queued: string[] = [];
    for (const id of claimed) {
      const job = await this.queue.getJob(id);
      if (!job) {
        await this.queue.add('deliver', { deliveryId: id }, { jobId: id });
        queued.push(id);
      } else if (await job.isFailed()) {
        await this.deliveries.giveUp(id, job.failedReason ?? 'its job failed');
      }
    }
    return queued;
  }
}
