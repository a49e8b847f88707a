import type { SourceFormat } from '@flowsmith/contracts';
import type { PrismaService } from '../prisma.service';
import { afterPosition, NEWEST_FIRST, PageQuery } from '../keyset';

export interface NewShare {
  id: string;
  ownerId: string;
  organizationId: string | null;
  createdBy: string;
  diagramId: string | null;
  source: string | null;
  sourceFormat: SourceFormat | null;
  theme: string;
  /** Mermaid only (libs/contracts/src/rendering.ts MERMAID_LAYOUTS, MERMAID_LOOKS); null: the engine's default. */
  layout: string | null;
  look: string | null;
}

export class SharesRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Creates a share unless the owner already has `cap` active ones (null: no cap). The owner's
   * lock makes count-then-insert atomic, so concurrent requests cannot pass the cap.
   */
  async createWithinCap(share: NewShare, cap: number | null) {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${'shares:' + share.ownerId}, 0))`;
      if (cap !== null) {
        const active = await tx.share.count({ where: { ownerId: share.ownerId, revokedAt: null } });
        if (active >= cap) return null;
      }
      return tx.share.create({ data: share });
    });
  }

  /** An active share with what its public rendering needs. */
  async findActive(id: string) {
    const share = await this.prisma.share.findUnique({ where: { id } });
    return share && !share.revokedAt ? share : null;
  }

  list(ownerId: string, page: PageQuery) {
    return this.prisma.share.findMany({
      where: { ownerId, revokedAt: null, ...afterPosition(page.after) },
      orderBy: NEWEST_FIRST,
      take: page.limit + 1,
    });
  }

  async revoke(id: string, ownerId: string): Promise<boolean> {
    const { count } = await this.prisma.share.updateMany({ where: { id, ownerId, revokedAt: null }, data: { revokedAt: new Date() } });
    return count > 0;
  }
}
