import type { PrismaService } from '../prisma.service';

/** The UTC month a moment falls in, as the counters key it: `2026-11`. */
export function usagePeriod(at: Date = new Date()): string {
  return at.toISOString().slice(0, 7);
}

/** 00:00 UTC on the 1st of the next month: when the monthly buckets reset. */
export function periodResetsAt(at: Date = new Date()): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
}

export class UsageRepository {
  constructor(private readonly prisma: PrismaService) {}

  async counters(ownerId: string, period: string) {
    const row = await this.prisma.usageCounter.findUnique({ where: { ownerId_period: { ownerId, period } } });
    return { exportsUsed: row?.exportsUsed ?? 0, aiUsed: row?.aiUsed ?? 0, aiReserved: row?.aiReserved ?? 0 };
  }

  activeShares(ownerId: string): Promise<number> {
    return this.prisma.share.count({ where: { ownerId, revokedAt: null } });
  }
}
