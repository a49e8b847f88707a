import type { SourceFormat } from '@flowsmith/contracts';
import type { Diagram as DiagramRow, DiagramRevision as DiagramRevisionRow, Prisma } from '../generated/prisma/client';
import type { PrismaService } from '../prisma.service';
import DataLoader from 'dataloader';
import { afterPosition, NEWEST_FIRST, PageQuery } from '../keyset';

/** A stored diagram; its column holds a name of libs/contracts/src/languages.ts (text, so a new language needs no migration). */
export type Diagram = Omit<DiagramRow, 'sourceFormat'> & { sourceFormat: SourceFormat };

export interface NewDiagram {
  ownerId: string;
  organizationId: string | null;
  createdBy: string;
  folderId: string | null;
  name: string;
  source: string;
  sourceFormat: SourceFormat;
  diagramType: string | null;
}

export interface RenderableDiagram {
  ownerId: string;
  source: string;
  sourceFormat: SourceFormat;
}

export type DiagramChanges = Partial<Pick<NewDiagram, 'name' | 'source' | 'sourceFormat' | 'diagramType' | 'folderId'>>;

/** One immutable version of a diagram's name and source (docs/api.md, "Revisions"). */
export type DiagramRevision = Omit<DiagramRevisionRow, 'sourceFormat'> & { sourceFormat: SourceFormat };

/** Who makes a change: the revision records them. */
export interface RevisionAuthor {
  apiKeyId: string | null;
  userId: string;
}

/** An update refused: no such diagram for this owner, or its revision is not the one the caller read (If-Match). */
export type UpdateOutcome = { ok: true; diagram: Diagram } | { ok: false; reason: 'not_found' | 'stale'; revision?: number };

/** Work that must commit or roll back with a diagram's write: the webhook event of it. */
export type OnWritten<T> = (written: T, tx: Prisma.TransactionClient) => Promise<void>;

/** Fields whose change makes a new revision; a move to another folder does not. */
const REVISED: ReadonlyArray<keyof DiagramChanges> = ['name', 'source', 'sourceFormat'];

/**
 * DiagramsRepository.update inside the caller's transaction (an AI edit's revision commits with its
 * generation's success and quota spend: GenerationsRepository.succeed).
 */
export async function updateDiagram(
  tx: Prisma.TransactionClient, id: string, ownerId: string, changes: DiagramChanges, author: RevisionAuthor, expectedRevisions?: readonly number[],
): Promise<UpdateOutcome> {
  const revised = REVISED.some((field) => changes[field] !== undefined);
  const { count } = await tx.diagram.updateMany({
    where: { id, ownerId, ...(expectedRevisions !== undefined ? { revision: { in: [...expectedRevisions] } } : {}) },
    data: { ...changes, ...(revised ? { revision: { increment: 1 } } : {}) },
  });
  if (count === 0) {
    const current = await tx.diagram.findUnique({ where: { id }, select: { ownerId: true, revision: true } });
    return current && current.ownerId === ownerId ? { ok: false, reason: 'stale', revision: current.revision } : { ok: false, reason: 'not_found' };
  }
  const diagram = (await tx.diagram.findUniqueOrThrow({ where: { id } })) as Diagram;
  if (revised) {
    await tx.diagramRevision.create({
      data: { diagramId: id, number: diagram.revision, name: diagram.name, source: diagram.source, sourceFormat: diagram.sourceFormat, diagramType: diagram.diagramType, apiKeyId: author.apiKeyId, createdBy: author.userId },
    });
  }
  return { ok: true, diagram };
}

