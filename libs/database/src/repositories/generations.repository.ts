import { GenerationFormat, GenerationKind, isPlanName, PlanName, tierOfPlan } from '@flowsmith/contracts';
import { Generation, Prisma } from '../generated/prisma/client';
import type { PrismaService } from '../prisma.service';
import { afterPosition, NEWEST_FIRST, PageQuery } from '../keyset';
import { updateDiagram } from './diagrams.repository';
import { usagePeriod } from './usage.repository';

/** Under load a transaction may wait for a pooled connection; give it time rather than fail. */
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 20_000 };

export interface NewGeneration {
  id: string;
  ownerId: string;
  organizationId: string | null;
  createdBy: string;
  apiKeyId: string | null;
  mode: 'async' | 'sync';
  kind: GenerationKind;
  sourceFormat: GenerationFormat;
  /** An edit's diagram. */
  diagramId: string | null;
  /** A repair's source. */
  source: string | null;
  prompt: string;
  hint: string | null;
  theme: string;
  format: string;
  name: string | null;
  folderId: string | null;
}

export interface GenerationSuccess {
  source: string;
  diagramType: string;
  model: string;
  /** The diagram to save (async generations); sync ones save nothing. */
  diagram: { name: string } | null;
  /** An edit: the revision of diagram_id it edited, which must still be the newest. */
  edited?: { revision: number };
  /** Whether a model ran: the offline generator and a source that already parsed spend nothing, and release the unit. */
  spend: boolean;
}

/** An edit's diagram was deleted, or changed since the edit read it: the edit fails, nothing is written. */
export class EditRefused extends Error {
  constructor(readonly reason: 'not_found' | 'stale') {
    super(reason === 'not_found' ? 'The diagram was deleted while it was being edited.' : 'The diagram changed while it was being edited; nothing was written. Retry the edit on its newest revision.');
  }
}

/**
 * The BullMQ priority of a generation's job, by its owner's plan, wherever the job is added (the
 * gateway, and recovery in the generation workers). Jobs of paying plans carry none: BullMQ takes
 * every job of the plain wait list before any prioritized one (moveToActive), so a paying owner's
 * generation is never behind a free one's, and it stays in the list that KEDA's scaler counts
 * (deploy/kubernetes/keda-scaledobjects.yaml). Free plans (when PLANS lets them generate) wait in
 * the prioritized set, first come first served among themselves.
 */
export function generationJobPriority(plan: PlanName): number {
  return tierOfPlan(plan) === 'paying' ? 0 : 1;
}

/** Runs in the transaction that makes a generation final, with its final row. */
export type OnFinal = (generation: Generation, tx: Prisma.TransactionClient) => Promise<void>;

async function finalRow(tx: Prisma.TransactionClient, id: string, onFinal?: OnFinal): Promise<Generation | null> {
  const generation = await tx.generation.findUnique({ where: { id } });
  if (generation && onFinal) await onFinal(generation, tx);
  return generation;
}

/**
 * Generations and the AI quota move together: a generation reserves one unit when accepted,
 * and in the same transaction as its final status either spends it (succeeded, diagram saved) or
 * releases it (failed). Status moves queued → processing → succeeded | failed, and no other way.
 */
