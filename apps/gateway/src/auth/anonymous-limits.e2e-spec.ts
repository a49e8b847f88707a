import { Controller, Get } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { closeTestPrisma, createTestKey, expectError, testGatewayEnv, TestClient } from '@flowsmith/testing';
import { Access } from './access.decorator';
import { GatewayModule } from '../gateway.module';
import { configureGateway, createGatewayAdapter } from '../gateway';

/**
 * The anonymous buckets belong to the public routes (beautify, export, embeds, themes) that the
 * rendering issue adds. Until then, this spec mounts two probe routes with those policies beside
 * the real gateway module, so the real guard counts real requests in the real Redis.
 */
@Controller('v1/probe')
class ProbeController {
  @Get('anonymous')
  @Access({ public: true, anonymous: 'anonymous' })
  anonymous() {
    return { ok: true };
  }

  @Get('embed')
  @Access({ public: true, anonymous: 'embed', ignoreKey: true })
  embed() {
    return { ok: true };
  }
}

async function startWithProbe(overrides: Record<string, string>) {
  const env = testGatewayEnv(overrides);
  const module = await Test.createTestingModule({ imports: [GatewayModule.forRoot(env)], controllers: [ProbeController] }).compile();
  const app = configureGateway(module.createNestApplication<NestFastifyApplication>(createGatewayAdapter(env), { logger: false }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, client: new TestClient(`http://127.0.0.1:${port}`) };
}

describe('anonymous callers are limited per IP', () => {
  afterAll(() => closeTestPrisma());

  it('allows 20 per window per IP, then 429 with hints, counting X-Forwarded-For only through trusted hops', async () => {
    const { app, client } = await startWithProbe({ TRUST_PROXY_HOPS: '1', REDIS_PREFIX: `${process.env.REDIS_PREFIX}anon1:` });
    try {
      const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
      for (let i = 0; i < 20; i++) {
        const ok = await client.get('/api/v1/probe/anonymous', from('203.0.113.7'));
        expect(ok.status).toBe(200);
        expect(ok.headers.get('ratelimit-limit')).toBe('20');
        expect(ok.headers.get('ratelimit-remaining')).toBe(String(19 - i));
      }
      const denied = await client.get('/api/v1/probe/anonymous', from('203.0.113.7'));
      expectError(denied, { status: 429, type: 'rate_limit_error', code: 'rate_limited' });
      expect(denied.body.error.hints).toEqual({ sign_up_url: expect.any(String), docs_url: expect.any(String) });
      expect(denied.body.error.rate_limit).toMatchObject({ limit: 20, window_seconds: 60, used: 20 });
      expect(Number(denied.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another client IP behind the same proxy has its own bucket.
      expect((await client.get('/api/v1/probe/anonymous', from('198.51.100.1'))).headers.get('ratelimit-remaining')).toBe('19');
      // A key is counted on its own bucket, not the IP's.
      const key = await createTestKey();
      const keyed = await client.get('/api/v1/probe/anonymous', { ...from('203.0.113.7'), key: key.secret });
      expect(keyed.status).toBe(200);
      expect(keyed.headers.get('ratelimit-limit')).toBe('120');
    } finally {
      await app.close();
    }
  });

  it('ignores X-Forwarded-For by default, so a client cannot pick its own bucket', async () => {
    const { app, client } = await startWithProbe({ REDIS_PREFIX: `${process.env.REDIS_PREFIX}anon2:` });
    try {
      for (let i = 0; i < 20; i++) await client.get('/api/v1/probe/anonymous', { headers: { 'x-forwarded-for': `10.0.0.${i}` } });
      expect((await client.get('/api/v1/probe/anonymous', { headers: { 'x-forwarded-for': '10.9.9.9' } })).status).toBe(429);
    } finally {
      await app.close();
    }
  });

  it('gives embeds their own bucket of 300, and treats a key there as anonymous', async () => {
    const { app, client } = await startWithProbe({ REDIS_PREFIX: `${process.env.REDIS_PREFIX}anon3:` });
    try {
      const key = await createTestKey();
      const response = await client.get('/api/v1/probe/embed', { key: key.secret });
      expect(response.status).toBe(200);
      expect(response.headers.get('ratelimit-limit')).toBe('300');
      expect(response.headers.get('ratelimit-remaining')).toBe('299');
      // An invalid key is ignored there too.
      expect((await client.get('/api/v1/probe/embed', { key: 'fs_test_nope' })).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
