import { BaseEnv, ConfigError, loadEnv, prefixHashTag } from './index';

describe('Redis topology variables', () => {
  it('defaults to one Redis, and takes Sentinel or Cluster seeds', () => {
    expect(loadEnv(BaseEnv, {})).toMatchObject({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_SENTINEL_NAME: 'mymaster' });
    expect(loadEnv(BaseEnv, { REDIS_SENTINELS: 'a:26379, b:26379' }).REDIS_SENTINELS).toBe('a:26379, b:26379');
    expect(loadEnv(BaseEnv, { REDIS_CLUSTER_NODES: '10.0.0.1:6379,10.0.0.2:6379', REDIS_PREFIX: '{fs}:' }).REDIS_CLUSTER_NODES).toBe('10.0.0.1:6379,10.0.0.2:6379');
  });

  it.each([
    [{ REDIS_SENTINELS: 'a:1', REDIS_CLUSTER_NODES: 'b:2', REDIS_PREFIX: '{fs}:' }, /not both/],
    [{ REDIS_CLUSTER_NODES: 'b:2' }, /REDIS_PREFIX must hold a hash tag such as \{fs\}:.*"fs:"/],
    [{ REDIS_CLUSTER_NODES: 'b:2', REDIS_PREFIX: 'fs:{}' }, /hash tag/],
    [{ REDIS_CLUSTER_NODES: 'b:2', REDIS_PREFIX: '{fs}:', REDIS_URL: 'redis://x:6379/3' }, /must not select a database/],
    [{ REDIS_CLUSTER_NODES: 'b' }, /REDIS_CLUSTER_NODES must be a comma-separated host:port list/],
    [{ REDIS_SENTINELS: 'a:1,,b:2' }, /REDIS_SENTINELS must be a comma-separated host:port list/],
    [{ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: 'my master' }, /REDIS_SENTINEL_NAME/],
  ])('refuses %j at boot', (env, message) => {
    expect(() => loadEnv(BaseEnv, env)).toThrow(ConfigError);
    expect(() => loadEnv(BaseEnv, env)).toThrow(message);
  });

  it('finds the hash tag a prefix forces on its keys', () => {
    expect(prefixHashTag('{fs}:')).toBe('fs');
    expect(prefixHashTag('prod:{fs}:')).toBe('fs');
    expect(prefixHashTag('fs:')).toBeNull();
    expect(prefixHashTag('{}fs:')).toBeNull();
    expect(prefixHashTag('fs{:')).toBeNull();
  });
});