export class GenerationsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Reserves a unit of the owner's AI quota and records the generation in one statement (the
   * insert runs only if the conditional upsert reserved a unit), so no interactive transaction
   * waits on the pool when hundreds arrive at once. Null when the bucket is spent, or when the owner
   * already has `maxInFlight` generations queued or processing (the caller tells which apart).
   *
   * The month's `ai_reserved` is exactly the owner's generations in flight (reserved on accept,
   * settled with the final status), and the upsert compares it under the counter row's lock, so
   * concurrent submits can never pass the cap; counting generation rows instead would read a
   * snapshot taken before the lock and let a burst through.
   */
  async createWithReservation(generation: NewGeneration, limit: number | null, maxInFlight: number | null = null) {
    if ((limit !== null && limit <= 0) || (maxInFlight !== null && maxInFlight <= 0)) return null;
    const g = generation;
    // The row comes back from the same statement: a second query could fail (the database going
    // away) after the reservation committed, leaving a generation no job will ever run.
    const rows = await this.prisma.$queryRaw<Generation[]>`
      WITH reserved AS (
        INSERT INTO usage_counters (owner_id, period, ai_reserved, updated_at)
        VALUES (${g.ownerId}::uuid, ${usagePeriod()}, 1, now())
        ON CONFLICT (owner_id, period) DO UPDATE
          SET ai_reserved = usage_counters.ai_reserved + 1, updated_at = now()
          WHERE (${limit}::int IS NULL OR usage_counters.ai_used + usage_counters.ai_reserved < ${limit}::int)
            AND (${maxInFlight}::int IS NULL OR usage_counters.ai_reserved < ${maxInFlight}::int)
        RETURNING 1
      )
      INSERT INTO generations (id, owner_id, organization_id, created_by, api_key_id, mode, kind, source_format, diagram_id, mermaid, prompt, hint, theme, format, name, folder_id, updated_at)
      SELECT ${g.id}, ${g.ownerId}::uuid, ${g.organizationId}::uuid, ${g.createdBy}::uuid, ${g.apiKeyId}::uuid, ${g.mode}, ${g.kind}, ${g.sourceFormat}, ${g.diagramId}::uuid,
             ${g.source}, ${g.prompt}, ${g.hint}, ${g.theme}, ${g.format}, ${g.name}, ${g.folderId}::uuid, now()
      FROM reserved
      RETURNING id, owner_id::text AS "ownerId", organization_id::text AS "organizationId", created_by::text AS "createdBy", api_key_id::text AS "apiKeyId",
        status::text AS status, mode, kind, source_format AS "sourceFormat", revision, prompt, hint, theme, format, name, folder_id::text AS "folderId", diagram_id::text AS "diagramId", mermaid,
        diagram_type AS "diagramType", model, error, attempts, created_at AS "createdAt", updated_at AS "updatedAt", started_at AS "startedAt",
        completed_at AS "completedAt"`;
    return rows[0] ?? null;
  }

  findById(id: string) {
    return this.prisma.generation.findUnique({ where: { id } });
  }

  async findVisible(id: string, ownerId: string) {
    const row = await this.prisma.generation.findUnique({ where: { id } });
    return row && row.ownerId === ownerId ? row : null;
  }

  list(ownerId: string, page: PageQuery) {
    return this.prisma.generation.findMany({ where: { ownerId, ...afterPosition(page.after) }, orderBy: NEWEST_FIRST, take: page.limit + 1 });
  }

  /** queued → processing (or processing again after a stalled attempt); null once it is final. */
  async markProcessing(id: string) {
    const { count } = await this.prisma.generation.updateMany({
      where: { id, status: { in: ['queued', 'processing'] } },
      data: { status: 'processing', startedAt: new Date(), attempts: { increment: 1 } },
    });
    return count ? this.findById(id) : null;
  }

  /**
   * processing → succeeded with the diagram saved (or an edit's revision made: EditRefused when it
   * cannot be) and the reserved unit spent, or released when no model ran; null if already final.
   * `onFinal` runs in the same transaction, with the final row (the generation.succeeded webhook event).
   */
  async succeed(id: string, success: GenerationSuccess, onFinal?: OnFinal) {
    return this.prisma.$transaction(async (tx) => {
      const generation = await tx.generation.findUnique({ where: { id } });
      if (!generation || generation.status !== 'processing') return null;
      let diagramId: string | null = generation.diagramId;
      let revision: number | null = null;
      if (success.edited && diagramId) {
        const author = { apiKeyId: generation.apiKeyId, userId: generation.createdBy };
        const outcome = await updateDiagram(tx, diagramId, generation.ownerId, { source: success.source, diagramType: success.diagramType }, author, [success.edited.revision]);
        if (!outcome.ok) throw new EditRefused(outcome.reason);
        revision = outcome.diagram.revision;
      } else if (success.diagram) {
        const diagram = await tx.diagram.create({
          data: {
            ownerId: generation.ownerId,
            organizationId: generation.organizationId,
            createdBy: generation.createdBy,
            folderId: generation.folderId,
            name: success.diagram.name,
            source: success.source,
            sourceFormat: generation.sourceFormat,
            diagramType: success.diagramType,
            revisions: { create: { number: 1, name: success.diagram.name, source: success.source, sourceFormat: generation.sourceFormat, diagramType: success.diagramType, apiKeyId: generation.apiKeyId, createdBy: generation.createdBy } },
          },
        });
        diagramId = diagram.id;
      }
      const { count } = await tx.generation.updateMany({
        where: { id, status: 'processing' },
        data: { status: 'succeeded', completedAt: new Date(), mermaid: success.source, diagramType: success.diagramType, model: success.model, diagramId, revision },
      });
      if (!count) throw new Error(`generation ${id} changed status while completing`);
      const spent = success.spend ? 1 : 0;
      await tx.$executeRaw`
        UPDATE usage_counters SET ai_reserved = GREATEST(ai_reserved - 1, 0), ai_used = ai_used + ${spent}::int, updated_at = now()
        WHERE owner_id = ${generation.ownerId}::uuid AND period = ${usagePeriod(generation.createdAt)}`;
      return finalRow(tx, id, onFinal);
    }, TRANSACTION_OPTIONS);
  }

  /** queued|processing → failed with the error, releasing the reserved unit; null if already final. `onFinal` as for succeed. */
  async fail(id: string, error: { type: string; code: string; message: string }, model: string | null, onFinal?: OnFinal) {
    return this.prisma.$transaction(async (tx) => {
      const generation = await tx.generation.findUnique({ where: { id } });
      if (!generation || (generation.status !== 'queued' && generation.status !== 'processing')) return null;
      const { count } = await tx.generation.updateMany({
        where: { id, status: { in: ['queued', 'processing'] } },
        data: { status: 'failed', completedAt: new Date(), error: error as Prisma.InputJsonValue, model },
      });
      if (!count) return null; // finished (or reaped) since we read it: its unit is already settled
      await tx.$executeRaw`
        UPDATE usage_counters SET ai_reserved = GREATEST(ai_reserved - 1, 0), updated_at = now()
        WHERE owner_id = ${generation.ownerId}::uuid AND period = ${usagePeriod(generation.createdAt)}`;
      return finalRow(tx, id, onFinal);
    }, TRANSACTION_OPTIONS);
  }

  /**
   * Generations that may have lost their job: queued or processing, unmoved for `graceSeconds`, and
   * created less than `maxAgeSeconds` ago (older ones are the reaper's), both by the database's
   * clock. Oldest first, a page of `limit` after the keyset position `after`.
   */
  async recoveryCandidates(graceSeconds: number, maxAgeSeconds: number, limit: number, after?: { updatedAt: Date; id: string }) {
    // The owner's plan (an organization's, else the user's, as keys resolve it) gives the job its priority.
    const rows = await this.prisma.$queryRaw<Array<{ id: string; updatedAt: Date; plan: string | null }>>`
      SELECT g.id, g.updated_at AS "updatedAt", COALESCE(o.plan, u.plan)::text AS plan FROM generations g
      LEFT JOIN organizations o ON o.id = g.owner_id
      LEFT JOIN users u ON u.id = g.owner_id
      WHERE g.status IN ('queued', 'processing')
        AND g.updated_at < now() - make_interval(secs => ${graceSeconds}::double precision)
        AND g.created_at > now() - make_interval(secs => ${maxAgeSeconds}::double precision)
        AND (g.updated_at, g.id) > (${after?.updatedAt ?? new Date(0)}::timestamptz, ${after?.id ?? ''}::text)
      ORDER BY g.updated_at, g.id
      LIMIT ${limit}`;
    return rows.map((row) => ({ id: row.id, updatedAt: row.updatedAt, plan: isPlanName(row.plan) ? row.plan : ('free' as PlanName) }));
  }

  /**
   * Claims lost generations for re-queueing: those of `ids` still queued or processing and unmoved
   * for `graceSeconds` are touched (updated_at = now()) and returned. One statement, so however many
   * workers claim the same row at once, one gets it: the others wait on its row lock, re-check the
   * condition against the touched row and skip it. The touch also gives the new job a whole
   * GENERATION_REAP_AFTER_SECONDS before the reaper would fail it.
   */
  async claimForRecovery(ids: string[], graceSeconds: number): Promise<string[]> {
    if (!ids.length) return [];
    const rows = await this.prisma.$queryRaw<Array<{ id: string }>>`
      UPDATE generations SET updated_at = now()
      WHERE id = ANY(${ids}::text[]) AND status IN ('queued', 'processing')
        AND updated_at < now() - make_interval(secs => ${graceSeconds}::double precision)
      RETURNING id`;
    return rows.map((row) => row.id);
  }

  /**
   * Fails every generation still queued or processing that has not moved since `staleBefore` (its
   * worker is gone for good, or its job was lost), releasing each one's reserved unit, in one
   * statement: rows another reaper holds are skipped and the status is re-checked under the row
   * lock, so however many reapers run at once each generation is failed and released exactly once.
   */
  async reapStale(staleBefore: Date, error: { type: string; code: string; message: string }, limit = 500): Promise<Array<{ id: string; ownerId: string }>> {
    return this.prisma.$queryRaw<Array<{ id: string; ownerId: string }>>`
      WITH stale AS (
        SELECT id FROM generations
        WHERE status IN ('queued', 'processing') AND updated_at < ${staleBefore}
        ORDER BY updated_at
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      ), reaped AS (
        UPDATE generations g
        SET status = 'failed', error = ${JSON.stringify(error)}::jsonb, completed_at = now(), updated_at = now()
        FROM stale
        WHERE g.id = stale.id AND g.status IN ('queued', 'processing')
        RETURNING g.id, g.owner_id, g.created_at
      ), released AS (
        UPDATE usage_counters u
        SET ai_reserved = GREATEST(u.ai_reserved - r.units, 0), updated_at = now()
        FROM (SELECT owner_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM') AS period, count(*)::int AS units FROM reaped GROUP BY 1, 2) r
        WHERE u.owner_id = r.owner_id AND u.period = r.period
        RETURNING 1
      )
      SELECT id, owner_id::text AS "ownerId" FROM reaped`;
  }
}
