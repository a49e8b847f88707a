import { randomBytes } from 'node:crypto';
import type { PlanName, Scope } from '@flowsmith/contracts';
import { PrismaService } from '@flowsmith/database';
import { provisionKey } from '@flowsmith/identity';

let prisma: PrismaService | undefined;

/** The run's database, for arranging data directly and for checking that nothing was written. */
export function testPrisma(): PrismaService {
  prisma ??= new PrismaService(process.env.DATABASE_URL!, 4);
  return prisma;
}

export async function closeTestPrisma(): Promise<void> {
  await prisma?.$disconnect();
  prisma = undefined;
}

export interface TestKeyOptions {
  plan?: PlanName;
  scopes?: Scope[];
  organization?: string;
  email?: string;
  expiresAt?: Date | null;
}

/** A key of a fresh user (or of `organization`), so specs never see each other's data. */
export async function createTestKey(options: TestKeyOptions = {}) {
  const tag = randomBytes(4).toString('hex');
  const created = await provisionKey(testPrisma(), {
    plan: options.plan ?? 'premium',
    scopes: options.scopes,
    organization: options.organization,
    userEmail: options.email ?? `user-${tag}@test.flowsmith.localhost`,
    name: `test ${tag}`,
    keyPrefix: 'fs_test_',
    expiresAt: options.expiresAt ?? null,
  });
  return { secret: created.secret, id: created.key.id, userId: created.user.id, ownerId: created.key.ownerId, organizationId: created.organizationId };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
