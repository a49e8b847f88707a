import type { WebhookEventType } from '@flowsmith/contracts';
import type { Prisma, WebhookDelivery, WebhookEndpoint, WebhookEvent } from '../generated/prisma/client';
import type { PrismaService } from '../prisma.service';
import { afterPosition, NEWEST_FIRST, PageQuery } from '../keyset';

export type { WebhookDelivery, WebhookEndpoint, WebhookEvent };

/** A Prisma transaction's client: an event recorded with it commits or rolls back with the change it reports. */
export type Transaction = Prisma.TransactionClient;

export interface NewWebhookEndpoint {
  id: string;
  ownerId: string;
  organizationId: string | null;
  createdBy: string;
  url: string;
  description: string | null;
  events: WebhookEventType[];
  secret: string;
}

export type WebhookEndpointChanges = Partial<Pick<NewWebhookEndpoint, 'url' | 'description' | 'events'>> & { enabled?: boolean };

/** An event as it is recorded: `body` is the JSON each delivery sends (it holds `id` and `type` too). */
export interface NewWebhookEvent {
  id: string;
  ownerId: string;
  type: WebhookEventType;
  body: string;
}

/** What one attempt needs: the delivery, its event's body and its endpoint. */
export type DeliveryWork = WebhookDelivery & { event: WebhookEvent; endpoint: WebhookEndpoint };

/** How one attempt ended, to record on the delivery (and on its endpoint's failure streak). */
export interface AttemptOutcome {
  responseStatus: number | null;
  error: string | null;
}

/**
 * Webhook endpoints, the events recorded for them and their deliveries (docs/webhooks.md). An event
 * is recorded with one delivery per enabled endpoint of its owner that subscribes to its type, in
 * one statement, so it joins whatever transaction reports the change; a delivery's id is its
 * BullMQ job's id, and its row is the truth the webhook workers and the sweeper go by.
 */
export class WebhooksRepository {
  constructor(private readonly prisma: PrismaService) {}

  createEndpoint(endpoint: NewWebhookEndpoint): Promise<WebhookEndpoint> {
    return this.prisma.webhookEndpoint.create({ data: endpoint });
  }

  async findEndpoint(id: string, ownerId: string): Promise<WebhookEndpoint | null> {
    const row = await this.prisma.webhookEndpoint.findUnique({ where: { id } });
    return row && row.ownerId === ownerId ? row : null;
  }

  listEndpoints(ownerId: string, page: PageQuery): Promise<WebhookEndpoint[]> {
    return this.prisma.webhookEndpoint.findMany({ where: { ownerId, ...afterPosition(page.after) }, orderBy: NEWEST_FIRST, take: page.limit + 1 });
  }

  /** Enabling an endpoint (again) clears why it was disabled and its failure streak. */
  async updateEndpoint(id: string, ownerId: string, changes: WebhookEndpointChanges): Promise<WebhookEndpoint | null> {
    const data: Prisma.WebhookEndpointUpdateManyMutationInput = { ...changes };
    if (changes.enabled) Object.assign(data, { disabledReason: null, failingSince: null });
    const { count } = await this.prisma.webhookEndpoint.updateMany({ where: { id, ownerId }, data });
    return count ? this.findEndpoint(id, ownerId) : null;
  }

  /**
   * A new signing secret. With `previousExpiresAt` the secret it replaces keeps signing deliveries
   * beside it until then; without, it stops at once (as does any earlier rotated secret). Only
   * from the secret read in this call: of two rotations at once, one wins and the other is null.
   */
  async rotateSecret(id: string, ownerId: string, secret: string, previousExpiresAt: Date | null): Promise<WebhookEndpoint | null> {
    const endpoint = await this.findEndpoint(id, ownerId);
    if (!endpoint) return null;
    const { count } = await this.prisma.webhookEndpoint.updateMany({
      where: { id, ownerId, secret: endpoint.secret },
      data: { secret, previousSecret: previousExpiresAt ? endpoint.secret : null, previousSecretExpiresAt: previousExpiresAt },
    });
    return count ? this.findEndpoint(id, ownerId) : null;
  }

  /** Its deliveries go with it; a job of one still queued finds nothing and does nothing. */
  async deleteEndpoint(id: string, ownerId: string): Promise<boolean> {
    const { count } = await this.prisma.webhookEndpoint.deleteMany({ where: { id, ownerId } });
    return count > 0;
  }

  /**
   * Records the event and a pending delivery for each enabled endpoint of its owner subscribed to
   * its type, in one statement (nothing at all when there is none: most owners have no webhooks);
   * the new deliveries' ids, to queue once the transaction has committed. Give it `tx` to make it
   * part of the change's own transaction.
   */
  async recordEvent(event: NewWebhookEvent, tx: Transaction | PrismaService = this.prisma): Promise<string[]> {
    const rows = await tx.$queryRaw<Array<{ id: string }>>`
      WITH targets AS (
        SELECT id FROM webhook_endpoints WHERE owner_id = ${event.ownerId}::uuid AND enabled AND ${event.type} = ANY(events)
      ), recorded AS (
        INSERT INTO webhook_events (id, owner_id, type, body)
        SELECT ${event.id}, ${event.ownerId}::uuid, ${event.type}, ${event.body} WHERE EXISTS (SELECT 1 FROM targets)
        RETURNING id
      )
      INSERT INTO webhook_deliveries (id, event_id, endpoint_id, owner_id, updated_at)
      SELECT 'whd_' || replace(gen_random_uuid()::text, '-', ''), recorded.id, targets.id, ${event.ownerId}::uuid, now()
      FROM recorded CROSS JOIN targets
      RETURNING id`;
    return rows.map((row) => row.id);
  }

