import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_EMBED_SOURCE_BYTES, SCOPES, Scope, SOURCE_FORMATS } from '@flowsmith/contracts';
import { closeTestPrisma, createTestKey, RunningGateway, startGateway, svgSafetyProblems, TestClient, TestResponse } from '@flowsmith/testing';
import { createGateway } from '../gateway';

/**
 * Every SVG that leaves the API for a hostile source passes the XSS audit of libs/testing
 * (svg-safety.ts): the image route of a stored diagram, POST /v1/beautify, POST /v1/export,
 * the embed GET /v1/beautify.svg (Mermaid) and the public share. A payload may instead be refused
 * with 400 parse_failed. The corpus is xss-corpus/<format>/, one file per payload.
 */
const CORPUS = join(__dirname, '../../test/xss-corpus');
/** Every source format the API takes: a new one without payloads fails the count below instead of going unaudited. */
const FORMATS = SOURCE_FORMATS;
const PAYLOADS = FORMATS.flatMap((format) =>
  readdirSync(join(CORPUS, format))
    .sort()
    .map((file) => ({ format, file, source: readFileSync(join(CORPUS, format, file), 'utf8') })),
);
/** Raw payloads that are harmless as they stand (escaped markup is text), so the audit passes them. */
const HARMLESS_AS_IS = new Set(['svg/text-escaped-markup.svg']);

type Outcome = { route: string; svg?: string; refused?: string; problem?: string };

describe('no SVG that leaves the API can run script or reach out (XSS corpus)', () => {
  let gateway: RunningGateway;
  let client: TestClient;
  let anonymous: TestClient;

  beforeAll(async () => {
    gateway = await startGateway(createGateway, { RATE_LIMIT_PER_KEY: '100000', RATE_LIMIT_ANONYMOUS: '100000', RATE_LIMIT_EMBED: '100000' });
    client = new TestClient(gateway.url, (await createTestKey({ plan: 'premium', scopes: [...SCOPES] as Scope[] })).secret);
    anonymous = new TestClient(gateway.url);
  });
  afterAll(async () => {
    await gateway.close();
    await closeTestPrisma();
  });

  it('has payloads for every format, and the audit itself catches the raw SVG ones', () => {
    for (const format of FORMATS) expect(PAYLOADS.filter((p) => p.format === format).length).toBeGreaterThanOrEqual(10);
    for (const { format, file, source } of PAYLOADS.filter((p) => p.format === 'svg')) {
      const findings = svgSafetyProblems(source);
      if (HARMLESS_AS_IS.has(`${format}/${file}`)) expect(findings).toEqual([]);
      else expect({ file, findings }).toEqual({ file, findings: expect.arrayContaining([expect.any(String)]) });
    }
  });

  describe('regressions the corpus found', () => {
    // Was served as is: the SVG sanitizer matched only literal `@import`/`url(`, not their CSS-escaped spellings.
    it('CSS escapes cannot spell @import or url() past the sanitizer', async () => {
      const source = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><style>@\\69mport url(https://evil.example/a.css); rect { fill: u\\72l(https://evil.example/b) }</style><rect width="9" height="9"/></svg>';
      const response = await client.post('/api/v1/beautify', { source, source_format: 'svg' });
      expect(response.status).toBe(200);
      expect(svgSafetyProblems(response.body.svg)).toEqual([]);
      expect(response.body.svg).not.toContain('evil.example');
    });

    // Was 503 after three retries: PlantUML puts unknown <font> attributes into font-family, and the final check took the text for a handler.
    it('a handler name inside an attribute value is text, not a reason to fail the render', async () => {
      const response = await client.post('/api/v1/beautify', { source: '@startuml\nAlice -> Bob : <font color="red" onmouseover="alert(1)">hover</font>\n@enduml', source_format: 'plantuml' });
      expect(response.status).toBe(200);
      expect(svgSafetyProblems(response.body.svg)).toEqual([]);
    });
  });

  /** An SVG answer, or a refusal that must be 400 parse_failed (an envelope); anything else is a problem. */
  function outcome(route: string, response: TestResponse, svgOf: (r: TestResponse) => string): Outcome {
    if (response.status === 200) return { route, svg: svgOf(response) };
    if (response.status === 400 && response.body?.error?.code === 'parse_failed') return { route, refused: response.body.error.message };
    return { route, problem: `${response.status} ${response.text.slice(0, 300)}` };
  }

  // Each route's answer is audited; the render behind it is shared by two routes at a time (one
  // theme each pair, so the second is a cache hit): two renders a payload instead of four, in two
  // themes. The payloads are the variety; the theme is ours.
  async function everyRoute(format: string, source: string): Promise<Outcome[]> {
    const body = { source, source_format: format };
    const results = await Promise.all([
      (async () => {
        const created = await client.post('/api/v1/diagrams', { name: 'xss', ...body });
        if (created.status !== 201) return [outcome('POST /v1/diagrams', created, () => '')];
        return [outcome('GET /v1/diagrams/{id}/image', await client.get(`/api/v1/diagrams/${created.body.id}/image?format=svg&theme=dark`), (r) => r.text)];
      })(),
      (async () => [outcome('POST /v1/beautify', await client.post('/api/v1/beautify', { ...body, theme: 'blueprint' }), (r) => r.body.svg)])(),
      (async () => [outcome('POST /v1/export', await client.post('/api/v1/export', { ...body, format: 'svg', theme: 'dark' }), (r) => r.text)])(),
      (async () => {
        const shared = await client.post('/api/v1/share', { ...body, theme: 'blueprint' });
        if (shared.status !== 201) return [outcome('POST /v1/share', shared, () => '')];
        return [outcome('GET /v1/share/{id}.svg', await anonymous.get(shared.body.url), (r) => r.text)];
      })(),
      (async () => {
        if (format !== 'mermaid' || Buffer.byteLength(source) > MAX_EMBED_SOURCE_BYTES) return [];
        const embed = await anonymous.get(`/api/v1/beautify.svg?source=${Buffer.from(source).toString('base64url')}`);
        expect(embed.status).toBe(200); // a source that does not parse still gets a fallback SVG
        return [outcome('GET /v1/beautify.svg', embed, (r) => r.text)];
      })(),
    ]);
    return results.flat();
  }

  it.each(FORMATS)('%s payloads: every SVG out passes the audit, or the source is refused with parse_failed', async (format) => {
    const failures: string[] = [];
    let served = 0;
    let refused = 0;
    for (const { file, source } of PAYLOADS.filter((p) => p.format === format)) {
      for (const result of await everyRoute(format, source)) {
        if (result.problem) failures.push(`${file} via ${result.route}: ${result.problem}`);
        else if (result.refused !== undefined) refused++;
        else {
          served++;
          const findings = svgSafetyProblems(result.svg!);
          if (findings.length) failures.push(`${file} via ${result.route}:\n    ${findings.join('\n    ')}`);
        }
      }
    }
    process.stdout.write(`output safety, ${format}: ${served} SVGs audited, ${refused} refusals (parse_failed)\n`);
    expect(served).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  }, 60_000);
});
