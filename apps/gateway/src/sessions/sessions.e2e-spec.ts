import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { closeTestPrisma, createTestKey, expectError, RunningGateway, startGateway, TestClient, TestResponse, testPrisma } from '@flowsmith/testing';
import { createGateway } from '../gateway';

const SOURCE = 'flowchart TD\n A-->B';

let browsers = 0;

/**
 * A browser, as far as the session goes: it keeps the cookie and sends the CSRF token it was given.
 * Each comes from an address of its own (the gateways trust one proxy hop), so the many sign-ins
 * of this spec stay within the anonymous per-IP bucket.
 */
class Browser {
  cookie?: string;
  csrf?: string;
  private readonly ip = `10.17.${Math.floor(++browsers / 250)}.${browsers % 250}`;
  constructor(private readonly client: TestClient) {}

  async signIn(apiKey: string, headers: Record<string, string> = {}): Promise<TestResponse> {
    const response = await this.request('POST', '/api/v1/sessions', { body: { api_key: apiKey }, headers });
    if (response.status === 201) {
      this.cookie = cookieValue(response);
      this.csrf = response.body.csrf_token;
    }
    return response;
  }

  /** With the cookie; with the CSRF token unless `csrf` says otherwise (null: none). */
  request(method: string, path: string, options: { body?: unknown; csrf?: string | null; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { 'x-forwarded-for': this.ip, ...options.headers };
    if (this.cookie) headers.cookie = `flowsmith_session=${this.cookie}`;
    const csrf = options.csrf === undefined ? this.csrf : options.csrf;
    if (csrf) headers['x-csrf-token'] = csrf;
    return this.client.request(method, path, { body: options.body, headers });
  }
}

function setCookie(response: TestResponse): string {
  const header = response.headers.getSetCookie().find((line) => line.startsWith('flowsmith_session='));
  expect(header).toBeDefined();
  return header!;
}

function cookieValue(response: TestResponse): string {
  return /^flowsmith_session=([^;]*)/.exec(setCookie(response))![1];
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('browser sessions', () => {
  let gateway: RunningGateway;
  let client: TestClient;
  let redis: Redis;

  beforeAll(async () => {
    // One proxy hop trusted, so a test can say the request came over HTTPS (X-Forwarded-Proto).
    gateway = await startGateway(createGateway, { TRUST_PROXY_HOPS: '1' });
    client = new TestClient(gateway.url);
    redis = new Redis(gateway.env.REDIS_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    await gateway.close();
    await closeTestPrisma();
  });

  const browser = () => new Browser(client);
  const diagramCount = (ownerId: string) => testPrisma().diagram.count({ where: { ownerId } });

  it('signs in with a key: 201 with the session, an HttpOnly SameSite=Strict cookie, stored in Redis by its hash', async () => {
    const key = await createTestKey({ plan: 'pro', scopes: ['diagrams:read', 'usage:read'] });
    const response = await browser().signIn(key.secret);
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      object: 'session',
      csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      key: { id: key.id, name: expect.stringMatching(/^test /), scopes: ['diagrams:read', 'usage:read'], plan: 'pro' },
      user: { object: 'api_key_identity', key_id: key.id, user_id: key.userId, organization_id: null, plan: 'pro', scopes: ['diagrams:read', 'usage:read'] },
    });
    const expiresIn = Date.parse(response.body.expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(28_790_000);
    expect(expiresIn).toBeLessThanOrEqual(28_800_000);

    const cookie = setCookie(response);
    const value = cookieValue(response);
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    expect(cookie.split('; ').slice(1).sort()).toEqual(['HttpOnly', 'Max-Age=28800', 'Path=/', 'SameSite=Strict']);
    // The anonymous per-IP bucket counted it.
    expect(response.headers.get('ratelimit-limit')).toBe(String(gateway.env.RATE_LIMIT_ANONYMOUS));

    const stored = await redis.get(`${gateway.env.REDIS_PREFIX}session:${sha256(value)}`);
    expect(JSON.parse(stored!)).toMatchObject({ keyId: key.id, csrfToken: response.body.csrf_token });
    expect(stored).not.toContain(key.secret);
    expect(stored).not.toContain(value);
    expect(await redis.ttl(`${gateway.env.REDIS_PREFIX}session:${sha256(value)}`)).toBeGreaterThan(28_790);
  });

  it('marks the cookie Secure when the request came over HTTPS', async () => {
    const response = await browser().signIn((await createTestKey()).secret, { 'x-forwarded-proto': 'https' });
    expect(response.status).toBe(201);
    expect(setCookie(response).split('; ')).toContain('Secure');
  });

  it('reads the session back with the cookie alone, and answers 401 not_authenticated without one', async () => {
    const key = await createTestKey({ scopes: ['diagrams:read'] });
    const session = browser();
    const created = await session.signIn(key.secret);
    const current = await session.request('GET', '/api/v1/sessions/current', { csrf: null });
    expect(current.status).toBe(200);
    expect(current.body).toEqual(created.body);

    expectError(await client.get('/api/v1/sessions/current'), { status: 401, type: 'authentication_error', code: 'not_authenticated' });
    const stranger = browser();
    stranger.cookie = 'A'.repeat(43);
    expectError(await stranger.request('GET', '/api/v1/sessions/current'), {
      status: 401, type: 'authentication_error', code: 'not_authenticated', message: "Your session has ended: sign in again, or send 'Authorization: Bearer <api key>'.",
    });
  });

  it('acts as the key on /api routes: its data, its per-key bucket, writes with the CSRF token', async () => {
    const key = await createTestKey();
    const owner = new TestClient(gateway.url, key.secret);
    const mine = (await owner.post('/api/v1/diagrams', { name: 'mine', source: SOURCE })).body;
    const session = browser();
    await session.signIn(key.secret);

    const list = await session.request('GET', '/api/v1/diagrams', { csrf: null });
    expect(list.status).toBe(200);
    expect(list.body.data.map((d: { id: string }) => d.id)).toEqual([mine.id]);
    expect(list.headers.get('ratelimit-limit')).toBe(String(gateway.env.RATE_LIMIT_PER_KEY));
    expect((await session.request('GET', '/api/v1/me', { csrf: null })).body.key_id).toBe(key.id);

    const created = await session.request('POST', '/api/v1/diagrams', { body: { name: 'from the browser', source: SOURCE } });
    expect(created.status).toBe(201);
    expect((await owner.get(`/api/v1/diagrams/${created.body.id}`)).body.name).toBe('from the browser');
    const renamed = await session.request('PATCH', `/api/v1/diagrams/${created.body.id}`, { body: { name: 'renamed' } });
    expect(renamed.body.name).toBe('renamed');

    // A route open to anonymous callers renders as the key: no watermark.
    const render = await session.request('POST', '/api/v1/beautify', { body: { source: SOURCE, source_format: 'mermaid' } });
    expect(render.status).toBe(200);
    expect(render.body.meta.watermarked).toBe(false);
  });

  it("holds the key's scopes", async () => {
    const key = await createTestKey({ scopes: ['diagrams:read'] });
    const session = browser();
    await session.signIn(key.secret);
    expectError(await session.request('POST', '/api/v1/diagrams', { body: { name: 'x', source: SOURCE } }), {
      status: 403, type: 'permission_error', code: 'insufficient_scope', message: 'This key is missing the required scope: diagrams:write.',
    });
    expectError(await session.request('GET', '/api/v1/keys'), { status: 403, type: 'permission_error', code: 'insufficient_scope', message: 'This key is missing the required scope: keys:write.' });
    expect(await diagramCount(key.ownerId)).toBe(0);
  });

  it.each([
    ['without the CSRF token', null],
    ['with a wrong CSRF token', 'B'.repeat(43)],
    ['with a CSRF token of another length', 'short'],
  ])('refuses a write %s: 403 csrf_failed and nothing written', async (_, csrf) => {
    const key = await createTestKey();
    const owner = new TestClient(gateway.url, key.secret);
    const existing = (await owner.post('/api/v1/diagrams', { name: 'keep', source: SOURCE })).body;
    const session = browser();
    await session.signIn(key.secret);
    const attempts: Array<[string, string, unknown?]> = [
      ['POST', '/api/v1/diagrams', { name: 'forged', source: SOURCE }],
      ['PATCH', `/api/v1/diagrams/${existing.id}`, { name: 'forged' }],
      ['DELETE', `/api/v1/diagrams/${existing.id}`],
      ['POST', '/api/v1/keys', { name: 'forged', scopes: ['diagrams:read'] }],
      ['DELETE', '/api/v1/sessions/current'],
    ];
    for (const [method, path, body] of attempts) {
      expectError(await session.request(method, path, { body, csrf }), {
        status: 403, type: 'invalid_request_error', code: 'csrf_failed',
        message: "A request signed in by the session cookie must send the session's csrf_token in the X-CSRF-Token header.",
      });
    }
    expect((await owner.get(`/api/v1/diagrams/${existing.id}`)).body.name).toBe('keep');
    expect(await diagramCount(key.ownerId)).toBe(1);
    expect(await testPrisma().apiKey.count({ where: { ownerId: key.ownerId } })).toBe(1);
    expect((await session.request('GET', '/api/v1/sessions/current')).status).toBe(200);
  });

  it('ends the session the moment its key is revoked', async () => {
    const key = await createTestKey();
    const session = browser();
    await session.signIn(key.secret);
    expect((await session.request('GET', '/api/v1/diagrams')).status).toBe(200);
    expect((await new TestClient(gateway.url, (await createTestKey()).secret).get('/api/v1/diagrams')).status).toBe(200);
    expect((await session.request('DELETE', `/api/v1/keys/${key.id}`)).status).toBe(200);

    expectError(await session.request('GET', '/api/v1/diagrams'), { status: 401, type: 'authentication_error', code: 'invalid_api_key', message: 'This API key has been revoked.' });
    // Ended: Redis no longer holds it, so the cookie is no one's.
    expect(await redis.exists(`${gateway.env.REDIS_PREFIX}session:${sha256(session.cookie!)}`)).toBe(0);
    expectError(await session.request('GET', '/api/v1/sessions/current'), { status: 401, type: 'authentication_error', code: 'not_authenticated' });
    // Nor can the revoked key open a new one.
    expectError(await browser().signIn(key.secret), { status: 401, type: 'authentication_error', code: 'invalid_api_key', message: 'This API key has been revoked.' });
  });

  it('signs out: 204, the cookie cleared, the session gone', async () => {
    const session = browser();
    await session.signIn((await createTestKey()).secret);
    const token = session.cookie!;
    const response = await session.request('DELETE', '/api/v1/sessions/current');
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    const cleared = setCookie(response);
    expect(cleared).toMatch(/^flowsmith_session=;/);
    expect(cleared).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/);
    expect(cleared).toContain('HttpOnly');
    expect(await redis.exists(`${gateway.env.REDIS_PREFIX}session:${sha256(token)}`)).toBe(0);
    expectError(await session.request('GET', '/api/v1/diagrams'), { status: 401, type: 'authentication_error', code: 'not_authenticated' });
    expectError(await session.request('DELETE', '/api/v1/sessions/current'), { status: 401, type: 'authentication_error', code: 'not_authenticated' });
  });

  it('lets the Authorization header win over the cookie', async () => {
    const reader = await createTestKey({ scopes: ['diagrams:read'] });
    const writer = await createTestKey();
    const session = browser();
    await session.signIn(reader.secret);
    // The header's key, with its scopes and without the session's CSRF duty.
    const created = await session.request('POST', '/api/v1/diagrams', { body: { name: 'by header', source: SOURCE }, csrf: null, headers: { authorization: `Bearer ${writer.secret}` } });
    expect(created.status).toBe(201);
    expect(await diagramCount(writer.ownerId)).toBe(1);
    expect(await diagramCount(reader.ownerId)).toBe(0);
    // A bad header is refused even with a good cookie; and the cookie is not a session then.
    expectError(await session.request('GET', '/api/v1/diagrams', { headers: { authorization: `Bearer fs_test_${'a'.repeat(40)}` } }), { status: 401, type: 'authentication_error', code: 'invalid_api_key' });
    expectError(await session.request('GET', '/api/v1/sessions/current', { headers: { authorization: `Bearer ${writer.secret}` } }), { status: 401, type: 'authentication_error', code: 'not_authenticated' });
  });

  it('is ignored by the public routes and the compatible APIs', async () => {
    const session = browser();
    await session.signIn((await createTestKey()).secret);
    const themes = await session.request('GET', '/api/v1/themes');
    expect(themes.headers.get('ratelimit-limit')).toBe(String(gateway.env.RATE_LIMIT_ANONYMOUS));
    const kroki = await session.request('POST', '/kroki', { body: { diagram_source: SOURCE, diagram_type: 'mermaid', output_format: 'svg' }, csrf: null });
    expect(kroki.status).toBe(200);
    expect(kroki.headers.get('ratelimit-limit')).toBe(String(gateway.env.RATE_LIMIT_KROKI));
  });

  it.each([
    ['no api_key', {}, 400, 'missing_parameter', 'api_key'],
    ['an api_key that is not a string', { api_key: 42 }, 400, 'invalid_parameter', 'api_key'],
    ['an empty api_key', { api_key: '' }, 400, 'invalid_parameter', 'api_key'],
    ['a body that is not an object', ['fs_test_x'], 400, 'invalid_json', undefined],
  ])('answers 400 in the envelope for %s', async (_, body, status, code, param) => {
    const response = await client.post('/api/v1/sessions', body);
    expectError(response, { status, type: 'invalid_request_error', code, ...(param ? { param } : {}) });
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('answers 400 invalid_json for a body that is not JSON, and 401 invalid_api_key for a wrong key', async () => {
    expectError(await client.request('POST', '/api/v1/sessions', { rawBody: '{"api_key":', headers: { 'content-type': 'application/json' } }), { status: 400, type: 'invalid_request_error', code: 'invalid_json' });
    for (const apiKey of [`fs_test_${'a'.repeat(40)}`, 'not a key', `Bearer fs_test_${'a'.repeat(40)}`]) {
      const response = await client.post('/api/v1/sessions', { api_key: apiKey });
      expectError(response, { status: 401, type: 'authentication_error', code: 'invalid_api_key', message: 'Invalid API key provided.' });
      expect(response.headers.getSetCookie()).toEqual([]);
    }
  });
});

describe('an expired browser session', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway(createGateway, { SESSION_TTL_SECONDS: '1', TRUST_PROXY_HOPS: '1' });
  });
  afterAll(async () => {
    await gateway.close();
    await closeTestPrisma();
  });

  it('is 401 not_authenticated once SESSION_TTL_SECONDS have passed', async () => {
    const session = new Browser(new TestClient(gateway.url));
    const created = await session.signIn((await createTestKey()).secret);
    expect(setCookie(created)).toContain('Max-Age=1');
    expect((await session.request('GET', '/api/v1/sessions/current')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expectError(await session.request('GET', '/api/v1/sessions/current'), { status: 401, type: 'authentication_error', code: 'not_authenticated' });
    expectError(await session.request('GET', '/api/v1/diagrams'), { status: 401, type: 'authentication_error', code: 'not_authenticated' });
  });
});
