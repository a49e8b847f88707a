import { randomUUID } from 'node:crypto';
import { closeTestPrisma, createTestKey, expectError, RunningGateway, startGateway, TestClient, testPrisma } from '@flowsmith/testing';
import { createGateway } from '../gateway';

describe('diagrams and folders', () => {
  let gateway: RunningGateway;
  let client: TestClient;
  let key: Awaited<ReturnType<typeof createTestKey>>;

  beforeAll(async () => {
    gateway = await startGateway(createGateway, { RATE_LIMIT_PER_KEY: '10000' });
    key = await createTestKey();
    client = new TestClient(gateway.url, key.secret);
  });
  afterAll(async () => {
    await gateway.close();
    await closeTestPrisma();
  });

  it('creates, reads, updates and deletes a diagram in the shape of docs/api.md', async () => {
    const created = await client.post('/api/v1/diagrams', { name: 'Customer onboarding', source: 'flowchart TD\n A-->B' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      object: 'diagram',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Customer onboarding',
      source: 'flowchart TD\n A-->B',
      source_format: 'mermaid',
      diagram_type: 'flowchart',
      revision: 1,
      folder_id: null,
      organization_id: null,
      created_by: key.userId,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      detected_format: 'mermaid',
    });
    const id = created.body.id;
    const { detected_format: _detected, ...stored } = created.body;
    expect((await client.get(`/api/v1/diagrams/${id}`)).body).toEqual(stored);

    const patched = await client.patch(`/api/v1/diagrams/${id}`, { name: 'Renamed', source: 'sequenceDiagram\n A->>B: hi' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Renamed', diagram_type: 'sequence', source_format: 'mermaid' });

    expect((await client.delete(`/api/v1/diagrams/${id}`)).body).toEqual({ object: 'diagram', id, deleted: true });
    expectError(await client.get(`/api/v1/diagrams/${id}`), { status: 404, type: 'not_found_error', code: 'resource_not_found', message: 'Diagram not found.' });
    expectError(await client.delete(`/api/v1/diagrams/${id}`), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
  });

  it('walks a folder of 250 diagrams page by page with no duplicates and no gaps', async () => {
    const folder = (await client.post('/api/v1/folders', { name: 'Big' })).body;
    // Many rows share a timestamp, so the id tie-break is exercised too.
    const base = Date.now() - 1000_000;
    const rows = Array.from({ length: 250 }, (_, i) => ({
      id: randomUUID(),
      ownerId: key.ownerId,
      createdBy: key.userId,
      folderId: folder.id,
      name: `d${i}`,
      source: 'graph TD\nA',
      sourceFormat: 'mermaid' as const,
      diagramType: 'flowchart',
      createdAt: new Date(base + Math.floor(i / 7) * 1000),
    }));
    await testPrisma().diagram.createMany({ data: rows });
    // Noise outside the folder must not appear.
    await client.post('/api/v1/diagrams', { name: 'outside', source: 'graph TD\nA' });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/api/v1/diagrams?folder_id=${folder.id}&limit=37${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await client.get(query);
      expect(page.status).toBe(200);
      expect(page.body.object).toBe('list');
      seen.push(...page.body.data.map((d: { id: string }) => d.id));
      cursor = page.body.next_cursor;
      expect(page.body.has_more).toBe(cursor !== null);
      pages++;
    } while (cursor);
    expect(pages).toBe(Math.ceil(250 / 37));
    expect(seen.length).toBe(250);
    expect(new Set(seen).size).toBe(250);
    const expected = [...rows].sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime() || (y.id < x.id ? -1 : 1)).map((r) => r.id);
    expect(seen).toEqual(expected);
  });

  it('defaults to 20 newest first, and refuses a cursor from another list', async () => {
    const page = await client.get('/api/v1/diagrams');
    expect(page.body.data.length).toBe(20);
    const times = page.body.data.map((d: { created_at: string }) => d.created_at);
    expect([...times].sort().reverse()).toEqual(times);
    const folders = await client.get(`/api/v1/folders?limit=1`);
    await client.post('/api/v1/folders', { name: 'another' });
    const folderCursor = (await client.get('/api/v1/folders?limit=1')).body.next_cursor;
    expect(folders.status).toBe(200);
    expectError(await client.get(`/api/v1/diagrams?cursor=${folderCursor}`), { status: 400, type: 'invalid_request_error', code: 'invalid_cursor', param: 'cursor' });
  });

  it('nests folders, moves diagrams between them and refuses cycles', async () => {
    const root = (await client.post('/api/v1/folders', { name: 'Root', context: 'Payments team; use sequence diagrams.' })).body;
    expect(root).toMatchObject({ object: 'folder', name: 'Root', parent_id: null, context: 'Payments team; use sequence diagrams.', organization_id: null });
    const child = (await client.post('/api/v1/folders', { name: 'Child', parent_id: root.id })).body;
    const grandchild = (await client.post('/api/v1/folders', { name: 'Grandchild', parent_id: child.id })).body;
    expect(grandchild.parent_id).toBe(child.id);
    expect((await client.get(`/api/v1/folders?parent_id=${root.id}`)).body.data.map((f: { id: string }) => f.id)).toEqual([child.id]);

    expectError(await client.patch(`/api/v1/folders/${root.id}`, { parent_id: grandchild.id }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'parent_id' });
    expectError(await client.patch(`/api/v1/folders/${root.id}`, { parent_id: root.id }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'parent_id' });
    expect((await client.get(`/api/v1/folders/${root.id}`)).body.parent_id).toBeNull();

    const diagram = (await client.post('/api/v1/diagrams', { name: 'In child', source: 'graph TD\nA', folder_id: child.id })).body;
    expect((await client.patch(`/api/v1/diagrams/${diagram.id}`, { folder_id: grandchild.id })).body.folder_id).toBe(grandchild.id);
    expect((await client.patch(`/api/v1/diagrams/${diagram.id}`, { folder_id: null })).body.folder_id).toBeNull();
    await client.patch(`/api/v1/diagrams/${diagram.id}`, { folder_id: child.id });

    const renamed = await client.patch(`/api/v1/folders/${child.id}`, { name: 'Kid', context: null });
    expect(renamed.body).toMatchObject({ name: 'Kid', context: null, parent_id: root.id });
  });

  it('refuses to delete a folder with contents unless forced, which moves them to its parent', async () => {
    const parent = (await client.post('/api/v1/folders', { name: 'Parent' })).body;
    const doomed = (await client.post('/api/v1/folders', { name: 'Doomed', parent_id: parent.id })).body;
    const inner = (await client.post('/api/v1/folders', { name: 'Inner', parent_id: doomed.id })).body;
    const diagram = (await client.post('/api/v1/diagrams', { name: 'Kept', source: 'graph TD\nA', folder_id: doomed.id })).body;

    expectError(await client.delete(`/api/v1/folders/${doomed.id}`), { status: 409, type: 'invalid_request_error', code: 'folder_not_empty' });
    expect((await client.get(`/api/v1/folders/${doomed.id}`)).status).toBe(200);

    expect((await client.delete(`/api/v1/folders/${doomed.id}?force=true`)).body).toEqual({ object: 'folder', id: doomed.id, deleted: true });
    expect((await client.get(`/api/v1/diagrams/${diagram.id}`)).body.folder_id).toBe(parent.id);
    expect((await client.get(`/api/v1/folders/${inner.id}`)).body.parent_id).toBe(parent.id);
    expectError(await client.get(`/api/v1/folders/${doomed.id}`), { status: 404, type: 'not_found_error', code: 'resource_not_found' });

    const empty = (await client.post('/api/v1/folders', { name: 'Empty' })).body;
    expect((await client.delete(`/api/v1/folders/${empty.id}`)).status).toBe(200);
  });

  it('validates folder input', async () => {
    expectError(await client.post('/api/v1/folders', {}), { status: 400, type: 'invalid_request_error', code: 'missing_parameter', param: 'name' });
    expectError(await client.post('/api/v1/folders', { name: 'x', context: 'c'.repeat(5000) }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'context' });
    expectError(await client.post('/api/v1/folders', { name: 'x', parent_id: randomUUID() }), { status: 404, type: 'not_found_error', code: 'resource_not_found', param: 'parent_id' });
  });
});
