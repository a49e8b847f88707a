import { randomUUID } from 'node:crypto';
import { SCOPES, Scope } from '@flowsmith/contracts';
import { closeTestPrisma, createTestKey, expectError, RunningGateway, startGateway, TestClient, testPrisma } from '@flowsmith/testing';
import { RouteCatalog } from './route-catalog';
import { createGateway } from '../gateway';

describe('authentication and scopes', () => {
  let gateway: RunningGateway;
  let client: TestClient;

  beforeAll(async () => {
    gateway = await startGateway(createGateway);
    client = new TestClient(gateway.url);
  });
  afterAll(async () => {
    await gateway.close();
    await closeTestPrisma();
  });

  const routes = () => gateway.app.get(RouteCatalog).routes();
  const concrete = (path: string) => path.replace(/:[a-z_]+/g, randomUUID());

  it('gives every route an access policy, and every /api route a scope or an explicit public policy', () => {
    const list = routes();
    expect(list.length).toBeGreaterThan(10);
    for (const route of list) {
      expect({ route: `${route.method} ${route.path}`, access: route.access }).toEqual({ route: `${route.method} ${route.path}`, access: expect.any(Object) });
      if (route.path.startsWith('/api/')) {
        const access = route.access as Record<string, unknown>;
        expect(typeof access.scope === 'string' || access.public === true || access.anyKey === true).toBe(true);
      }
    }
  });

  it('answers 403 insufficient_scope with the exact message on every scoped route, for a key lacking only that scope', async () => {
    const scoped = routes().filter((route) => route.access && 'scope' in route.access);
    const keys = new Map<Scope, string>();
    for (const scope of SCOPES) keys.set(scope, (await createTestKey({ scopes: SCOPES.filter((s) => s !== scope) })).secret);
    for (const route of scoped) {
      const scope = (route.access as { scope: Scope }).scope;
      const response = await client.request(route.method, concrete(route.path), { key: keys.get(scope), body: route.method === 'GET' || route.method === 'DELETE' ? undefined : {} });
      if (!route.path.startsWith('/api/')) {
        // The Kroki and mermaid.ink routes answer in their protocol: the message as plain text (docs/compat.md).
        expect({ path: route.path, status: response.status, text: response.text }).toEqual({ path: route.path, status: 403, text: `Error 403: This key is missing the required scope: ${scope}.\n` });
        continue;
      }
      expectError(response, {
        status: 403,
        type: 'permission_error',
        code: 'insufficient_scope',
        message: `This key is missing the required scope: ${scope}.`,
      });
    }
  });

  it('answers 401 not_authenticated with WWW-Authenticate on every keyed route called without a key', async () => {
    const keyed = routes().filter((r) => r.access && ('scope' in r.access || 'anyKey' in r.access) && !('anonymous' in r.access && r.access.anonymous));
    expect(keyed.map((r) => r.path)).toContain('/api/v1/me');
    for (const route of keyed) {
      const response = await client.request(route.method, concrete(route.path));
      expectError(response, { status: 401, type: 'authentication_error', code: 'not_authenticated' });
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(response.body.error.hints).toEqual({ sign_up_url: expect.any(String), docs_url: expect.any(String) });
    }
  });

  it('tells a key about itself on GET /v1/me, whatever its scopes', async () => {
    const key = await createTestKey({ scopes: ['usage:read'], plan: 'pro' });
    const response = await client.get('/api/v1/me', { key: key.secret });
    expect(response.body).toEqual({ object: 'api_key_identity', key_id: key.id, user_id: key.userId, organization_id: null, plan: 'pro', scopes: ['usage:read'] });
  });

  it.each([
    ['an unknown key', `Bearer fs_test_${'a'.repeat(40)}`],
    ['a malformed key', 'Bearer not-a-key'],
    ['a non-bearer scheme', 'Basic dXNlcjpwYXNz'],
  ])('answers 401 invalid_api_key for %s', async (_, header) => {
    const response = await client.get('/api/v1/diagrams', { headers: { authorization: header } });
    expectError(response, { status: 401, type: 'authentication_error', code: 'invalid_api_key' });
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('refuses an expired key', async () => {
    const key = await createTestKey({ expiresAt: new Date(Date.now() + 1500) });
    expect((await client.get('/api/v1/diagrams', { key: key.secret })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const response = await client.get('/api/v1/diagrams', { key: key.secret });
    expectError(response, { status: 401, type: 'authentication_error', code: 'invalid_api_key', message: 'This API key has expired.' });
  });

  it('revokes on the very next request, on every gateway instance, even with the key cached', async () => {
    const other = await startGateway(createGateway);
    try {
      const key = await createTestKey();
      const victim = await createTestKey({ email: undefined });
      const viaA = new TestClient(gateway.url, victim.secret);
      const viaB = new TestClient(other.url, victim.secret);
      // Both instances have the key cached now.
      expect((await viaA.get('/api/v1/diagrams')).status).toBe(200);
      expect((await viaB.get('/api/v1/diagrams')).status).toBe(200);
      // Revoke through instance A using the victim's own key (keys:write), then ask B at once.
      const revoked = await viaA.delete(`/api/v1/keys/${victim.id}`);
      expect(revoked.status).toBe(200);
      expect(revoked.body.revoked_at).toEqual(expect.any(String));
      for (const via of [viaB, viaA]) {
        const response = await via.get('/api/v1/diagrams');
        expectError(response, { status: 401, type: 'authentication_error', code: 'invalid_api_key', message: 'This API key has been revoked.' });
      }
      expect((await client.get('/api/v1/diagrams', { key: key.secret })).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('keeps tenants apart: another owner gets 404 for diagrams, folders and keys', async () => {
    const alice = new TestClient(gateway.url, (await createTestKey()).secret);
    const bobKey = await createTestKey();
    const bob = new TestClient(gateway.url, bobKey.secret);
    const folder = (await alice.post('/api/v1/folders', { name: 'Private' })).body;
    const diagram = (await alice.post('/api/v1/diagrams', { name: 'Secret', source: 'flowchart TD\n A-->B', folder_id: folder.id })).body;
    const key = (await alice.post('/api/v1/keys', { name: 'ci', scopes: ['diagrams:read'] })).body;

    const attempts: Array<[string, string, unknown?]> = [
      ['GET', `/api/v1/diagrams/${diagram.id}`],
      ['PATCH', `/api/v1/diagrams/${diagram.id}`, { name: 'mine now' }],
      ['DELETE', `/api/v1/diagrams/${diagram.id}`],
      ['GET', `/api/v1/folders/${folder.id}`],
      ['PATCH', `/api/v1/folders/${folder.id}`, { name: 'mine now' }],
      ['DELETE', `/api/v1/folders/${folder.id}?force=true`],
      ['DELETE', `/api/v1/keys/${key.id}`],
    ];
    for (const [method, path, body] of attempts) {
      expectError(await bob.request(method, path, { body }), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
    }
    // Nor through references: Bob cannot file a diagram into Alice's folder, nor list it.
    expectError(await bob.post('/api/v1/diagrams', { name: 'x', source: 'graph TD\nA', folder_id: folder.id }), {
      status: 404, type: 'not_found_error', code: 'resource_not_found', param: 'folder_id',
    });
    expectError(await bob.get(`/api/v1/diagrams?folder_id=${folder.id}`), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
    expect((await bob.get('/api/v1/diagrams')).body.data).toEqual([]);
    expect((await bob.get('/api/v1/keys')).body.data.map((k: { id: string }) => k.id)).toEqual([bobKey.id]);
    // Alice still has everything.
    expect((await alice.get(`/api/v1/diagrams/${diagram.id}`)).body.name).toBe('Secret');
    expect(await testPrisma().apiKey.count({ where: { id: key.id, revokedAt: null } })).toBe(1);
  });

  it('lets every key of an organization see the organization\'s diagrams, and a personal key not', async () => {
    const org = `org-${randomUUID()}`;
    const first = new TestClient(gateway.url, (await createTestKey({ organization: org })).secret);
    const second = new TestClient(gateway.url, (await createTestKey({ organization: org })).secret);
    const created = (await first.post('/api/v1/diagrams', { name: 'Shared', source: 'sequenceDiagram\nA->>B: hi' })).body;
    expect(created.organization_id).toEqual(expect.any(String));
    expect((await second.get(`/api/v1/diagrams/${created.id}`)).body.id).toBe(created.id);
    const personal = new TestClient(gateway.url, (await createTestKey()).secret);
    expect((await personal.get(`/api/v1/diagrams/${created.id}`)).status).toBe(404);
  });
});
