import { closeTestPrisma, createTestKey, expectError, RunningGateway, startGateway, TestClient } from '@flowsmith/testing';
import { createGateway } from '../gateway';

/** Two gateway instances sharing one Redis, as in production. */
describe('rate limits across gateway instances', () => {
  let a: RunningGateway;
  let b: RunningGateway;
  const window = 10;

  beforeAll(async () => {
    const env = { RATE_LIMIT_WINDOW_SECONDS: String(window) };
    [a, b] = await Promise.all([startGateway(createGateway, env), startGateway(createGateway, env)]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await closeTestPrisma();
  });

  it('lets 120 requests through, answers the 121st with 429 and correct headers, and resets with the window', async () => {
    const key = (await createTestKey()).secret;
    const clients = [new TestClient(a.url, key), new TestClient(b.url, key)];
    const started = Date.now();
    const responses = [];
    for (let batch = 0; batch < 6; batch++) {
      responses.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => clients[i % 2].get('/api/v1/usage')))));
    }
    expect(responses.map((r) => r.status)).toEqual(Array(120).fill(200));
    const remaining = responses.map((r) => Number(r.headers.get('ratelimit-remaining'))).sort((x, y) => x - y);
    expect(remaining).toEqual(Array.from({ length: 120 }, (_, i) => i));
    for (const r of responses) {
      expect(r.headers.get('ratelimit-limit')).toBe('120');
      expect(Number(r.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
      expect(Number(r.headers.get('ratelimit-reset'))).toBeLessThanOrEqual(window);
    }
    expect(Date.now() - started).toBeLessThan(window * 1000); // all inside one window, or the test means nothing

    const denied = await clients[0].get('/api/v1/usage');
    expectError(denied, { status: 429, type: 'rate_limit_error', code: 'rate_limited' });
    const retryAfter = Number(denied.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(window);
    expect(denied.headers.get('ratelimit-limit')).toBe('120');
    expect(denied.headers.get('ratelimit-remaining')).toBe('0');
    expect(denied.headers.get('ratelimit-reset')).toBe(String(retryAfter));
    expect(denied.body.error.rate_limit).toEqual({ limit: 120, window_seconds: window, used: 120, resets_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    // The other instance agrees, and denials spend nothing.
    const deniedB = await clients[1].get('/api/v1/usage');
    expect(deniedB.status).toBe(429);
    expect(deniedB.body.error.rate_limit.used).toBe(120);

    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 200));
    const after = await clients[1].get('/api/v1/usage');
    expect(after.status).toBe(200);
    expect(after.headers.get('ratelimit-remaining')).toBe('119');
  }, 40_000);

  it('counts each key on its own', async () => {
    const [first, second] = await Promise.all([createTestKey(), createTestKey()]);
    await new TestClient(a.url, first.secret).get('/api/v1/usage');
    const response = await new TestClient(b.url, second.secret).get('/api/v1/usage');
    expect(response.headers.get('ratelimit-remaining')).toBe('119');
  });
});
