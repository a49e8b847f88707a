import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';
import type { FactoryProvider } from '@nestjs/common';
import { parseDatabaseUrl } from './database-url';

/** The one Prisma client of a process. Only repositories use it. */
export class PrismaService extends PrismaClient {
  constructor(databaseUrl: string, poolSize = 10) {
    const { pool, schema } = parseDatabaseUrl(databaseUrl, poolSize);
    super({ adapter: new PrismaPg(pool, schema ? { schema } : undefined) });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }

  /** A cheap round trip for readiness checks. */
  async ping(): Promise<void> {
    await this.$queryRaw`SELECT 1`;
  }
}

/**
 * A worker's readiness check of its database (a `database` entry, 'ok' once a round trip answers),
 * provided under the worker runtime's token (READINESS_CHECKS of libs/queue/src/worker-bootstrap.ts).
 */
export function databaseReadiness(token: symbol): FactoryProvider {
  return {
    provide: token,
    useFactory: (prisma: PrismaService) => ({
      database: async () => {
        await prisma.ping();
        return 'ok' as const;
      },
    }),
    inject: [PrismaService],
  };
}