  listDeliveries(endpointId: string, page: PageQuery): Promise<Array<WebhookDelivery & { event: Pick<WebhookEvent, 'type'> }>> {
    return this.prisma.webhookDelivery.findMany({
      where: { endpointId, ...afterPosition(page.after) },
      orderBy: NEWEST_FIRST,
      take: page.limit + 1,
      include: { event: { select: { type: true } } },
    });
  }

  async findDelivery(id: string, endpointId: string): Promise<(WebhookDelivery & { event: Pick<WebhookEvent, 'type'> }) | null> {
    const row = await this.prisma.webhookDelivery.findUnique({ where: { id }, include: { event: { select: { type: true } } } });
    return row && row.endpointId === endpointId ? row : null;
  }

  /** A new pending delivery of the same event to the same endpoint: the receiver sees the same event id again. */
  async replay(delivery: WebhookDelivery, newId: string): Promise<WebhookDelivery & { event: Pick<WebhookEvent, 'type'> }> {
    return this.prisma.webhookDelivery.create({
      data: { id: newId, eventId: delivery.eventId, endpointId: delivery.endpointId, ownerId: delivery.ownerId, replayOf: delivery.id },
      include: { event: { select: { type: true } } },
    });
  }

  /** The delivery with its event and endpoint; null when its endpoint (and so it) was deleted. */
  findWork(id: string): Promise<DeliveryWork | null> {
    return this.prisma.webhookDelivery.findUnique({ where: { id }, include: { event: true, endpoint: true } });
  }

  /** pending → succeeded, and the endpoint's failure streak ends. */
  async succeed(delivery: DeliveryWork, outcome: AttemptOutcome): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.webhookDelivery.updateMany({
        where: { id: delivery.id, status: 'pending' },
        data: { status: 'succeeded', attempts: { increment: 1 }, responseStatus: outcome.responseStatus, error: null, completedAt: new Date() },
      }),
      this.prisma.webhookEndpoint.updateMany({ where: { id: delivery.endpointId, failingSince: { not: null } }, data: { failingSince: null } }),
    ]);
  }

  /**
   * Records a failed attempt (final: the delivery is failed) and starts or continues the
   * endpoint's failure streak. When the streak has lasted `disableAfterMs`, the endpoint is
   * disabled with `reason`, in the same statement: true then.
   */
  async recordFailure(delivery: DeliveryWork, outcome: AttemptOutcome, final: boolean, disableAfterMs: number, reason: string): Promise<boolean> {
    const [, rows] = await this.prisma.$transaction([
      this.prisma.webhookDelivery.updateMany({
        where: { id: delivery.id, status: 'pending' },
        data: { attempts: { increment: 1 }, responseStatus: outcome.responseStatus, error: outcome.error, ...(final ? { status: 'failed' as const, completedAt: new Date() } : {}) },
      }),
      this.prisma.$queryRaw<Array<{ enabled: boolean }>>`
        UPDATE webhook_endpoints
        SET failing_since = COALESCE(failing_since, now()),
            enabled = enabled AND COALESCE(failing_since, now()) > now() - make_interval(secs => ${disableAfterMs / 1000}::double precision),
            disabled_reason = CASE WHEN enabled AND COALESCE(failing_since, now()) <= now() - make_interval(secs => ${disableAfterMs / 1000}::double precision)
                                   THEN ${reason} ELSE disabled_reason END,
            updated_at = now()
        WHERE id = ${delivery.endpointId}
        RETURNING enabled`,
    ]);
    return rows[0]?.enabled === false && delivery.endpoint.enabled;
  }

  /** Ends a delivery without an attempt (its endpoint was disabled meanwhile). */
  async abandon(id: string, error: string): Promise<void> {
    await this.prisma.webhookDelivery.updateMany({ where: { id, status: 'pending' }, data: { status: 'failed', error, completedAt: new Date() } });
  }

  /**
   * Claims pending deliveries unmoved since `staleBefore`, touching them so each is looked at once
   * per period however many sweepers run (one statement: a row another holds is skipped); the
   * sweeper queues those whose job is missing.
   */
  async claimStale(staleBefore: Date, limit = 500): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<Array<{ id: string }>>`
      WITH stale AS (
        SELECT id FROM webhook_deliveries WHERE status = 'pending' AND updated_at < ${staleBefore}
        ORDER BY updated_at LIMIT ${limit} FOR UPDATE SKIP LOCKED
      )
      UPDATE webhook_deliveries d SET updated_at = now() FROM stale WHERE d.id = stale.id RETURNING d.id`;
    return rows.map((row) => row.id);
  }

  /**
   * Retention: deletes, in batches of `batch`, the events recorded before `before` that have no
   * delivery still pending, with their deliveries (the cascade); the number of events deleted.
   * Several workers may run it at once: a row one of them deleted is simply not counted twice.
   */
  async deleteExpired(before: Date, batch = 1000): Promise<number> {
    let deleted = 0;
    for (;;) {
      const ids = await this.prisma.webhookEvent.findMany({
        where: { createdAt: { lt: before }, deliveries: { none: { status: 'pending' } } },
        select: { id: true },
        take: batch,
      });
      if (!ids.length) return deleted;
      deleted += (await this.prisma.webhookEvent.deleteMany({ where: { id: { in: ids.map((row) => row.id) }, deliveries: { none: { status: 'pending' } } } })).count;
      if (ids.length < batch) return deleted;
    }
  }
}
