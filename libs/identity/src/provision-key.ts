import { isScope, PlanName, Scope, SCOPES } from '@flowsmith/contracts';
import { AccountsRepository, ApiKeysRepository, PrismaService } from '@flowsmith/database';
import { mintSecret } from './api-key-secret';

export interface ProvisionKeyOptions {
  plan?: PlanName;
  scopes?: Scope[];
  organization?: string;
  userEmail?: string;
  name?: string;
  keyPrefix?: 'fs_live_' | 'fs_test_';
  expiresAt?: Date | null;
}

export const LOCAL_USER_EMAIL = 'local@flowsmith.localhost';

/**
 * Creates an API key for an operator or a fresh install, creating the user (and organization)
 * that do not exist yet. The plan lands on the owner: the organization if one is named, else the user.
 */
export async function provisionKey(prisma: PrismaService, options: ProvisionKeyOptions = {}) {
  const accounts = new AccountsRepository(prisma);
  const keys = new ApiKeysRepository(prisma);
  const plan = options.plan ?? 'premium';
  const scopes = options.scopes ?? [...SCOPES];
  const bad = scopes.filter((scope) => !isScope(scope));
  if (bad.length) throw new Error(`Unknown scope(s): ${bad.join(', ')}. Scopes: ${SCOPES.join(', ')}`);

  const explicitPlan = options.plan !== undefined;
  const user = await accounts.ensureUser(
    options.userEmail ?? LOCAL_USER_EMAIL,
    options.organization ? 'free' : plan,
    explicitPlan && !options.organization,
  );
  let organizationId: string | null = null;
  let ownerPlan: PlanName = user.plan;
  if (options.organization) {
    const organization = await accounts.ensureOrganization(options.organization, plan, explicitPlan);
    await accounts.ensureMembership(user.id, organization.id, 'owner');
    organizationId = organization.id;
    ownerPlan = organization.plan;
  }
  const minted = mintSecret(options.keyPrefix ?? 'fs_live_');
  const key = await keys.create({
    name: options.name ?? 'default',
    hash: minted.hash,
    prefix: minted.prefix,
    scopes,
    userId: user.id,
    organizationId,
    expiresAt: options.expiresAt ?? null,
  });
  return { key, secret: minted.secret, user, organizationId, plan: ownerPlan };
}
