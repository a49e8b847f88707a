import { Cluster, Redis } from 'ioredis';
import { createRedis, openBullConnection, redisTopology, RedisSettings } from './redis';

const settings = (env: Partial<RedisSettings>): RedisSettings => ({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_SENTINEL_NAME: 'mymaster', ...env });

describe('redisTopology', () => {
  it('is a single Redis by default', () => {
    expect(redisTopology(settings({}))).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6379' });
  });

  it('gives Sentinel the seeds, the group and REDIS_URL\'s credentials, TLS and database', () => {
    expect(redisTopology(settings({ REDIS_URL: 'rediss://app:s%40cret@ignored:1/2', REDIS_SENTINELS: 'a:26379, [::1]:26380', REDIS_SENTINEL_PASSWORD: 'sp' }))).toEqual({
      kind: 'sentinel',
      sentinels: [{ host: 'a', port: 26379 }, { host: '::1', port: 26380 }],
      name: 'mymaster',
      options: { username: 'app', password: 's@cret', tls: {}, db: 2, sentinelPassword: 'sp', enableTLSForSentinelMode: true, sentinelTLS: {} },
    });
  });

  it('gives Cluster the seeds and the credentials, never a database', () => {
    expect(redisTopology(settings({ REDIS_URL: 'redis://:pw@ignored', REDIS_CLUSTER_NODES: 'a:7000,b:7001' }))).toEqual({
      kind: 'cluster',
      nodes: [{ host: 'a', port: 7000 }, { host: 'b', port: 7001 }],
      options: { password: 'pw' },
    });
  });
});

describe('createRedis and openBullConnection per topology (no connection is made)', () => {
  it('builds a Cluster whose nodes carry the role\'s settings, and BullMQ gets a Cluster instance', async () => {
    const cluster = settings({ REDIS_URL: 'redis://:pw@x', REDIS_CLUSTER_NODES: 'a:7000' });
    const command = createRedis(cluster, 'command', { lazyConnect: true });
    expect(command).toBeInstanceOf(Cluster);
    expect((command as Cluster).options).toMatchObject({ enableOfflineQueue: false, redisOptions: { password: 'pw', maxRetriesPerRequest: 1, connectTimeout: 2000 } });
    command.disconnect();
    const bull = openBullConnection(cluster);
    expect(bull.connection).toBeInstanceOf(Cluster);
    // BullMQ refuses a Cluster for blocking connections unless its nodes retry forever.
    expect((bull.connection as Cluster).options.redisOptions).toMatchObject({ maxRetriesPerRequest: null });
    await bull.close();
  });

  it('builds a Sentinel client, and options for BullMQ to own', async () => {
    const sentinel = settings({ REDIS_SENTINELS: 'a:26379' });
    const client = createRedis(sentinel, 'queue', { lazyConnect: true }) as Redis;
    expect(client).toBeInstanceOf(Redis);
    expect(client.options).toMatchObject({ sentinels: [{ host: 'a', port: 26379 }], name: 'mymaster', maxRetriesPerRequest: null });
    client.disconnect();
    expect(openBullConnection(sentinel).connection).toMatchObject({ sentinels: [{ host: 'a', port: 26379 }], name: 'mymaster', maxRetriesPerRequest: null });
  });
});
