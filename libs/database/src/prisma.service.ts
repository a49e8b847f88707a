import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';
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
