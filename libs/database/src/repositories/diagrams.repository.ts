import type { SourceFormat } from '@flowsmith/contracts';
import type { PrismaService } from '../prisma.service';
import DataLoader from 'dataloader';
import { afterPosition, NEWEST_FIRST, PageQuery } from '../keyset';

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

export class DiagramsRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(diagram: NewDiagram) {
    return this.prisma.diagram.create({ data: diagram });
  }

  /**
   * The row if `ownerId` may see it. By primary key alone, then the owner checked here: Prisma
   * batches concurrent findUnique calls into one query, several times faster than findFirst.
   */
  async findVisible(id: string, ownerId: string) {
    const row = await this.prisma.diagram.findUnique({ where: { id } });
    return row && row.ownerId === ownerId ? row : null;
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

  list(ownerId: string, filter: { folderId?: string | null }, page: PageQuery) {
    return this.prisma.diagram.findMany({
      where: { ownerId, ...(filter.folderId !== undefined ? { folderId: filter.folderId } : {}), ...afterPosition(page.after) },
      orderBy: NEWEST_FIRST,
      take: page.limit + 1,
    });
  }

  /** Updates the diagram if the owner sees it; null otherwise. */
  async update(id: string, ownerId: string, changes: DiagramChanges) {
    const { count } = await this.prisma.diagram.updateMany({ where: { id, ownerId }, data: changes });
    return count === 0 ? null : this.findVisible(id, ownerId);
  }

  async delete(id: string, ownerId: string): Promise<boolean> {
    const { count } = await this.prisma.diagram.deleteMany({ where: { id, ownerId } });
    return count > 0;
  }
}
