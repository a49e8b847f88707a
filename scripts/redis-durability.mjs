// Says whether the Redis that REDIS_URL names would lose queued jobs: no persistence (a restart
// empties the queues) or an evicting maxmemory-policy (memory pressure deletes job keys). It only
// reads (CONFIG GET) and never changes a Redis it did not start. Prints one warning line per
// problem on stderr and exits 0 either way; `--quiet` prints nothing when all is well.
// Usage: node scripts/redis-durability.mjs [--quiet]
import { Redis } from 'ioredis';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const quiet = process.argv.includes('--quiet');
const where = (() => {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 6379}`;
})();
const warn = (line) => process.stderr.write(`\x1b[1;33m!\x1b[0m ${line}\n`);

const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000, commandTimeout: 2000 });
redis.on('error', () => undefined); // reported below, once
try {
  await redis.connect();
  const config = async (name) => (await redis.call('CONFIG', 'GET', name))[1] ?? '';
  let appendonly, save, policy;
  try {
    [appendonly, save, policy] = [await config('appendonly'), await config('save'), await config('maxmemory-policy')];
  } catch (error) {
    // Managed services often rename or forbid CONFIG.
    warn(`Redis at ${where}: could not read its configuration (${error.message}); make sure it persists (appendonly yes, appendfsync everysec) and never evicts (maxmemory-policy noeviction): deploy/README.md`);
    process.exit(0);
  }
  const problems = [];
  if (appendonly !== 'yes') {
    problems.push(
      save.trim()
        ? `keeps only RDB snapshots (save "${save}"): a crash loses the jobs accepted since the last one`
        : 'keeps nothing on disk (appendonly no, no snapshots): a restart loses every queued job',
    );
  }
  if (policy !== 'noeviction') problems.push(`evicts keys under memory pressure (maxmemory-policy ${policy}): it may delete queued jobs`);
  if (problems.length) {
    warn(`Redis at ${where} was already running, so Flowsmith did not start its own, and it ${problems.join('; and it ')}.`);
    warn('  Generations whose jobs vanish are queued again by the generation workers within a minute; other work is lost.');
    warn(`  Fix it without a restart: redis-cli -h ${where.replace(/:\d+$/, '')} -p ${where.replace(/^.*:/, '')} CONFIG SET appendonly yes (and CONFIG SET maxmemory-policy noeviction),`);
    warn('  or restart it with deploy/redis.conf (what npm run up uses when it starts Redis itself).');
  } else if (!quiet) {
    console.error(`Redis at ${where}: persistent (append-only file) and never evicting`);
  }
} catch (error) {
  warn(`Redis at ${where}: could not check its persistence (${error.message})`);
} finally {
  redis.disconnect();
}
