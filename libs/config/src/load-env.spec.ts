import { ConfigError, GatewayEnv, loadEnv, RenderWorkerEnv } from './index';

const valid = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/flowsmith' };

describe('loadEnv', () => {
  it('applies defaults and converts numbers and booleans', () => {
    const env = loadEnv(GatewayEnv, { ...valid, PORT: '8080', READY_REQUIRES_WORKERS: 'false' });
    expect(env).toMatchObject({ PORT: 8080, READY_REQUIRES_WORKERS: false, RATE_LIMIT_PER_KEY: 120, REDIS_URL: 'redis://127.0.0.1:6379', API_KEY_PREFIX: 'fs_live_' });
  });

  it.each([
    [{}, 'DATABASE_URL'],
    [{ ...valid, DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ ...valid, PORT: 'eighty' }, 'PORT'],
    [{ ...valid, PORT: '70000' }, 'PORT'],
    [{ ...valid, REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ ...valid, API_KEY_PREFIX: 'sk_' }, 'API_KEY_PREFIX'],
    [{ ...valid, READY_REQUIRES_WORKERS: 'maybe' }, 'READY_REQUIRES_WORKERS'],
    [{ ...valid, PLANS: '{"gold":{}}' }, 'PLANS'],
    [{ ...valid, PLANS: '{"pro":{"max_png_scale":3}}' }, 'PLANS'],
    [{ ...valid, PLANS: 'not json' }, 'PLANS'],
  ])('stops with a message naming the variable: %j', (env, variable) => {
    expect(() => loadEnv(GatewayEnv, env)).toThrow(ConfigError);
    expect(() => loadEnv(GatewayEnv, env)).toThrow(new RegExp(`\\b${variable}\\b`));
  });

  it('does not ask a render worker for a database', () => {
    expect(loadEnv(RenderWorkerEnv, { WORKER_CONCURRENCY: '2' }).WORKER_CONCURRENCY).toBe(2);
    expect(() => loadEnv(RenderWorkerEnv, { WORKER_CONCURRENCY: '0' })).toThrow(/WORKER_CONCURRENCY/);
  });
});
