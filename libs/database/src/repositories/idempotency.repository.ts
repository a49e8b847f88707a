import { Prisma } from '../generated/prisma/client';
import type { PrismaService } from '../prisma.service';

export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer;
}

export type BeginResult =
  | { state: 'started'; id: string }
  | { state: 'in_progress' | 'mismatch' }
  | { state: 'completed'; response: StoredResponse };

export class IdempotencyRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Claims (scope, key) for a request, or says what happened to the request that claimed it first.
   * The unique index makes the claim atomic across every gateway instance.
   */
  async begin(scope: string, key: string, requestHash: string, ttlMs: number): Promise<BeginResult> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const row = await this.prisma.idempotencyRecord.create({
          data: { scope, key, requestHash, expiresAt: new Date(Date.now() + ttlMs) },
          select: { id: true },
        });
        return { state: 'started', id: row.id };
      } catch (error) {
        if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== 'P2002') throw error;
      }
      const existing = await this.prisma.idempotencyRecord.findUnique({ where: { scope_key: { scope, key } } });
      if (!existing) continue; // released between our insert and read: claim again
      if (existing.expiresAt.getTime() <= Date.now()) {
        await this.prisma.idempotencyRecord.deleteMany({ where: { id: existing.id, expiresAt: { lte: new Date() } } });
        continue;
      }
      if (existing.requestHash !== requestHash) return { state: 'mismatch' };
      if (!existing.completedAt || existing.statusCode === null || !existing.responseBody) return { state: 'in_progress' };
      return {
        state: 'completed',
        response: {
          statusCode: existing.statusCode,
          headers: (existing.responseHeaders ?? {}) as Record<string, string>,
          body: Buffer.from(existing.responseBody),
        },
      };
    }
    return { state: 'in_progress' };
  }

  async complete(id: string, response: StoredResponse): Promise<void> {
    await this.prisma.idempotencyRecord.update({
      where: { id },
      data: {
        statusCode: response.statusCode,
        responseHeaders: response.headers,
        responseBody: new Uint8Array(response.body),
        completedAt: new Date(),
      } as Prisma.IdempotencyRecordUpdateInput,
    });
  }

  /** Forgets a claim whose request failed, so the client may retry with the same key. */
  async release(id: string): Promise<void> {
    await this.prisma.idempotencyRecord.deleteMany({ where: { id, completedAt: null } });
  }

  async purgeExpired(now = new Date()): Promise<number> {
    const { count } = await this.prisma.idempotencyRecord.deleteMany({ where: { expiresAt: { lte: now } } });
    return count;
  }
}
