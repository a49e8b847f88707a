import type { SourceFormat } from '@flowsmith/contracts';
import type { Share as ShareRow } from '../generated/prisma/client';
import type { PrismaService } from '../prisma.service';
import type { Transaction } from './webhooks.repository';
import { afterPosition, NEWEST_FIRST, PageQuery } from '../keyset';

/** A share; a copied source's column holds a name of libs/contracts/src/languages.ts. */
export type Share = Omit<ShareRow, 'sourceFormat'> & { sourceFormat: SourceFormat | null };

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
  /** The diagram's revision the share shows; null follows the newest (or a share of a source). */
  revision: number | null;
}

export class SharesRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Creates a share unless the owner already has `cap` active ones (null: no cap). The owner's
   * lock makes count-then-insert atomic, so concurrent requests cannot pass the cap.
   * `onCreated` runs in the same transaction (the share.created webhook event is recorded there).
   */
  async createWithinCap(share: NewShare, cap: number | null, onCreated?: (share: Share, tx: Transaction) => Promise<void>): Promise<Share | null> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${'shares:' + share.ownerId}, 0))`;
      if (cap !== null) {
        const active = await tx.share.count({ where: { ownerId: share.ownerId, revokedAt: null } });
        if (active >= cap) return null;
      }
      const created = (await tx.share.create({ data: share })) as Share;
      await onCreated?.(created, tx);
      return created;
    });
  }

  /** An active share with what its public rendering needs. */
  async findActive(id: string): Promise<Share | null> {
    const share = await this.prisma.share.findUnique({ where: { id } });
    return share && !share.revokedAt ? (share as Share) : null;
  }

  async list(ownerId: string, page: PageQuery): Promise<Share[]> {
    return (await this.prisma.share.findMany({
      where: { ownerId, revokedAt: null, ...afterPosition(page.after) },
      orderBy: NEWEST_FIRST,
      take: page.limit + 1,
    })) as Share[];
  }

  async revoke(id: string, ownerId: string): Promise<boolean> {
    const { count } = await this.prisma.share.updateMany({ where: { id, ownerId, revokedAt: null }, data: { revokedAt: new Date() } });
    return count > 0;
  }
}
