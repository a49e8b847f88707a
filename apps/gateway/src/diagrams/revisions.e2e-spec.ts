import { closeTestPrisma, createTestKey, expectError, RunningGateway, startGateway, TestClient, testPrisma } from '@flowsmith/testing';
import { createGateway } from '../gateway';

const v = (label: string) => `flowchart LR\n  A[${label}] --> B[Done]`;

/** Revisions of diagrams (docs/api.md, "Revisions"): history, If-Match, restore, pinned shares. */
describe('diagram revisions', () => {
  let gateway: RunningGateway;
  let client: TestClient;
  let keyId: string;

  beforeAll(async () => {
    gateway = await startGateway(createGateway, { RATE_LIMIT_PER_KEY: '100000' });
    const key = await createTestKey({ plan: 'premium' });
    client = new TestClient(gateway.url, key.secret);
    keyId = key.id;
  });
  afterAll(async () => {
    await gateway.close();
    await closeTestPrisma();
  });

  const create = async (label = 'One') => {
    const response = await client.post('/api/v1/diagrams', { name: 'History', source: v(label) });
    expect(response.status).toBe(201);
    return response;
  };

  it('numbers every change of name or source from 1, lists them newest first, and keeps each as it was', async () => {
    const created = await create();
    expect(created.body.revision).toBe(1);
    expect(created.headers.get('etag')).toBe('"r1"');
    const id = created.body.id;
    expect((await client.patch(`/api/v1/diagrams/${id}`, { source: v('Two') })).body.revision).toBe(2);
    expect((await client.patch(`/api/v1/diagrams/${id}`, { name: 'Renamed' })).body.revision).toBe(3);
    // A move, or a PATCH that changes nothing, is no new revision.
    const folder = (await client.post('/api/v1/folders', { name: 'Elsewhere' })).body;
    expect((await client.patch(`/api/v1/diagrams/${id}`, { folder_id: folder.id })).body.revision).toBe(3);
    expect((await client.patch(`/api/v1/diagrams/${id}`, { name: 'Renamed', source: v('Two') })).body.revision).toBe(3);

    const list = await client.get(`/api/v1/diagrams/${id}/revisions`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ object: 'list', has_more: false, next_cursor: null });
    expect(list.body.data.map((r: { number: number; name: string }) => [r.number, r.name])).toEqual([[3, 'Renamed'], [2, 'History'], [1, 'History']]);
    const first = await client.get(`/api/v1/diagrams/${id}/revisions/1`);
    expect(first.body).toEqual({
      object: 'diagram_revision',
      diagram_id: id,
      number: 1,
      name: 'History',
      source: v('One'),
      source_format: 'mermaid',
      diagram_type: 'flowchart',
      api_key_id: keyId,
      created_by: expect.any(String),
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    expect((await client.get(`/api/v1/diagrams/${id}`)).headers.get('etag')).toBe('"r3"');
  });

  it('pages through 45 revisions with no gaps and no duplicates, and refuses a bad cursor', async () => {
    const id = (await create('p0')).body.id;
    for (let i = 1; i < 45; i++) expect((await client.patch(`/api/v1/diagrams/${id}`, { name: `p${i}` })).status).toBe(200);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: Array<{ number: number }>; next_cursor: string | null } } = await client.get(`/api/v1/diagrams/${id}/revisions?limit=10${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.data.map((r) => r.number));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 45 }, (_, i) => 45 - i));
    expectError(await client.get(`/api/v1/diagrams/${id}/revisions?cursor=bm9wZQ`), { status: 400, type: 'invalid_request_error', code: 'invalid_cursor', param: 'cursor' });
  });

  it('renders an old revision on the image route', async () => {
    const id = (await create('Before')).body.id;
    await client.patch(`/api/v1/diagrams/${id}`, { source: v('After') });
    const old = await client.get(`/api/v1/diagrams/${id}/image?format=svg&revision=1`);
    const now = await client.get(`/api/v1/diagrams/${id}/image?format=svg`);
    expect(old.status).toBe(200);
    expect(old.text).toContain('Before');
    expect(now.text).toContain('After');
    expectError(await client.get(`/api/v1/diagrams/${id}/image?revision=9`), { status: 404, type: 'not_found_error', code: 'resource_not_found', param: 'revision' });
    expectError(await client.get(`/api/v1/diagrams/${id}/image?revision=0`), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'revision' });
  });

  it('restores an old revision as a new one', async () => {
    const id = (await create('Original')).body.id;
    await client.patch(`/api/v1/diagrams/${id}`, { name: 'Broken it', source: v('Mistake') });
    const restored = await client.post(`/api/v1/diagrams/${id}/revisions/1/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ revision: 3, name: 'History', source: v('Original') });
    expect(restored.headers.get('etag')).toBe('"r3"');
    expect((await client.get(`/api/v1/diagrams/${id}/revisions/2`)).body.source).toBe(v('Mistake'));
    expectError(await client.post(`/api/v1/diagrams/${id}/revisions/7/restore`), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
    expectError(await client.get(`/api/v1/diagrams/${id}/revisions/abc`), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
  });

  it('with If-Match, exactly one of ten concurrent PATCHes from the same revision wins; the others are 412 and write nothing', async () => {
    const created = await create('Race');
    const id = created.body.id;
    const etag = created.headers.get('etag')!;
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => client.patch(`/api/v1/diagrams/${id}`, { source: v(`Writer ${i}`) }, { headers: { 'if-match': etag } })));
    const won = answers.filter((a) => a.status === 200);
    expect(won).toHaveLength(1);
    for (const lost of answers.filter((a) => a.status !== 200)) {
      expectError(lost, { status: 412, type: 'invalid_request_error', code: 'precondition_failed', message: /revision 2/ });
      expect(lost.headers.get('etag')).toBe('"r2"');
    }
    const stored = (await client.get(`/api/v1/diagrams/${id}`)).body;
    expect(stored).toMatchObject({ revision: 2, source: won[0].body.source });
    expect(await testPrisma().diagramRevision.count({ where: { diagramId: id } })).toBe(2);
    // The winner's ETag lets the next write through; a weak or malformed tag matches nothing; `*` matches any.
    expect((await client.patch(`/api/v1/diagrams/${id}`, { name: 'Next' }, { headers: { 'if-match': won[0].headers.get('etag')! } })).status).toBe(200);
    expectError(await client.patch(`/api/v1/diagrams/${id}`, { name: 'Weak' }, { headers: { 'if-match': 'W/"r3"' } }), { status: 412, type: 'invalid_request_error', code: 'precondition_failed' });
    expectError(await client.patch(`/api/v1/diagrams/${id}`, { name: 'Junk' }, { headers: { 'if-match': 'nonsense' } }), { status: 412, type: 'invalid_request_error', code: 'precondition_failed' });
    expect((await client.patch(`/api/v1/diagrams/${id}`, { name: 'Any' }, { headers: { 'if-match': '*' } })).body.revision).toBe(4);
  });

  it('without If-Match, concurrent PATCHes each make a revision, numbered without gaps', async () => {
    const id = (await create('Busy')).body.id;
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => client.patch(`/api/v1/diagrams/${id}`, { name: `Busy ${i}` })));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const numbers = (await client.get(`/api/v1/diagrams/${id}/revisions?limit=100`)).body.data.map((r: { number: number }) => r.number);
    expect(numbers).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('a share pins the revision it was made from unless it follows the latest', async () => {
    const id = (await create('Published')).body.id;
    const pinned = await client.post('/api/v1/share', { diagram_id: id });
    const following = await client.post('/api/v1/share', { diagram_id: id, follow_latest: true });
    expect(pinned.body).toMatchObject({ revision: 1, follow_latest: false });
    expect(following.body).toMatchObject({ revision: null, follow_latest: true });
    await client.patch(`/api/v1/diagrams/${id}`, { source: v('Edited') });
    const anonymous = new TestClient(gateway.url);
    expect((await anonymous.get(pinned.body.url)).text).toContain('Published');
    expect((await anonymous.get(following.body.url)).text).toContain('Edited');
    expectError(await client.post('/api/v1/share', { source: v('x'), follow_latest: true }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'follow_latest' });
  });

  it('deleting a diagram deletes its history; another owner sees none of it', async () => {
    const id = (await create('Private')).body.id;
    const stranger = new TestClient(gateway.url, (await createTestKey()).secret);
    expectError(await stranger.get(`/api/v1/diagrams/${id}/revisions`), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
    expectError(await stranger.get(`/api/v1/diagrams/${id}/revisions/1`), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
    expectError(await stranger.post(`/api/v1/diagrams/${id}/revisions/1/restore`), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
    await client.delete(`/api/v1/diagrams/${id}`);
    expect(await testPrisma().diagramRevision.count({ where: { diagramId: id } })).toBe(0);
  });
});
