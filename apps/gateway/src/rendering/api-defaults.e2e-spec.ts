import { DEFAULT_THEME, LANGUAGES, SOURCE_FORMATS } from '@flowsmith/contracts';
import { closeTestPrisma, createTestKey, expectError, RunningGateway, startGateway, TestClient, testPrisma } from '@flowsmith/testing';
import { createGateway } from '../gateway';

const PLANTUML = '@startuml\nAlice -> Bob: hello\n@enduml';
const FLOW = 'flowchart LR\n  A[Start] --> B[Done]';
const b64url = (text: string) => Buffer.from(text).toString('base64url');

/**
 * The defaults every route shares (docs/api.md, "Source formats" and "Themes"): `source_format`
 * detected when omitted, with `detected_format` in the answer; one default theme; JSON bodies only.
 */
describe('API defaults shared by every route', () => {
  let gateway: RunningGateway;
  let client: TestClient;
  let ownerId: string;

  beforeAll(async () => {
    gateway = await startGateway(createGateway, { RATE_LIMIT_ANONYMOUS: '1000', RATE_LIMIT_EMBED: '1000' });
    const key = await createTestKey({ plan: 'premium' });
    client = new TestClient(gateway.url, key.secret);
    ownerId = key.ownerId;
  });
  afterAll(async () => {
    await gateway.close();
    await closeTestPrisma();
  });

  describe('source_format detected when omitted', () => {
    it.each(SOURCE_FORMATS)("beautify detects %s from its sample and renders it", async (format) => {
      const response = await client.post('/api/v1/beautify', { source: LANGUAGES[format].sample });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ object: 'render', source_format: format, detected_format: format });
      expect(response.body.svg).toMatch(/^<svg[\s>]/);
    }, 60_000);

    it('says detected_format: null when the request named the format', async () => {
      const response = await client.post('/api/v1/beautify', { source: FLOW, source_format: 'mermaid' });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ source_format: 'mermaid', detected_format: null });
    });

    it('export names it in a header, and in the JSON answer', async () => {
      const file = await client.post('/api/v1/export', { source: PLANTUML });
      expect(file.status).toBe(200);
      expect(file.headers.get('x-source-format')).toBe('plantuml');
      expect(file.headers.get('x-detected-format')).toBe('plantuml');
      expect(file.text).toContain('Alice');
      const json = await client.post('/api/v1/export?response=json', { source: PLANTUML, format: 'png' });
      expect(json.status).toBe(200);
      expect(json.body).toMatchObject({ object: 'export', source_format: 'plantuml', detected_format: 'plantuml', format: 'png' });
      const named = await client.post('/api/v1/export', { source: PLANTUML, source_format: 'plantuml' });
      expect(named.headers.get('x-detected-format')).toBeNull();
    });

    it('the embed renders any language, detected from the URL', async () => {
      const response = await client.get(`/api/v1/beautify.svg?source=${b64url(PLANTUML)}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-detected-format')).toBe('plantuml');
      expect(response.text).toContain('Alice');
      const named = await client.get(`/api/v1/beautify.svg?source=${b64url(LANGUAGES.graphviz.sample)}&source_format=graphviz`);
      expect(named.status).toBe(200);
      expect(named.headers.get('x-detected-format')).toBeNull();
    });

    it('a stored diagram is created in the detected format; a PATCH of its source keeps it', async () => {
      const created = await client.post('/api/v1/diagrams', { name: 'Detected', source: PLANTUML });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ object: 'diagram', source_format: 'plantuml', detected_format: 'plantuml', diagram_type: 'plantuml:sequence' });
      const fetched = await client.get(`/api/v1/diagrams/${created.body.id}`);
      expect(fetched.body.source_format).toBe('plantuml');
      expect(fetched.body).not.toHaveProperty('detected_format');
      const patched = await client.patch(`/api/v1/diagrams/${created.body.id}`, { source: '@startuml\nAlice -> Carol: hi\n@enduml' });
      expect(patched.status).toBe(200);
      expect(patched.body.source_format).toBe('plantuml');
      const named = await client.post('/api/v1/diagrams', { name: 'Named', source: FLOW, source_format: 'mermaid' });
      expect(named.body.detected_format).toBeNull();
    });

    it('a share of a source is published in the detected format', async () => {
      const share = await client.post('/api/v1/share', { source: LANGUAGES.d2.sample });
      expect(share.status).toBe(201);
      expect(share.body).toMatchObject({ object: 'share', detected_format: 'd2' });
      const image = await new TestClient(gateway.url).get(share.body.url);
      expect(image.status).toBe(200);
      expect(image.text).toMatch(/^<svg[\s>]/);
    });

    it('a source that shows no language is 400 missing_parameter on source_format, and nothing is written', async () => {
      const before = await testPrisma().diagram.count({ where: { ownerId } });
      const shares = await testPrisma().share.count({ where: { ownerId } });
      for (const response of [
        await client.post('/api/v1/beautify', { source: 'just some words' }),
        await client.post('/api/v1/export', { source: 'just some words' }),
        await client.post('/api/v1/diagrams', { name: 'Unknown', source: 'just some words' }),
        await client.post('/api/v1/share', { source: 'just some words' }),
        await client.get(`/api/v1/beautify.svg?source=${b64url('just some words')}`),
      ]) {
        expectError(response, { status: 400, type: 'invalid_request_error', code: 'missing_parameter', param: 'source_format', message: /could not be detected.*source_format/ });
      }
      expect(await testPrisma().diagram.count({ where: { ownerId } })).toBe(before);
      expect(await testPrisma().share.count({ where: { ownerId } })).toBe(shares);
    });
  });

  describe('one default theme', () => {
    it(`every Flowsmith route draws in ${DEFAULT_THEME} when not told a theme`, async () => {
      const beautify = await client.post('/api/v1/beautify', { source: FLOW });
      expect(beautify.body.meta.theme).toBe(DEFAULT_THEME);
      const exported = await client.post('/api/v1/export', { source: FLOW });
      expect(exported.headers.get('x-theme')).toBe(DEFAULT_THEME);
      const diagram = await client.post('/api/v1/diagrams', { name: 'Themed', source: FLOW });
      const image = await client.get(`/api/v1/diagrams/${diagram.body.id}/image?format=svg`);
      const themed = await client.get(`/api/v1/diagrams/${diagram.body.id}/image?format=svg&theme=${DEFAULT_THEME}`);
      expect(image.status).toBe(200);
      expect(image.headers.get('etag')).toBe(themed.headers.get('etag'));
      const share = await client.post('/api/v1/share', { diagram_id: diagram.body.id });
      expect(share.body.theme).toBe(DEFAULT_THEME);
      const embed = await client.get(`/api/v1/beautify.svg?source=${b64url(FLOW)}`);
      const embedThemed = await client.get(`/api/v1/beautify.svg?source=${b64url(FLOW)}&theme=${DEFAULT_THEME}`);
      expect(embed.headers.get('etag')).toBe(embedThemed.headers.get('etag'));
    });
  });

  describe('JSON bodies only', () => {
    it.each([
      ['a form', 'application/x-www-form-urlencoded', 'name=Form&source=flowchart%20LR%0A%20A--%3EB'],
      ['multipart', 'multipart/form-data; boundary=xyz', '--xyz\r\nContent-Disposition: form-data; name="name"\r\n\r\nForm\r\n--xyz--\r\n'],
      ['plain text', 'text/plain', 'flowchart LR\n A-->B'],
      ['XML', 'application/xml', '<diagram/>'],
    ])('%s body is 415 unsupported_media_type, and nothing is written', async (_name, contentType, body) => {
      const before = await testPrisma().diagram.count({ where: { ownerId } });
      for (const path of ['/api/v1/diagrams', '/api/v1/beautify', '/api/v1/folders']) {
        const response = await client.request('POST', path, { rawBody: body, headers: { 'content-type': contentType } });
        expectError(response, { status: 415, type: 'invalid_request_error', code: 'unsupported_media_type', message: /application\/json/ });
      }
      expect(await testPrisma().diagram.count({ where: { ownerId } })).toBe(before);
    });
  });
});
