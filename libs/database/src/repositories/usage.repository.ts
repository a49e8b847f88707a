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

  /**
   * Spends one export if the month's bucket allows (`limit` null: unlimited), atomically: the
   * conditional upsert is one statement, so concurrent spends never pass the limit.
   * Returns the new count, or null when the bucket is spent.
   */
  async spendExport(ownerId: string, period: string, limit: number | null): Promise<number | null> {
    if (limit !== null && limit <= 0) return null;
    const rows = await this.prisma.$queryRaw<Array<{ exports_used: number }>>`
      INSERT INTO usage_counters (owner_id, period, exports_used, updated_at)
      VALUES (${ownerId}::uuid, ${period}, 1, now())
      ON CONFLICT (owner_id, period) DO UPDATE
        SET exports_used = usage_counters.exports_used + 1, updated_at = now()
        WHERE ${limit}::int IS NULL OR usage_counters.exports_used < ${limit}::int
      RETURNING exports_used`;
    return rows[0]?.exports_used ?? null;
  }

  activeShares(ownerId: string): Promise<number> {
    return this.prisma.share.count({ where: { ownerId, revokedAt: null } });
  }
}
