import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { WebhookWorkerEnv } from '@flowsmith/config';
import { WebhooksRepository } from '@flowsmith/database';
import { WORKER_ENV } from '@flowsmith/queue';

/** How often each webhook worker looks for expired events. */
export const RETENTION_INTERVAL_MS = 3_600_000;

/**
 * Keeps the webhook tables bounded: events older than WEBHOOK_RETENTION_DAYS, with their delivery
 * logs, are deleted when the worker starts and every hour after (docs/webhooks.md, "Delivery log
 * and replay"). An event with a delivery still pending stays until that delivery ends. Every
 * webhook worker runs it; the deletes are idempotent, so running on many machines costs a few
 * empty queries an hour.
 */
@Injectable()
export class WebhookRetention implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookRetention.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly webhooks: WebhooksRepository,
    @Inject(WORKER_ENV) private readonly env: WebhookWorkerEnv,
  ) {}

  onApplicationBootstrap(): void {
    if (this.env.WEBHOOK_RETENTION_DAYS === 0) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), RETENTION_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.deleteExpired()
      .then((deleted) => deleted && this.logger.log(`deleted ${deleted} webhook event(s) older than ${this.env.WEBHOOK_RETENTION_DAYS} days, with their deliveries`))
      .catch((error: Error) => this.logger.warn(`deleting expired webhook events failed (will retry in an hour): ${error.message}`))
      .finally(() => (this.running = undefined));
  }

  /** One pass: the number of events deleted. */
  deleteExpired(now: Date = new Date()): Promise<number> {
    return this.webhooks.deleteExpired(new Date(now.getTime() - this.env.WEBHOOK_RETENTION_DAYS * 86_400_000));
  }
}
