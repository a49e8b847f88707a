import { Redis } from 'ioredis';
import { RenderCache } from './render-cache';

describe('RenderCache (real Redis)', () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = `${process.env.REDIS_PREFIX ?? 'test:'}cache-spec:`;
  afterAll(() => redis.disconnect());

  const entry = (size: number, tag: string) => ({ data: Buffer.alloc(size, tag), contentType: 'image/png', width: 10, height: 20, diagramType: 'flowchart' });

  it('round-trips an entry byte for byte', async () => {
    const cache = new RenderCache(redis, `${prefix}a:`, 10_000);
    const data = Buffer.from([0, 255, 10, 13, 0x89, 0x50]);
    await cache.set('k', { ...entry(0, 'x'), data });
    expect(await cache.get('k')).toEqual({ data, contentType: 'image/png', width: 10, height: 20, diagramType: 'flowchart' });
    expect(await cache.get('missing')).toBeNull();
  });

  it('stays within its bound by evicting the least recently used entries', async () => {
    const cache = new RenderCache(redis, `${prefix}b:`, 1000);
    const tick = () => new Promise((r) => setTimeout(r, 5)); // recency is kept to the millisecond
    await cache.set('one', entry(300, '1'));
    await tick();
    await cache.set('two', entry(300, '2'));
    await tick();
    await cache.set('three', entry(300, '3'));
    await tick();
    await cache.get('one'); // used again: now 'two' is the oldest
    await new Promise((r) => setTimeout(r, 5));
    expect(await cache.set('four', entry(300, '4'))).toBe(1);
    expect(await cache.get('two')).toBeNull();
    for (const key of ['one', 'three', 'four']) expect(await cache.get(key)).not.toBeNull();
    expect(await cache.totalBytes()).toBe(900);
    for (let i = 0; i < 20; i++) await cache.set(`more-${i}`, entry(250, 'm'));
    expect(await cache.totalBytes()).toBeLessThanOrEqual(1000);
  });
});
