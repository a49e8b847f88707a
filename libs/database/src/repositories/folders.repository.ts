import type { PrismaService } from '../prisma.service';
import { afterPosition, NEWEST_FIRST, PageQuery } from '../keyset';

export interface NewFolder {
  ownerId: string;
  organizationId: string | null;
  createdBy: string;
  name: string;
  parentId: string | null;
  context: string | null;
}

export type FolderChanges = Partial<Pick<NewFolder, 'name' | 'parentId' | 'context'>>;

export class FoldersRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(folder: NewFolder) {
    return this.prisma.folder.create({ data: folder });
  }

  /**
   * The row if `ownerId` may see it. By primary key alone, then the owner checked here: Prisma
   * batches concurrent findUnique calls into one query, several times faster than findFirst.
   */
  async findVisible(id: string, ownerId: string) {
    const row = await this.prisma.folder.findUnique({ where: { id } });
    return row && row.ownerId === ownerId ? row : null;
  }

  list(ownerId: string, filter: { parentId?: string | null }, page: PageQuery) {
    return this.prisma.folder.findMany({
      where: { ownerId, ...(filter.parentId !== undefined ? { parentId: filter.parentId } : {}), ...afterPosition(page.after) },
      orderBy: NEWEST_FIRST,
      take: page.limit + 1,
    });
  }

  /**
   * Applies changes. A move is checked for cycles inside a transaction that holds the owner's
   * folder-tree lock, so two concurrent moves cannot build a loop between them.
   * Returns 'cycle' when `parentId` is the folder itself or one of its descendants.
   */
  async update(id: string, ownerId: string, changes: FolderChanges) {
    return this.prisma.$transaction(async (tx) => {
      if (changes.parentId) {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${'folders:' + ownerId}, 0))`;
        for (let cursor: string | null = changes.parentId; cursor; ) {
          if (cursor === id) return 'cycle' as const;
          const parent: { parentId: string | null } | null = await tx.folder.findUnique({
            where: { id: cursor },
            select: { parentId: true },
          });
          cursor = parent?.parentId ?? null;
        }
      }
      return tx.folder.update({ where: { id }, data: changes });
    });
  }

  /**
   * Deletes the folder. With `moveContents`, its diagrams and sub-folders first move to its parent,
   * all in one transaction; without it, a folder that still holds anything is left alone and
   * 'not_empty' is returned.
   */
  async delete(id: string, ownerId: string, moveContents: boolean) {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${'folders:' + ownerId}, 0))`;
      const folder = await tx.folder.findFirst({ where: { id, ownerId } });
      if (!folder) return 'not_found' as const;
      if (moveContents) {
        await tx.folder.updateMany({ where: { parentId: id }, data: { parentId: folder.parentId } });
        await tx.diagram.updateMany({ where: { folderId: id }, data: { folderId: folder.parentId } });
      } else {
        const [child, diagram] = await Promise.all([
          tx.folder.findFirst({ where: { parentId: id }, select: { id: true } }),
          tx.diagram.findFirst({ where: { folderId: id }, select: { id: true } }),
        ]);
        if (child || diagram) return 'not_empty' as const;
      }
      await tx.folder.delete({ where: { id } });
      return 'deleted' as const;
    });
  }
}