export class DiagramsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The diagram and its revision 1, together. */
  /**
   * The diagram and its revision 1, together. `onWritten` runs in the same transaction (the
   * diagram.created webhook event is recorded there), as it does for update and delete.
   */
  async create(diagram: NewDiagram, author: RevisionAuthor, onWritten?: OnWritten<Diagram>): Promise<Diagram> {
    const { name, source, sourceFormat, diagramType } = diagram;
    return this.prisma.$transaction(async (tx) => {
      const created = (await tx.diagram.create({
        data: { ...diagram, revisions: { create: { number: 1, name, source, sourceFormat, diagramType, apiKeyId: author.apiKeyId, createdBy: author.userId } } },
      })) as Diagram;
      await onWritten?.(created, tx);
      return created;
    });
  }

  /**
   * The row if `ownerId` may see it. By primary key alone, then the owner checked here: Prisma
   * batches concurrent findUnique calls into one query, several times faster than findFirst.
   */
  async findVisible(id: string, ownerId: string): Promise<Diagram | null> {
    const row = await this.prisma.diagram.findUnique({ where: { id } });
    return row && row.ownerId === ownerId ? (row as Diagram) : null;
  }

  /**
   * What rendering a diagram needs of it (the image route), if `ownerId` may see it. Not a
   * findUnique: Prisma 6 compiles every model query anew in WebAssembly (~0.7 ms, the largest part
   * of serving a cached image), while findUnique's real gift, batching concurrent reads into one
   * query, is what keeps the route fast under load. So: one plain SQL statement per batch of the
   * reads that arrive together (DataLoader, without its per-key cache: each read sees the row as
   * it is now).
   */
  findRenderable(id: string, ownerId: string): Promise<RenderableDiagram | null> {
    return this.renderables.load(id).then((row) => (row && row.ownerId === ownerId ? row : null));
  }

  private readonly renderables = new DataLoader<string, RenderableDiagram | null>(
    async (ids) => {
      const rows = await this.prisma.$queryRaw<Array<RenderableDiagram & { id: string }>>`
        SELECT id::text AS id, owner_id::text AS "ownerId", source, source_format::text AS "sourceFormat"
        FROM diagrams WHERE id = ANY(${[...ids]}::uuid[])`;
      const byId = new Map(rows.map(({ id, ...row }) => [id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    },
    { cache: false, maxBatchSize: 100 },
  );

  /** `nameContains`: a case-insensitive substring of the name, taken literally (Prisma's `contains` is a LIKE pattern: its wildcards are escaped here). */
  async list(ownerId: string, filter: { folderId?: string | null; nameContains?: string }, page: PageQuery): Promise<Diagram[]> {
    const name = filter.nameContains !== undefined ? { name: { contains: filter.nameContains.replace(/[\\%_]/g, '\\$&'), mode: 'insensitive' as const } } : {};
    return (await this.prisma.diagram.findMany({
      where: { ownerId, ...(filter.folderId !== undefined ? { folderId: filter.folderId } : {}), ...name, ...afterPosition(page.after) },
      orderBy: NEWEST_FIRST,
      take: page.limit + 1,
    })) as Diagram[];
  }

  /**
   * Updates the diagram if the owner sees it and, with `expectedRevisions` (If-Match), if it is still
   * at one of them. A change of name or source makes the next revision, in the same transaction:
   * the conditional `revision = revision + 1` takes the row's lock, so of concurrent updates that
   * read the same revision exactly one passes, and numbers never repeat or skip.
   */
  async update(id: string, ownerId: string, changes: DiagramChanges, author: RevisionAuthor, expectedRevisions?: readonly number[], onWritten?: OnWritten<Diagram>): Promise<UpdateOutcome> {
    return this.prisma.$transaction(async (tx) => {
      const outcome = await updateDiagram(tx, id, ownerId, changes, author, expectedRevisions);
      if (outcome.ok) await onWritten?.(outcome.diagram, tx);
      return outcome;
    });
  }

  /** Revisions of a diagram the caller has already been allowed to see, newest first, after `before` (a revision number). */
  async listRevisions(diagramId: string, page: { limit: number; before?: number }): Promise<DiagramRevision[]> {
    return (await this.prisma.diagramRevision.findMany({
      where: { diagramId, ...(page.before !== undefined ? { number: { lt: page.before } } : {}) },
      orderBy: { number: 'desc' },
      take: page.limit + 1,
    })) as DiagramRevision[];
  }

  async findRevision(diagramId: string, number: number): Promise<DiagramRevision | null> {
    return (await this.prisma.diagramRevision.findUnique({ where: { diagramId_number: { diagramId, number } } })) as DiagramRevision | null;
  }

  async delete(id: string, ownerId: string, onWritten?: OnWritten<{ id: string }>): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.diagram.deleteMany({ where: { id, ownerId } });
      if (count > 0) await onWritten?.({ id }, tx);
      return count > 0;
    });
  }
}
