import type { RedisClient } from './redis';

export interface CachedRender {
  data: Buffer;
  contentType: string;
  width: number;
  height: number;
  diagramType: string;
}

/**
 * Renders, content-addressed, in Redis: shared by every gateway and worker, and bounded in size.
 * Redis itself must not evict (the queues live there too), so the bound is ours: a sorted set
 * orders entries by last use, a counter holds their total size, and a write evicts the least
 * recently used entries until the total fits. Both scripts are atomic.
 */
const GET = `
local fields = redis.call('HMGET', KEYS[1], 'data', 'type', 'width', 'height', 'dtype')
if not fields[1] then return nil end
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
return fields`;

const SET = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[7])
  return 0
end
local size = string.len(ARGV[1])
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'type', ARGV[2], 'width', ARGV[3], 'height', ARGV[4], 'dtype', ARGV[5], 'size', size)
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[7])
local total = redis.call('INCRBY', KEYS[3], size)
local max = tonumber(ARGV[8])
local evicted = 0
while total > max do
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if not oldest or oldest == ARGV[7] then break end
  local key = ARGV[9] .. oldest
  local gone = tonumber(redis.call('HGET', key, 'size') or '0')
  redis.call('DEL', key)
  redis.call('ZREM', KEYS[2], oldest)
  total = redis.call('DECRBY', KEYS[3], gone)
  evicted = evicted + 1
end
return evicted`;

type CacheRedis = RedisClient & {
  renderCacheGetBuffer(numKeys: number, ...args: Array<string | number>): Promise<Buffer[] | null>;
  renderCacheSet(numKeys: number, ...args: Array<string | number | Buffer>): Promise<number>;
};

export class RenderCache {
  private readonly redis: CacheRedis;
  private readonly entryPrefix: string;
  private readonly lruKey: string;
  private readonly totalKey: string;

  constructor(redis: RedisClient, redisPrefix: string, private readonly maxBytes: number) {
    // One hash tag for all cache keys: the scripts touch an entry, the index and the total at once.
    this.entryPrefix = `${redisPrefix}rc:{cache}:e:`;
    this.lruKey = `${redisPrefix}rc:{cache}:lru`;
    this.totalKey = `${redisPrefix}rc:{cache}:bytes`;
    if (!(redis as unknown as Partial<CacheRedis>).renderCacheSet) {
      redis.defineCommand('renderCacheGet', { lua: GET });
      redis.defineCommand('renderCacheSet', { lua: SET });
    }
    this.redis = redis as unknown as CacheRedis;
  }

  async get(key: string): Promise<CachedRender | null> {
    const fields = await this.redis.renderCacheGetBuffer(2, this.entryPrefix + key, this.lruKey, Date.now(), key);
    if (!fields) return null;
    const [data, type, width, height, diagramType] = fields;
    return { data, contentType: type.toString(), width: Number(width), height: Number(height), diagramType: diagramType.toString() };
  }

  /** Stores an entry and returns how many older ones it evicted. */
  async set(key: string, entry: CachedRender): Promise<number> {
    return this.redis.renderCacheSet(
      3,
      this.entryPrefix + key,
      this.lruKey,
      this.totalKey,
      entry.data,
      entry.contentType,
      entry.width,
      entry.height,
      entry.diagramType,
      Date.now(),
      key,
      this.maxBytes,
      this.entryPrefix,
    );
  }

  async totalBytes(): Promise<number> {
    return Number((await this.redis.get(this.totalKey)) ?? 0);
  }
}
