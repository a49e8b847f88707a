/**
 * The events an owner's webhook endpoints may subscribe to (docs/webhooks.md). Each is recorded
 * once, for the change it names, and delivered to every enabled endpoint of the owner that lists it.
 */
export const WEBHOOK_EVENT_TYPES = [
  'generation.succeeded',
  'generation.failed',
  'diagram.created',
  'diagram.updated',
  'diagram.deleted',
  'share.created',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return typeof value === 'string' && (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** The webhook queue's one job: a delivery, whose id is also the job's. */
export interface WebhookDeliverJobData {
  deliveryId: string;
}

export interface WebhookDeliverJobResult {
  status: 'succeeded' | 'failed' | 'skipped';
  responseStatus: number | null;
}
