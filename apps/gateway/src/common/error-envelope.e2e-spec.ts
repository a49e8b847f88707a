import { SOURCE_FORMATS } from '@flowsmith/contracts';
import { closeTestPrisma, createTestKey, expectError, RunningGateway, startGateway, TestClient, testPrisma } from '@flowsmith/testing';
import { rootLogger } from '@flowsmith/observability';
import { DiagramsService } from '../diagrams/diagrams.service';
import { createGateway } from '../gateway';

describe('the error envelope and request ids', () => {
  let gateway: RunningGateway;
  let client: TestClient;
  let ownerId: string;

  beforeAll(async () => {
    gateway = await startGateway(createGateway);
    const key = await createTestKey();
    ownerId = key.ownerId;
    client = new TestClient(gateway.url, key.secret);
  });
  afterAll(async () => {
    await gateway.close();
    await closeTestPrisma();
  });

  const diagramsWritten = () => testPrisma().diagram.count({ where: { ownerId } });

  it('puts X-Request-Id on every response: successes, errors, 404s and health', async () => {
    const seen = new Set<string>();
    for (const response of [
      await client.get('/api/v1/diagrams'),
      await client.get('/api/v1/nope'),
      await new TestClient(gateway.url).get('/api/v1/diagrams'),
      await client.get('/healthz'),
      await client.post('/api/v1/diagrams', { name: 'x' }),
    ]) {
      const id = response.headers.get('x-request-id')!;
      expect(id).toMatch(/^req_[0-9a-f]{16}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(5);
  });

  it('answers unknown routes with a 404 envelope', async () => {
    expectError(await client.get('/api/v1/nothing-here'), { status: 404, type: 'not_found_error', code: 'resource_not_found', message: 'Unrecognized request URL (GET /api/v1/nothing-here).' });
    expectError(await client.request('PUT', '/api/v1/diagrams'), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
  });

  it('answers a non-UUID id like an unknown one', async () => {
    for (const id of ['123', 'not-a-uuid', "1' OR '1'='1"]) {
      expectError(await client.get(`/api/v1/diagrams/${encodeURIComponent(id)}`), { status: 404, type: 'not_found_error', code: 'resource_not_found', message: 'Diagram not found.' });
    }
    expectError(await client.get('/api/v1/folders/xyz'), { status: 404, type: 'not_found_error', code: 'resource_not_found', message: 'Folder not found.' });
  });

  describe('bad input gets its documented error and writes nothing', () => {
    const cases: Array<[string, () => Promise<any>, { status: number; type: string; code: string; param?: string; message?: string | RegExp }]> = [
      ['broken JSON', () => client.request('POST', '/api/v1/diagrams', { rawBody: '{"name": "x", ', headers: { 'content-type': 'application/json' } }), { status: 400, type: 'invalid_request_error', code: 'invalid_json' }],
      ['a JSON array body', () => client.request('POST', '/api/v1/diagrams', { rawBody: '[1,2]', headers: { 'content-type': 'application/json' } }), { status: 400, type: 'invalid_request_error', code: 'invalid_json' }],
      ['a 2 MB body', () => client.post('/api/v1/diagrams', { name: 'big', source: 'x'.repeat(2 * 1024 * 1024) }), { status: 413, type: 'invalid_request_error', code: 'payload_too_large' }],
      ['a 200 KB source', () => client.post('/api/v1/diagrams', { name: 'big', source: 'graph TD\n' + 'A-->B\n'.repeat(200 * 1024 / 6) }), { status: 413, type: 'invalid_request_error', code: 'source_too_large', param: 'source' }],
      ['a non-JSON content type', () => client.request('POST', '/api/v1/diagrams', { rawBody: 'name=x', headers: { 'content-type': 'text/plain' } }), { status: 415, type: 'invalid_request_error', code: 'unsupported_media_type' }],
      ['a missing name', () => client.post('/api/v1/diagrams', { source: 'graph TD\nA' }), { status: 400, type: 'invalid_request_error', code: 'missing_parameter', param: 'name', message: 'Missing required parameter: name.' }],
      ['a missing body', () => client.request('POST', '/api/v1/diagrams'), { status: 400, type: 'invalid_request_error', code: 'missing_parameter', param: 'name' }],
      ['a number for name', () => client.post('/api/v1/diagrams', { name: 42, source: 'graph TD\nA' }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'name', message: 'name must be a string.' }],
      ['an object for source', () => client.post('/api/v1/diagrams', { name: 'x', source: { a: 1 } }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'source' }],
      ['an unknown field', () => client.post('/api/v1/diagrams', { name: 'x', source: 'graph TD\nA', colour: 'red' }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'colour', message: 'Received unknown parameter: colour.' }],
      ['an unknown source_format', () => client.post('/api/v1/diagrams', { name: 'x', source: 'graph TD\nA', source_format: 'visio' }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'source_format', message: `source_format must be one of: ${SOURCE_FORMATS.join(', ')}.` }],
      ['a 10,000-character name', () => client.post('/api/v1/diagrams', { name: 'n'.repeat(10_000), source: 'graph TD\nA' }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'name', message: 'name must be at most 200 characters.' }],
      ['an empty name', () => client.post('/api/v1/diagrams', { name: '', source: 'graph TD\nA' }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'name' }],
      ['a non-UUID folder_id', () => client.post('/api/v1/diagrams', { name: 'x', source: 'graph TD\nA', folder_id: 'inbox' }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'folder_id' }],
      ['a bad limit', () => client.get('/api/v1/diagrams?limit=500'), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'limit', message: 'limit must be an integer between 1 and 100.' }],
      ['a word for limit', () => client.get('/api/v1/diagrams?limit=ten'), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'limit' }],
      ['an unknown query parameter', () => client.get('/api/v1/diagrams?sort=name'), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'sort' }],
      ['a cursor that does not decode', () => client.get('/api/v1/diagrams?cursor=bm9wZQ'), { status: 400, type: 'invalid_request_error', code: 'invalid_cursor', param: 'cursor' }],
      ['a bad force flag', () => client.delete('/api/v1/folders/00000000-0000-4000-8000-000000000000?force=yes'), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'force' }],
      ['a bad Idempotency-Key', () => client.post('/api/v1/diagrams', { name: 'x', source: 'graph TD\nA' }, { headers: { 'idempotency-key': 'k'.repeat(300) } }), { status: 400, type: 'invalid_request_error', code: 'invalid_parameter', param: 'Idempotency-Key' }],
    ];
    it.each(cases)('%s', async (_, send, expected) => {
      const before = await diagramsWritten();
      expectError(await send(), expected);
      expect(await diagramsWritten()).toBe(before);
    });

    it('keeps a good request working after all of them', async () => {
      expect((await client.post('/api/v1/diagrams', { name: 'fine', source: 'graph TD\nA-->B' })).status).toBe(201);
    });
  });

  it('answers an unexpected failure with 500 internal_error, no stack, and logs it with the request id', async () => {
    const service = gateway.app.get(DiagramsService);
    const spy = jest.spyOn(service, 'list').mockRejectedValueOnce(new Error('boom: secret internals at /srv/app.js:12'));
    // The gateway's pino logger (silent in tests: the spy sees the call all the same).
    const logger = jest.spyOn(rootLogger(), 'error');
    try {
      const response = await client.get('/api/v1/diagrams');
      expectError(response, { status: 500, type: 'api_error', code: 'internal_error' });
      expect(response.text).not.toContain('boom');
      expect(logger).toHaveBeenCalledWith(expect.objectContaining({ request_id: response.body.request_id, method: 'GET', path: '/api/v1/diagrams', error: expect.stringContaining('boom') }), 'unexpected error');
    } finally {
      spy.mockRestore();
      logger.mockRestore();
    }
  });
});
