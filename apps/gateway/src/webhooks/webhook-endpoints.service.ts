import { Injectable } from '@nestjs/common';
import { WebhookDelivery, WebhookEndpoint, WebhookEndpointChanges, WebhooksRepository } from '@flowsmith/database';
import { AddressPolicy, checkWebhookUrl, newDeliveryId, newWebhookId, newWebhookSecret, previousSecretExpiry, systemResolver, UnsafeWebhookUrlError, WebhookEvents } from '@flowsmith/webhooks';
import type { KeyActor } from '../auth/actor';
import { invalidParameter, notFound } from '../common/api-error';
import { GatewayConfig } from '../common/gateway-config';
import { ListQueryDto, listResponse, pageQuery, timestamp } from '../common/pagination';
import { CreateWebhookEndpointDto, DEFAULT_PREVIOUS_SECRET_SECONDS, RotateWebhookSecretDto, UpdateWebhookEndpointDto } from './webhook.dto';

export function presentWebhookEndpoint(endpoint: WebhookEndpoint) {
  return {
    object: 'webhook_endpoint' as const,
    id: endpoint.id,
    url: endpoint.url,
    description: endpoint.description,
    events: endpoint.events,
    enabled: endpoint.enabled,
    disabled_reason: endpoint.disabledReason,
    organization_id: endpoint.organizationId,
    previous_secret_expires_at: timestamp(previousSecretExpiry(endpoint, Date.now())),
    created_at: timestamp(endpoint.createdAt),
    updated_at: timestamp(endpoint.updatedAt),
  };
}

export function presentWebhookDelivery(delivery: WebhookDelivery & { event: { type: string } }) {
  return {
    object: 'webhook_delivery' as const,
    id: delivery.id,
    endpoint_id: delivery.endpointId,
    event_id: delivery.eventId,
    event_type: delivery.event.type,
    status: delivery.status,
    attempts: delivery.attempts,
    response_status: delivery.responseStatus,
    error: delivery.error,
    replay_of: delivery.replayOf,
    created_at: timestamp(delivery.createdAt),
    updated_at: timestamp(delivery.updatedAt),
    completed_at: timestamp(delivery.completedAt),
  };
}

/** Webhook endpoints of the key's owner, their delivery logs and replays (docs/webhooks.md). */
@Injectable()
export class WebhookEndpointsService {
  private readonly policy: AddressPolicy;

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly events: WebhookEvents,
    config: GatewayConfig,
  ) {
    this.policy = { allowPrivate: config.env.WEBHOOK_ALLOW_PRIVATE_URLS, resolve: systemResolver };
  }

  /** The URL as it will be stored, or 400 naming `url` with the rule it breaks. Checked again on every delivery. */
  private async checkedUrl(raw: string): Promise<string> {
    try {
      return (await checkWebhookUrl(raw, this.policy)).href;
    } catch (error) {
      if (error instanceof UnsafeWebhookUrlError) throw invalidParameter('url', `The webhook URL is refused: ${error.message}.`);
      throw error;
    }
  }

  async create(actor: KeyActor, body: CreateWebhookEndpointDto) {
    const endpoint = await this.webhooks.createEndpoint({
      id: newWebhookId('we'),
      ownerId: actor.ownerId,
      organizationId: actor.organizationId,
      createdBy: actor.userId,
      url: await this.checkedUrl(body.url),
      description: body.description ?? null,
      events: body.events,
      secret: newWebhookSecret(),
    });
    return { ...presentWebhookEndpoint(endpoint), secret: endpoint.secret };
  }

  async list(actor: KeyActor, query: ListQueryDto) {
    const page = pageQuery('webhook_endpoints', query);
    return listResponse('webhook_endpoints', await this.webhooks.listEndpoints(actor.ownerId, page), page.limit, presentWebhookEndpoint);
  }

  async get(actor: KeyActor, id: string) {
    return presentWebhookEndpoint(await this.visible(actor, id));
  }

  async update(actor: KeyActor, id: string, body: UpdateWebhookEndpointDto) {
    await this.visible(actor, id);
    const changes: WebhookEndpointChanges = {};
    if (body.url !== undefined) changes.url = await this.checkedUrl(body.url);
    if (body.events !== undefined) changes.events = body.events;
    if (body.description !== undefined) changes.description = body.description;
    if (body.enabled !== undefined) changes.enabled = body.enabled;
    const updated = await this.webhooks.updateEndpoint(id, actor.ownerId, changes);
    if (!updated) throw notFound('Webhook endpoint');
    return presentWebhookEndpoint(updated);
  }

  /**
   * A new signing secret, shown once in the answer. The old one signs deliveries beside it for
   * `expires_in_seconds` (a day by default; 0: not at all), so receivers can switch without a gap.
   */
  async rotateSecret(actor: KeyActor, id: string, body: RotateWebhookSecretDto) {
    await this.visible(actor, id);
    const seconds = body.expires_in_seconds ?? DEFAULT_PREVIOUS_SECRET_SECONDS;
    // Another rotation of the same endpoint at the same moment: this one goes after it.
    for (let attempt = 0; attempt < 3; attempt++) {
      const rotated = await this.webhooks.rotateSecret(id, actor.ownerId, newWebhookSecret(), seconds > 0 ? new Date(Date.now() + seconds * 1000) : null);
      if (rotated) return { ...presentWebhookEndpoint(rotated), secret: rotated.secret };
      await this.visible(actor, id);
    }
    throw new Error('the webhook secret changed under three rotations in a row');
  }

  async delete(actor: KeyActor, id: string) {
    if (!(await this.webhooks.deleteEndpoint(id, actor.ownerId))) throw notFound('Webhook endpoint');
    return { object: 'webhook_endpoint' as const, id, deleted: true as const };
  }

  async deliveries(actor: KeyActor, id: string, query: ListQueryDto) {
    await this.visible(actor, id);
    const page = pageQuery('webhook_deliveries', query);
    return listResponse('webhook_deliveries', await this.webhooks.listDeliveries(id, page), page.limit, presentWebhookDelivery);
  }

  /** A new delivery of the same event (same event id) to the endpoint, queued at once; sent even if the endpoint is disabled. */
  async replay(actor: KeyActor, id: string, deliveryId: string) {
    await this.visible(actor, id);
    const delivery = await this.webhooks.findDelivery(deliveryId, id);
    if (!delivery) throw notFound('Webhook delivery');
    const replay = await this.webhooks.replay(delivery, newDeliveryId());
    await this.events.enqueue([replay.id]);
    return presentWebhookDelivery(replay);
  }

  private async visible(actor: KeyActor, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.webhooks.findEndpoint(id, actor.ownerId);
    if (!endpoint) throw notFound('Webhook endpoint');
    return endpoint;
  }
}
