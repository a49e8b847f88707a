import { Inject, Injectable, Logger } from '@nestjs/common';
import type { WebhookWorkerEnv } from '@flowsmith/config';
import type { WebhookDeliverJobResult } from '@flowsmith/contracts';
import { WebhooksRepository } from '@flowsmith/database';
import { WORKER_ENV } from '@flowsmith/queue';
import { AddressPolicy, postWebhook, retryDelayMs, RetrySchedule, SIGNATURE_HEADER, signatureHeader, signingSecrets, systemResolver } from '@flowsmith/webhooks';

/** A failed attempt that has attempts left: BullMQ retries the job after the webhook backoff. */
export class DeliveryAttemptFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryAttemptFailed';
  }
}

/** The schedule WEBHOOK_RETRY_BASE_MS and WEBHOOK_RETRY_MAX_DELAY_MS describe. */
export function retrySchedule(env: Pick<WebhookWorkerEnv, 'WEBHOOK_RETRY_BASE_MS' | 'WEBHOOK_RETRY_MAX_DELAY_MS'>): RetrySchedule {
  return { baseMs: env.WEBHOOK_RETRY_BASE_MS, capMs: env.WEBHOOK_RETRY_MAX_DELAY_MS };
}

/**
 * One attempt of one delivery (docs/webhooks.md): signed with the endpoint's secret at the moment
 * it is sent, recorded on the delivery, and, when it failed, either thrown back to BullMQ for the
 * next attempt or, once the next would fall past WEBHOOK_RETRY_WINDOW_SECONDS after the event,
 * final. Every failure extends the endpoint's failure streak, which disables it after
 * WEBHOOK_DISABLE_AFTER_SECONDS.
 */
@Injectable()
export class WebhookDeliveryService {
  private readonly logger = new Logger(WebhookDeliveryService.name);
  private readonly policy: AddressPolicy;
  private readonly schedule: RetrySchedule;

  constructor(
    private readonly webhooks: WebhooksRepository,
    @Inject(WORKER_ENV) private readonly env: WebhookWorkerEnv,
  ) {
    this.policy = { allowPrivate: env.WEBHOOK_ALLOW_PRIVATE_URLS, resolve: systemResolver };
    this.schedule = retrySchedule(env);
  }

  async attempt(deliveryId: string): Promise<WebhookDeliverJobResult> {
    const work = await this.webhooks.findWork(deliveryId);
    // Its endpoint was deleted (and the delivery with it), or an earlier run of the job finished it.
    if (!work || work.status !== 'pending') return { status: 'skipped', responseStatus: null };
    // Replays are the owner's explicit request: sent even to a disabled endpoint, to see whether it recovered.
    if (!work.endpoint.enabled && !work.replayOf) {
      await this.webhooks.abandon(work.id, `not sent: the endpoint is disabled (${work.endpoint.disabledReason ?? 'by its owner'})`);
      return { status: 'failed', responseStatus: null };
    }
    const body = work.event.body;
    const result = await postWebhook(work.endpoint.url, body, {
      headers: {
        [SIGNATURE_HEADER]: signatureHeader(body, signingSecrets(work.endpoint, Date.now()), Math.floor(Date.now() / 1000)),
        'Flowsmith-Event-Id': work.event.id,
        'Flowsmith-Delivery-Id': work.id,
      },
      timeoutMs: this.env.WEBHOOK_TIMEOUT_MS,
      policy: this.policy,
    });
    if (result.ok) {
      await this.webhooks.succeed(work, result);
      return { status: 'succeeded', responseStatus: result.responseStatus };
    }
    const nextAttemptAt = Date.now() + retryDelayMs(work.attempts + 1, this.schedule);
    const final = !work.endpoint.enabled || nextAttemptAt > work.event.createdAt.getTime() + this.env.WEBHOOK_RETRY_WINDOW_SECONDS * 1000;
    const disableAfterSeconds = this.env.WEBHOOK_DISABLE_AFTER_SECONDS;
    const disabled = await this.webhooks.recordFailure(work, result, final, disableAfterSeconds * 1000, `every delivery failed for ${disableAfterSeconds} s (last: ${result.error})`);
    if (disabled) {
      this.logger.warn(`webhook endpoint ${work.endpointId} disabled: its deliveries have failed for ${disableAfterSeconds} s`);
      if (!final) await this.webhooks.abandon(work.id, `${result.error}; the endpoint was then disabled`);
      return { status: 'failed', responseStatus: result.responseStatus };
    }
    if (final) return { status: 'failed', responseStatus: result.responseStatus };
    throw new DeliveryAttemptFailed(result.error ?? 'failed');
  }

  /** BullMQ gave up on the job (its attempts ceiling, or it stalled too often): the delivery fails with what it last saw. */
  async giveUp(deliveryId: string, reason: string): Promise<void> {
    await this.webhooks.abandon(deliveryId, `given up: ${reason}`);
  }
}
