import type { PrismaService } from '../prisma.service';
import { afterPosition, NEWEST_FIRST, PageQuery } from '../keyset';

export interface NewApiKey {
  name: string;
  hash: string;
  prefix: string;
  scopes: string[];
  userId: string;
  organizationId: string | null;
  expiresAt: Date | null;
}

const WITH_OWNER_PLAN = { user: { select: { plan: true } }, organization: { select: { plan: true } } } as const;

export class ApiKeysRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(key: NewApiKey) {
    return this.prisma.apiKey.create({ data: { ...key, ownerId: key.organizationId ?? key.userId } });
  }

  /** The key with what authentication needs: its owner's plan. */
  findByHash(hash: string) {
    return this.prisma.apiKey.findUnique({ where: { hash }, include: WITH_OWNER_PLAN });
  }

  /** The same by id: a browser session holds its key's id, never its secret. */
  findById(id: string) {
    return this.prisma.apiKey.findUnique({ where: { id }, include: WITH_OWNER_PLAN });
  }

  /**
   * The row if `ownerId` may see it. By primary key alone, then the owner checked here: Prisma
   * batches concurrent findUnique calls into one query, several times faster than findFirst.
   */
  async findVisible(id: string, ownerId: string) {
    const row = await this.prisma.apiKey.findUnique({ where: { id } });
    return row && row.ownerId === ownerId ? row : null;
  }

  list(ownerId: string, page: PageQuery) {
    return this.prisma.apiKey.findMany({
      where: { ownerId, ...afterPosition(page.after) },
      orderBy: NEWEST_FIRST,
      take: page.limit + 1,
    });
  }

  /** Revokes the key if the owner sees it; revoking twice keeps the first time. */
  async revoke(id: string, ownerId: string) {
    await this.prisma.apiKey.updateMany({ where: { id, ownerId, revokedAt: null }, data: { revokedAt: new Date() } });
    return this.findVisible(id, ownerId);
  }

  async touchLastUsed(id: string, at: Date): Promise<void> {
    await this.prisma.apiKey.update({ where: { id }, data: { lastUsedAt: at } });
  }
}
