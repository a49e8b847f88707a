import 'reflect-metadata';
import 'dotenv/config';
import { parseArgs } from 'node:util';
import { loadEnv, WithDatabase, BaseEnv } from '@flowsmith/config';
import { isPlanName, isScope, Scope, SCOPES } from '@flowsmith/contracts';
import { PrismaService } from '@flowsmith/database';
import { announceRevocation, provisionKey } from '@flowsmith/identity';
import { createRedis } from '@flowsmith/queue';
import { IsIn } from 'class-validator';
import { Expose } from 'class-transformer';

class KeyCommandEnv extends WithDatabase(BaseEnv) {
  @Expose() @IsIn(['fs_live_', 'fs_test_'])
  API_KEY_PREFIX: 'fs_live_' | 'fs_test_' = 'fs_live_';
}

const USAGE = `Usage:
  npm run --silent key -- create [--plan free|pro|premium] [--scopes a,b,...] [--org NAME] [--user EMAIL] [--name NAME] [--expires ISO8601]
  npm run --silent key -- revoke KEY_ID

create makes the user (and organization) that do not exist yet and prints the new secret alone
on the last line of stdout. Defaults: plan premium, every scope, the local user.
Scopes: ${SCOPES.join(', ')}`;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      plan: { type: 'string' },
      scopes: { type: 'string' },
      org: { type: 'string' },
      user: { type: 'string' },
      name: { type: 'string' },
      expires: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) return void console.log(USAGE);
  const env = loadEnv(KeyCommandEnv);
  const prisma = new PrismaService(env.DATABASE_URL, 2);
  try {
    if (command === 'create') {
      if (values.plan !== undefined && !isPlanName(values.plan)) fail(`--plan must be one of: free, pro, premium\n\n${USAGE}`);
      const scopes = values.scopes?.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = scopes?.filter((s) => !isScope(s)) ?? [];
      if (unknown.length) fail(`Unknown scope(s): ${unknown.join(', ')}\nScopes: ${SCOPES.join(', ')}`);
      const expiresAt = values.expires ? new Date(values.expires) : null;
      if (expiresAt && Number.isNaN(expiresAt.getTime())) fail('--expires must be an ISO 8601 timestamp');
      const created = await provisionKey(prisma, {
        plan: values.plan as 'free' | 'pro' | 'premium' | undefined,
        scopes: scopes as Scope[] | undefined,
        organization: values.org,
        userEmail: values.user,
        name: values.name,
        keyPrefix: env.API_KEY_PREFIX,
        expiresAt,
      });
      console.log(`Created key ${created.key.id} (${created.key.prefix}...) for ${created.user.email}` +
        `${created.organizationId ? ` in organization ${values.org}` : ''}, plan ${created.plan}, scopes: ${created.key.scopes.join(',')}`);
      console.log(created.secret);
    } else if (command === 'revoke') {
      const id = rest[0] ?? fail(USAGE);
      const { count } = await prisma.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
      const redis = createRedis(env, 'queue');
      try {
        await announceRevocation(redis, env.REDIS_PREFIX, id);
      } finally {
        redis.disconnect();
      }
      console.log(count ? `Revoked key ${id}` : `No active key ${id}`);
    } else {
      fail(USAGE);
    }
  } finally {
    await prisma.$disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
