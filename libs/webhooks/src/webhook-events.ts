import { randomBytes, randomUUID } from 'node:crypto';
import { Logger, Provider } from '@nestjs/common';
import { QueueName, WebhookEventType } from '@flowsmith/contracts';
import { Generation, PrismaService, Transaction, WebhooksRepository } from '@flowsmith/database';
import { QueueClient, queueClientToken } from '@flowsmith/queue';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `<prefix>_` and 24 base62 characters (about 143 bits): event and endpoint ids. */
export function newWebhookId(prefix: 'evt' | 'we'): string {
  let id = '';
  while (id.length < 24) for (const byte of randomBytes(32)) if (byte < 248 && id.length < 24) id += BASE62[byte % 62];
  return `${prefix}_${id}`;
}

/** `whd_` and 32 hex digits, the form recordEvent's SQL gives the deliveries it creates. */
export function newDeliveryId(): string {
  return `whd_${randomUUID().replaceAll('-', '')}`;
}

/** docs/api.md timestamps: ISO 8601 UTC to the second. */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const WEBHOOK_ENDPOINT_ID_PATTERN = /^we_[0-9A-Za-z]{24}$/;
export const WEBHOOK_DELIVERY_ID_PATTERN = /^whd_[0-9a-f]{32}$/;

/**
 * A generation as the event about it carries it: GET /api/v1/generations/{id}'s fields, with the
 * saved diagram's id in place of the diagram itself (diagram.created is not sent for it: fetch it).
 */
export function generationEventObject(generation: Generation) {
  return {
    object: 'generation' as const,
    id: generation.id,
    status: generation.status,
    prompt: generation.prompt,
    hint: generation.hint,
    theme: generation.theme,
    format: generation.format,
    model: generation.model,
    diagram_id: generation.diagramId,
    image_url: generation.diagramId ? `/api/v1/diagrams/${generation.diagramId}/image?theme=${generation.theme}&format=${generation.format}` : null,
    error: generation.error ?? null,
    created_at: isoSeconds(generation.createdAt),
    completed_at: generation.completedAt && isoSeconds(generation.completedAt),
  };
}

/** What every delivery of an event POSTs (docs/webhooks.md, "Payloads"). */
export function webhookEventBody(id: string, type: WebhookEventType, createdAt: Date, object: object): string {
  return JSON.stringify({ id, type, created_at: isoSeconds(createdAt), data: { object } });
}

/**
 * Records the events of a change and queues their deliveries. `record` inside the change's own
 * transaction where there is one to join, then `enqueue` what it returned once it has committed;
 * `emit` does both, right after a change made without one. A delivery whose job never made it to
 * Redis (Redis away, the process gone in between) is queued by the webhook workers' sweeper.
 */
export class WebhookEvents {
  private readonly logger = new Logger(WebhookEvents.name);

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly queue: QueueClient<QueueName.Webhook>,
  ) {}

  /** The event with a delivery per subscribed endpoint; the deliveries' ids. */
  record(ownerId: string, type: WebhookEventType, object: object, tx?: Transaction | PrismaService): Promise<string[]> {
    const id = newWebhookId('evt');
    return this.webhooks.recordEvent({ id, ownerId, type, body: webhookEventBody(id, type, new Date(), object) }, tx);
  }

  /** Queues each delivery under its own id, so a delivery queued twice runs once. Never throws: the sweeper catches up. */
  async enqueue(deliveryIds: readonly string[]): Promise<void> {
    await Promise.all(
      deliveryIds.map((deliveryId) =>
        this.queue.enqueue('deliver', { deliveryId }, { jobId: deliveryId }).catch((error: Error) => {
          this.logger.warn(`delivery ${deliveryId} not queued (the sweeper will queue it): ${error.message}`);
        }),
      ),
    );
  }

  /** Records and queues after a change that had no transaction to join; a failure is logged, never thrown at the change's caller. */
  async emit(ownerId: string, type: WebhookEventType, object: object): Promise<void> {
    try {
      await this.enqueue(await this.record(ownerId, type, object));
    } catch (error) {
      this.logger.error(`${type} event for owner ${ownerId} not recorded: ${(error as Error).message}`);
    }
  }
}

/** WebhookEvents for a process that registered the webhook queue's client (QueueClientModule) and the database. */
export const webhookEventsProvider: Provider = {
  provide: WebhookEvents,
  useFactory: (webhooks: WebhooksRepository, queue: QueueClient<QueueName.Webhook>) => new WebhookEvents(webhooks, queue),
  inject: [WebhooksRepository, queueClientToken(QueueName.Webhook)],
};
