import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { QueueName } from '@flowsmith/contracts';
import { revocationChannel } from '@flowsmith/identity';
import { createRedis, liveWorkers, RedisClient, RedisSettings } from '@flowsmith/queue';
import {
  closeTestPrisma, createTestKey, exited, expectError, PrivateRedis, redisCli, RunningGateway, spawnWorker, startGateway, startPrivateCluster, waitForFirstRender,
  startPrivateSentinel, TestClient,
} from '@flowsmith/testing';
import type { PrivateSentinel } from '@flowsmith/testing';
import { ApiKeyAuthenticator } from '../src/auth/api-key-authenticator';
import { createGateway } from '../src/gateway';

/**
 * The gateway and a render worker against a private Redis Cluster (3 masters) and a private
 * Sentinel setup (master, replica, one Sentinel), configured by env alone as in production.
 */
interface Stack {
  name: string;
  prefix: string;
  env: Record<string, string>;
  redis: PrivateRedis;
  client: RedisClient;
  gateway: RunningGateway;
  worker: ChildProcess;
}

const stacks: Partial<Record<'cluster' | 'sentinel', Stack>> = {};
const started: Array<() => Promise<unknown>> = [];

async function until<T>(what: string, probe: () => Promise<T | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => false as const);
    if (value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** SCAN goes to one node; in Cluster every master holds part of the keyspace. */
async function keysLike(client: RedisClient, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of client instanceof Cluster ? client.nodes('master') : [client]) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  return found;
}

async function startStack(name: 'cluster' | 'sentinel', redis: PrivateRedis, topologyEnv: Record<string, string>): Promise<Stack> {
  // A hash-tagged prefix of the spec's own: the Cluster needs it, and Sentinel is fine with it.
  const prefix = `{t${randomBytes(3).toString('hex')}}:`;
  const env = { ...topologyEnv, REDIS_PREFIX: prefix };
  const settings = { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_SENTINEL_NAME: 'mymaster', ...env } as RedisSettings;
  const client = createRedis(settings, 'queue');
  started.push(async () => client.disconnect());
  const worker = spawnWorker('render-worker', { ...env, RENDER_PAGES: '1' });
  started.push(async () => {
    worker.kill('SIGKILL');
    await exited(worker);
  });
  const running = await startGateway(createGateway, env);
  // Closed by the shutdown test, or by afterAll if that never ran: once either way.
  let closing: Promise<void> | undefined;
  const gateway = { ...running, close: () => (closing ??= running.close()) };
  started.push(() => gateway.close());
  await until(`a render worker on the ${name}`, async () => (await liveWorkers(client, prefix, QueueName.Render, 1)) > 0 || false, 40_000);
  // The worker takes jobs once its engines are warm: one render first, so the tests run within the 10 s budget.
  await waitForFirstRender(gateway.url, 90_000);
  return { name, prefix, env, redis, client, gateway, worker };
}

/** A flowchart of its own per call, so the first render of it is never a cache hit. */
const flowchart = (tag: string) => `graph TD\n  A${tag}[Start] --> B${tag}{Ready?}\n  B${tag} -->|yes| C${tag}[Ship]`;

beforeAll(async () => {
  const [cluster, sentinel] = await Promise.all([startPrivateCluster(3), startPrivateSentinel('mymaster')]);
  started.push(() => cluster.stop(), () => sentinel.stop());
  // Both stacks boot at once (two Chromiums), each against its own topology.
  const [a, b] = await Promise.all([
    startStack('cluster', cluster, { REDIS_CLUSTER_NODES: cluster.seeds }),
    startStack('sentinel', sentinel, { REDIS_SENTINELS: sentinel.sentinels, REDIS_SENTINEL_NAME: sentinel.name }),
  ]);
  stacks.cluster = a;
  stacks.sentinel = b;
  // Two workers' first renders at once: seconds on a quiet machine, most of a minute under load.
}, 240_000);

afterAll(async () => {
  // Gateways and workers first, the Redis processes and their temp dirs last; every step runs even if one fails.
  for (const stop of started.reverse()) await stop().catch(() => undefined);
  await closeTestPrisma();
}, 90_000);

