import { closeTestPrisma, createTestKey, expectError, RunningGateway, startGateway, TestClient, testPrisma } from '@flowsmith/testing';
import { createGateway } from '../gateway';

describe('Idempotency-Key', () => {
  let a: RunningGateway;
  let b: RunningGateway;
  let client: TestClient;
  let ownerId: string;
  let secret: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([startGateway(createGateway), startGateway(createGateway)]);
    const key = await createTestKey();
    ({ ownerId, secret } = key);
    client = new TestClient(a.url, secret);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await closeTestPrisma();
  });

  const count = () => testPrisma().diagram.count({ where: { ownerId } });

  it('replays the first response and creates nothing more, on any instance', async () => {
    const body = { name: 'Onboarding', source: 'flowchart TD\n A-->B' };
    const headers = { 'idempotency-key': 'create-onboarding-1' };
    const first = await client.post('/api/v1/diagrams', body, { headers });
    expect(first.status).toBe(201);
    const before = await count();
    const again = await client.post('/api/v1/diagrams', { source: body.source, name: body.name }, { headers });
    const elsewhere = await new TestClient(b.url, secret).post('/api/v1/diagrams', body, { headers });
    for (const replay of [again, elsewhere]) {
      expect(replay.status).toBe(201);
      expect(replay.body).toEqual(first.body);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
    }
    expect(await count()).toBe(before);
  });

  it('answers 409 idempotency_conflict when the same key comes with another body, and writes nothing', async () => {
    const headers = { 'idempotency-key': 'create-2' };
    expect((await client.post('/api/v1/diagrams', { name: 'A', source: 'graph TD\nA' }, { headers })).status).toBe(201);
    const before = await count();
    const conflict = await client.post('/api/v1/diagrams', { name: 'B', source: 'graph TD\nA' }, { headers });
    expectError(conflict, { status: 409, type: 'invalid_request_error', code: 'idempotency_conflict', param: 'Idempotency-Key' });
    expect(await count()).toBe(before);
  });

  it('runs concurrent duplicates once: one creates, the others replay or are told it is in progress', async () => {
    const headers = { 'idempotency-key': 'race-1' };
    const before = await count();
    const responses = await Promise.all(Array.from({ length: 8 }, () => client.post('/api/v1/diagrams', { name: 'Race', source: 'graph TD\nA' }, { headers })));
    expect(await count()).toBe(before + 1);
    const created = responses.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    for (const r of responses.filter((x) => x.status !== 201)) {
      expectError(r, { status: 409, type: 'invalid_request_error', code: 'idempotency_conflict' });
      expect(r.headers.get('retry-after')).toBe('1');
    }
  });

  it('forgets a request that failed, so the same key can be retried', async () => {
    const headers = { 'idempotency-key': 'retry-after-fix' };
    expect((await client.post('/api/v1/diagrams', { name: 'x', source: 'graph TD\nA', folder_id: '00000000-0000-4000-8000-000000000000' }, { headers })).status).toBe(404);
    expect((await client.post('/api/v1/diagrams', { name: 'x', source: 'graph TD\nA' }, { headers })).status).toBe(201);
  });

  it('scopes keys to the owner: another owner may use the same key string', async () => {
    const other = new TestClient(a.url, (await createTestKey()).secret);
    const headers = { 'idempotency-key': 'create-onboarding-1' };
    const response = await other.post('/api/v1/diagrams', { name: 'Theirs', source: 'graph TD\nA' }, { headers });
    expect(response.status).toBe(201);
    expect(response.body.name).toBe('Theirs');
  });

  it('never stores a new key\'s secret: a replay returns the same key with secret null', async () => {
    const headers = { 'idempotency-key': 'new-key-1' };
    const first = await client.post('/api/v1/keys', { name: 'ci', scopes: ['diagrams:read'] }, { headers });
    expect(first.body.secret).toMatch(/^fs_test_/);
    const replay = await client.post('/api/v1/keys', { name: 'ci', scopes: ['diagrams:read'] }, { headers });
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual({ ...first.body, secret: null });
    const record = await testPrisma().idempotencyRecord.findFirst({ where: { key: 'new-key-1' } });
    expect(Buffer.from(record!.responseBody!).toString()).not.toContain(first.body.secret);
    expect(await testPrisma().apiKey.count({ where: { ownerId, name: 'ci' } })).toBe(1);
  });

  it('stores the record in Postgres with a 24 h expiry', async () => {
    const record = await testPrisma().idempotencyRecord.findFirst({ where: { scope: `owner:${ownerId}`, key: 'create-onboarding-1' } });
    expect(record?.statusCode).toBe(201);
    const hours = (record!.expiresAt.getTime() - record!.createdAt.getTime()) / 3600_000;
    expect(hours).toBeCloseTo(24, 1);
  });
});