describe.each(['cluster', 'sentinel'] as const)('Redis %s', (name) => {
  const stack = () => stacks[name]!;

  it('creates a key that authenticates and is rate limited, renders through the queue, caches, and revokes', async () => {
    const { gateway, client, prefix } = stack();
    const admin = new TestClient(gateway.url, (await createTestKey()).secret);
    const created = await admin.post('/api/v1/keys', { name: `${name} key`, scopes: ['render:write', 'usage:read'] });
    expect(created.status).toBe(201);
    const key = new TestClient(gateway.url, created.body.secret);

    // Rate limits count in this topology's Redis (the Lua script with the revocation marker and the buckets).
    const first = await key.get('/api/v1/usage');
    const second = await key.get('/api/v1/usage');
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.headers.get('ratelimit-limit')).toBe('120');
    expect(Number(first.headers.get('ratelimit-remaining')) - Number(second.headers.get('ratelimit-remaining'))).toBe(1);
    expect(await keysLike(client, `${prefix}rl:*`)).not.toHaveLength(0);

    // A stateless render goes through the queue to the worker, which fills the shared cache.
    const body = { source: flowchart(name), source_format: 'mermaid' };
    const lru = `${prefix}rc:{cache}:lru`;
    const cachedBefore = await client.zrange(lru, '0', '-1');
    const rendered = await key.post('/api/v1/beautify', body);
    expect(rendered.status).toBe(200);
    expect(rendered.body.svg).toMatch(/^<svg/);
    expect(await keysLike(client, `${prefix}bull:render:*`)).not.toHaveLength(0);
    const entries = (await client.zrange(lru, '0', '-1')).filter((entry) => !cachedBefore.includes(entry));
    expect(entries).toHaveLength(1);

    // Mark the cached entry: the second request returns the mark, so it came from the cache.
    const marker = `<svg xmlns="http://www.w3.org/2000/svg" data-cache="${name}"></svg>`;
    await client.hset(`${prefix}rc:{cache}:e:${entries[0]}`, 'data', marker);
    const again = await key.post('/api/v1/beautify', body);
    expect(again.status).toBe(200);
    expect(again.body.svg).toBe(marker);

    // Revocation: the marker stops the key at once, and the pub/sub feed reaches the gateway's subscriber.
    const authenticator = gateway.app.get(ApiKeyAuthenticator);
    const evicted = new Promise<string>((resolve) => {
      const evict = authenticator.evict.bind(authenticator);
      authenticator.evict = (keyId: string) => (evict(keyId), resolve(keyId));
    });
    const listener = createRedis({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_SENTINEL_NAME: 'mymaster', ...stack().env } as RedisSettings, 'queue');
    try {
      const heard = new Promise<string>((resolve) => listener.on('message', (_channel: string, keyId: string) => resolve(keyId)));
      await listener.subscribe(revocationChannel(prefix));
      expect((await admin.delete(`/api/v1/keys/${created.body.id}`)).status).toBe(200);
      await expect(heard).resolves.toBe(created.body.id);
      await expect(evicted).resolves.toBe(created.body.id);
    } finally {
      listener.disconnect();
    }
    expectError(await key.get('/api/v1/usage'), { status: 401, type: 'authentication_error', code: 'invalid_api_key' });
  }, 90_000);
});

describe('Redis sentinel failover', () => {
  it('renders again once Sentinel has promoted the replica', async () => {
    const { gateway, redis, client } = stacks.sentinel!;
    const sentinel = redis as PrivateSentinel;
    const key = new TestClient(gateway.url, (await createTestKey()).secret);
    const before = await sentinel.masterPort();
    expect((await key.post('/api/v1/beautify', { source: flowchart('before'), source_format: 'mermaid' })).status).toBe(200);

    const failedOverAt = Date.now();
    const after = await sentinel.failover();
    expect(after).not.toBe(before);
    expect(after).toBe(sentinel.replica.port);

    // Connections to the old master are killed by Sentinel; every client finds the new master through it.
    const body = { source: flowchart('after'), source_format: 'mermaid' };
    const rendered = await until('a render after the failover', async () => {
      const response = await key.post('/api/v1/beautify', body);
      return response.status === 200 ? response : false;
    }, 20_000);
    expect(rendered.body.svg).toMatch(/^<svg/);
    expect(await client.call('ROLE')).toEqual(expect.arrayContaining(['master']));
    // The worker that rendered it wrote the cache on the new master.
    expect(Number(await client.get(`${stacks.sentinel!.prefix}rc:{cache}:bytes`))).toBeGreaterThan(0);
    console.log(`sentinel failover: a render succeeded ${Date.now() - failedOverAt} ms after SENTINEL FAILOVER`);
  }, 90_000);
});

describe.each(['cluster', 'sentinel'] as const)('Redis %s shutdown', (name) => {
  it('leaves no connection of the gateway or the worker open', async () => {
    const { gateway, worker, client, redis } = stacks[name]!;
    worker.kill('SIGTERM');
    const [code] = await Promise.all([exited(worker), gateway.close()]);
    expect(['0', 'SIGTERM']).toContain(code); // Nest re-raises the signal once it has closed
    client.disconnect();
    // Whatever is left on the data nodes besides redis-cli itself, replication links and Sentinel's own.
    const leftOpen = async () => {
      const left: string[] = [];
      for (const node of redis.nodes.filter((n) => n.process.exitCode === null && n !== (redis as PrivateSentinel).sentinel)) {
        const clients = (await redisCli(node.port, 'CLIENT', 'LIST')).split('\n');
        left.push(...clients.filter((line) => !/cmd=client\|list|flags=[A-Za-z]*S|name=sentinel-/.test(line)));
      }
      return left;
    };
    // A server drops a closed connection from its list a moment later (this spec's own client, in CI).
    await until('the closed connections to leave the list', async () => (await leftOpen()).length === 0 || false, 3000).catch(() => undefined);
    expect(await leftOpen()).toEqual([]);
  }, 60_000);
});
