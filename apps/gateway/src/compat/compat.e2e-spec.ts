import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { LANGUAGES } from '@flowsmith/contracts';
import { closeTestPrisma, CORPUS_FORMATS, corpusFiles, createTestKey, RunningGateway, startGateway } from '@flowsmith/testing';
import { createGateway } from '../gateway';

/** As Kroki's clients encode a GET (docs.kroki.io, "Encode Diagrams"): zlib at level 9, URL-safe base64. */
const kroki = (source: string) => deflateSync(Buffer.from(source), { level: 9 }).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
/** As mermaid's live editor writes a mermaid.ink link: pako: + base64url of the deflated state. */
const pako = (state: object) => `pako:${deflateSync(Buffer.from(JSON.stringify(state))).toString('base64url')}`;

const MERMAID = 'flowchart LR\n  Docs[KrokiDocs] --> Build[CiBuild]';
const PLANTUML = '@startuml\nAlice -> Bob : hello kroki\n@enduml';
const C4 = '@startuml\n!include <C4/C4_Container>\nPerson(user, "Reader")\nSystem(site, "Docs site")\nRel(user, site, "reads")\n@enduml';

describe('Kroki- and mermaid.ink-compatible routes', () => {
  let gateway: RunningGateway;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gateway.url}${path}`, { headers });
  const post = (path: string, body: string, headers: Record<string, string>) => fetch(`${gateway.url}${path}`, { method: 'POST', body, headers });

  let secret: string;
  /** The same source through the API's own stateless render (a key: no watermark), to compare with. */
  const apiSvg = async (source: string, theme: string) => {
    const response = await post('/api/v1/beautify', JSON.stringify({ source, source_format: 'mermaid', theme }), { 'Content-Type': 'application/json', Authorization: `Bearer ${secret}` });
    return ((await response.json()) as { svg: string }).svg;
  };

  beforeAll(async () => {
    gateway = await startGateway(createGateway);
    secret = (await createTestKey({ plan: 'pro' })).secret;
  });
  afterAll(async () => {
    await gateway.close();
    await closeTestPrisma();
  });

  describe('Kroki', () => {
    it('GET /kroki/{type}/svg/{encoded}: the SVG, unwatermarked, cacheable by ETag, CORS open', async () => {
      const response = await get(`/kroki/mermaid/svg/${kroki(MERMAID)}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('cache-control')).toBe('public, max-age=3600, s-maxage=86400');
      expect(response.headers.get('x-diagram-type')).toBe('flowchart');
      const svg = await response.text();
      expect(svg).toContain('KrokiDocs');
      expect(svg).not.toContain('Made with Flowsmith');
      const etag = response.headers.get('etag')!;
      expect((await get(`/kroki/mermaid/svg/${kroki(MERMAID)}`, { 'If-None-Match': etag })).status).toBe(304);
    });

    it('draws PlantUML and C4 (PlantUML with its C4 library) as PNG and JPEG', async () => {
      const png = await get(`/kroki/plantuml/png/${kroki(PLANTUML)}?scale=2`);
      expect(png.status).toBe(200);
      expect(png.headers.get('content-type')).toBe('image/png');
      const meta = await sharp(Buffer.from(await png.arrayBuffer())).metadata();
      expect(meta.format).toBe('png');
      const c4 = await get(`/kroki/c4plantuml/jpeg/${kroki(C4)}`);
      expect(c4.status).toBe(200);
      expect((await sharp(Buffer.from(await c4.arrayBuffer())).metadata()).format).toBe('jpeg');
    });

    it('writes text (txt ASCII, utxt Unicode) for PlantUML and Mermaid, through Kroki and the API', async () => {
      const ascii = await get(`/kroki/plantuml/txt/${kroki(PLANTUML)}`);
      expect([ascii.status, ascii.headers.get('content-type')]).toEqual([200, 'text/plain; charset=utf-8']);
      const art = await ascii.text();
      expect(art).toContain('Alice');
      expect(art).toContain('hello kroki');
      expect(art).not.toMatch(/[\u0080-\uffff]/);

      const unicode = await get(`/kroki/mermaid/utxt/${kroki(MERMAID)}`);
      expect(unicode.status).toBe(200);
      const boxes = await unicode.text();
      expect(boxes).toContain('KrokiDocs');
      expect(boxes).toMatch(/[┌─│►]/);

      const exported = await post('/api/v1/export', JSON.stringify({ source: MERMAID, source_format: 'mermaid', format: 'txt' }), { 'Content-Type': 'application/json', Authorization: `Bearer ${secret}` });
      expect([exported.status, exported.headers.get('content-type'), exported.headers.get('content-disposition')]).toEqual([200, 'text/plain; charset=utf-8', expect.stringMatching(/\.txt"$/)]);
      const text = await exported.text();
      expect(text).toContain('CiBuild');
      expect(text).toMatch(/\+-+\+/);

      // (Anonymous text carries the watermark as its last line: libs/rendering/test/renderer.e2e-spec.ts.
      // An anonymous export here would spend 127.0.0.1's one export of the day that other suites count on.)

      // A language or a diagram type with no text: a clear 400, naming what has text.
      const graphviz = await get(`/kroki/graphviz/txt/${kroki('digraph { a -> b }')}`);
      expect([graphviz.status, await graphviz.text()]).toEqual([400, expect.stringMatching(/^Error 400: Text output \(txt, utxt\) is drawn for mermaid, plantuml, c4plantuml, not graphviz/)]);
      const pie = await post('/api/v1/export', JSON.stringify({ source: 'pie\n  "a" : 1', source_format: 'mermaid', format: 'txt' }), { 'Content-Type': 'application/json', Authorization: `Bearer ${secret}` });
      expect(pie.status).toBe(400);
      expect((await pie.json()).error.message).toMatch(/Text output draws Mermaid flowcharts, state, sequence, class, ER and xychart diagrams, not pie/);
    });

    it('sizes the drawing to a width and/or height: export, the image route, shares, Kroki and mermaid.ink', async () => {
      const auth = { 'Content-Type': 'application/json', Authorization: `Bearer ${secret}` };
      const size = async (response: Response) => {
        expect(response.status).toBe(200);
        const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
        return [meta.width, meta.height];
      };
      const natural = await size(await post('/api/v1/export', JSON.stringify({ source: MERMAID, source_format: 'mermaid', format: 'png' }), auth));
      const aspect = natural[1]! / natural[0]!;

      // A width alone keeps the aspect; `scale` multiplies the pixels of a raster.
      expect(await size(await post('/api/v1/export', JSON.stringify({ source: MERMAID, source_format: 'mermaid', format: 'png', width: 600 }), auth))).toEqual([600, Math.round(600 * aspect)]);
      expect(await size(await post('/api/v1/export', JSON.stringify({ source: MERMAID, source_format: 'mermaid', format: 'png', width: 300, scale: 2 }), auth))).toEqual([600, Math.round(300 * aspect) * 2]);
      // SVG: the root's size changes, its viewBox stays.
      const svg = await (await post('/api/v1/export', JSON.stringify({ source: MERMAID, source_format: 'mermaid', format: 'svg', height: 40 }), auth)).text();
      expect(/^<svg\b[^>]*>/.exec(svg)![0]).toMatch(new RegExp(` width="${Math.round(40 / aspect)}" height="40"`));

      // Both: the drawing fits inside them.
      expect(await size(await get(`/kroki/mermaid/png/${kroki(MERMAID)}?width=200&height=200`))).toEqual([200, Math.round(200 * aspect)]);
      expect(await size(await get(`/ink/img/${Buffer.from(MERMAID).toString('base64')}?type=png&width=500`))).toEqual([500, Math.round(500 * aspect)]);

      // A stored diagram's image and a share.
      const diagram = await (await post('/api/v1/diagrams', JSON.stringify({ name: 'sized', source: MERMAID, source_format: 'mermaid' }), auth)).json();
      expect(await size(await get(`/api/v1/diagrams/${diagram.id}/image?format=png&width=320`, { Authorization: `Bearer ${secret}` }))).toEqual([320, Math.round(320 * aspect)]);
      const created = await post('/api/v1/share', JSON.stringify({ diagram_id: diagram.id }), auth);
      const share = await created.json();
      expect([created.status, share]).toEqual([201, expect.objectContaining({ id: expect.any(String) })]);
      expect(await size(await get(`/api/v1/share/${share.id}.png?width=240`))).toEqual([240, Math.round(240 * aspect)]);

      // Out of range: the envelope's 400 on the API, Kroki's plain text on the compatible routes.
      const bad = await post('/api/v1/export', JSON.stringify({ source: MERMAID, source_format: 'mermaid', format: 'png', width: 0 }), auth);
      expect([bad.status, (await bad.json()).error]).toEqual([400, expect.objectContaining({ code: 'invalid_parameter', param: 'width', message: 'width must be a whole number of pixels from 1 to 8192.' })]);
      const badKroki = await get(`/kroki/mermaid/png/${kroki(MERMAID)}?width=99999`);
      expect([badKroki.status, await badKroki.text()]).toEqual([400, 'Error 400: width must be a whole number of pixels from 1 to 8192, not 99999.\n']);
    });

    it('draws PDF for Kroki and mermaid.ink, and the API exports it', async () => {
      const kroki_ = await get(`/kroki/mermaid/pdf/${kroki(MERMAID)}`);
      expect([kroki_.status, kroki_.headers.get('content-type')]).toEqual([200, 'application/pdf']);
      expect(Buffer.from(await kroki_.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
      const ink = await get(`/ink/pdf/${Buffer.from(MERMAID).toString('base64')}`);
      expect([ink.status, ink.headers.get('content-type')]).toEqual([200, 'application/pdf']);
      const exported = await post('/api/v1/export', JSON.stringify({ source: MERMAID, source_format: 'mermaid', format: 'pdf' }), { 'Content-Type': 'application/json', Authorization: `Bearer ${secret}` });
      expect([exported.status, exported.headers.get('content-type'), exported.headers.get('x-scale')]).toEqual([200, 'application/pdf', '1']);
      expect(exported.headers.get('content-disposition')).toMatch(/^attachment; filename="diagram-flowchart-[0-9a-f]{6}\.pdf"$/);
      // The API's background option, and its refusal in the envelope.
      const transparent = await post('/api/v1/export', JSON.stringify({ source: MERMAID, source_format: 'mermaid', format: 'png', background: 'transparent' }), { 'Content-Type': 'application/json', Authorization: `Bearer ${secret}` });
      expect((await sharp(Buffer.from(await transparent.arrayBuffer())).metadata()).hasAlpha).toBe(true);
      const refused = await post('/api/v1/export', JSON.stringify({ source: MERMAID, source_format: 'mermaid', format: 'png', background: 'red' }), { 'Content-Type': 'application/json', Authorization: `Bearer ${secret}` });
      expect([refused.status, ((await refused.json()) as { error: { param: string; message: string } }).error]).toEqual([400, expect.objectContaining({ param: 'background', message: 'background must be theme, transparent or a colour #rrggbb.' })]);
    });

    it('POST /kroki/{type}/{output} with a text/plain body, POST /kroki/{type} with Accept, and POST /kroki with JSON', async () => {
      const typed = await post('/kroki/mermaid/svg', MERMAID, { 'Content-Type': 'text/plain' });
      expect(typed.status).toBe(200);
      expect(await typed.text()).toContain('CiBuild');

      const accepted = await post('/kroki/plantuml', PLANTUML, { 'Content-Type': 'text/plain', Accept: 'image/png' });
      expect(accepted.status).toBe(200);
      expect(accepted.headers.get('content-type')).toBe('image/png');

      const json = await post('/kroki', JSON.stringify({ diagram_source: MERMAID, diagram_type: 'mermaid', output_format: 'svg', diagram_options: { theme: 'dark' } }), { 'Content-Type': 'application/json' });
      expect(json.status).toBe(200);
      expect(await json.text()).toBe(await apiSvg(MERMAID, 'dark'));
    });

    it("takes Flowsmith's theme as a diagram option: query, Kroki-Diagram-Options-* header", async () => {
      const query = await (await get(`/kroki/mermaid/svg/${kroki(MERMAID)}?theme=midnight`)).text();
      expect(query).toBe(await apiSvg(MERMAID, 'midnight'));
      const header = await (await get(`/kroki/mermaid/svg/${kroki(MERMAID)}`, { 'Kroki-Diagram-Options-Theme': 'blueprint' })).text();
      expect(header).toBe(await apiSvg(MERMAID, 'blueprint'));
      // Kroki's default is Flowsmith's light theme.
      expect(await (await get(`/kroki/mermaid/svg/${kroki(MERMAID)}`)).text()).toBe(await apiSvg(MERMAID, 'light'));
    });

    it("answers errors as Kroki does, in plain text: what is supported, the parser's message, bad encodings", async () => {
      const unsupported = await get(`/kroki/umlet/svg/${kroki('<diagram/>')}`);
      expect(unsupported.status).toBe(400);
      expect(unsupported.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await unsupported.text()).toMatch(/^Error 400: Diagram type umlet is not rendered by this Flowsmith server \(docs\/compat\.md says why\)\. Supported: mermaid, plantuml, c4plantuml, .*graphviz, dot.*\.\n$/);

      // URIs up to 8 KB; past that, Kroki's clients are told to POST.
      const long = await get(`/kroki/graphviz/svg/${'A'.repeat(9000)}`);
      expect([long.status, long.headers.get('content-type'), await long.text()]).toEqual([414, 'text/plain; charset=utf-8', 'Error 414: The encoded diagram is over 8192 characters: send the source with POST.\n']);

      const broken = await get(`/kroki/mermaid/svg/${kroki('flowchart TD\n  A --> B\n  B -->')}`);
      expect(broken.status).toBe(400);
      expect(await broken.text()).toMatch(/^Error 400: .*line 3/s);

      expect(await (await get('/kroki/mermaid/svg/%25%25%25')).text()).toMatch(/^Error 400: The encoded diagram is not base64url/);
      expect(await (await get(`/kroki/mermaid/base64/${kroki(MERMAID)}`)).text()).toBe('Error 400: Output format base64 is not produced by this Flowsmith server yet. Supported: svg, png, jpeg, webp, pdf, txt, utxt.\n');
      const empty = await post('/kroki/mermaid/svg', '   ', { 'Content-Type': 'text/plain' });
      expect([empty.status, await empty.text()]).toEqual([400, 'Error 400: The diagram source is empty.\n']);
    });
  });

  describe('mermaid.ink', () => {
    it("GET /ink/svg/{pako:...} as mermaid's live editor links it, its theme mapped onto Flowsmith's", async () => {
      const response = await get(`/ink/svg/${pako({ code: MERMAID, mermaid: '{\n  "theme": "dark"\n}', autoSync: true, updateDiagram: true })}`);
      expect(response.status).toBe(200);
      const svg = await response.text();
      expect(svg).toContain('KrokiDocs');
      expect(svg).toBe(await apiSvg(MERMAID, 'dark'));
    });

    it('GET /ink/img/{base64}: JPEG by default, PNG or WebP with type', async () => {
      const encoded = Buffer.from(MERMAID).toString('base64');
      const jpeg = await get(`/ink/img/${encoded}`);
      expect([jpeg.status, jpeg.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
      const png = await get(`/ink/img/${encoded}?type=png&theme=forest`);
      expect([png.status, png.headers.get('content-type')]).toEqual([200, 'image/png']);
      expect((await sharp(Buffer.from(await png.arrayBuffer())).metadata()).format).toBe('png');
      // mermaid.ink's bgColor: a colour without #; Kroki's background option, transparent.
      const red = await get(`/ink/img/${encoded}?type=png&bgColor=FF0000`);
      const [r, g] = (await sharp(Buffer.from(await red.arrayBuffer())).extract({ left: 0, top: 0, width: 1, height: 1 }).raw().toBuffer()).values();
      expect([r > 240, g < 20]).toEqual([true, true]);
      const clear = await get(`/kroki/mermaid/png/${kroki(MERMAID)}?background=transparent`);
      expect((await sharp(Buffer.from(await clear.arrayBuffer())).metadata()).hasAlpha).toBe(true);
      const bad = await get(`/ink/img/${encoded}?type=gif`);
      expect([bad.status, await bad.text()]).toEqual([400, 'Error 400: type must be jpeg, png or webp, not gif.\n']);
    });
  });

  describe('real clients: Asciidoctor.js with asciidoctor-kroki', () => {
    /**
     * An AsciiDoc document with a block of every language Flowsmith renders that asciidoctor-kroki
     * has a block for (libs/contracts/src/languages.ts: all of them but svg, which Kroki has no
     * type for, and tikz, which asciidoctor-kroki 0.18 has no block for), each the first diagram of
     * the language's corpus, as asciidoctor-kroki's users write them.
     */
    const NO_ASCIIDOCTOR_BLOCK = new Set(['tikz']);
    const BLOCKS = CORPUS_FORMATS.filter(({ format }) => LANGUAGES[format].kroki.length && !NO_ASCIIDOCTOR_BLOCK.has(LANGUAGES[format].kroki[0])).map(({ format, extension }) => {
      const [first] = corpusFiles(format, extension);
      return { type: LANGUAGES[format].kroki[0], source: first.source.trimEnd(), labels: first.labels };
    });
    const DOCUMENT = ['= Architecture notes', ...BLOCKS.flatMap(({ type, source }) => ['', `[${type}]`, '....', source, '....'])].join('\n');
    /** The words a reader sees in an SVG: its text and tspan contents, whitespace collapsed. */
    const words = (svg: string) =>
      [...svg.matchAll(/<(?:text|tspan)\b[^>]*>([^<]*)/g)]
        .map((match) => match[1].replace(/&#160;/g, ' '))
        .join(' ')
        .replace(/\s+/g, ' ');

    /**
     * Asciidoctor.js with asciidoctor-kroki, in a process of its own
     * (apps/gateway/test/clients/asciidoctor-kroki.cjs); asynchronously, since the gateway it
     * fetches from runs in this process.
     */
    function convert(attributes: Record<string, unknown>): Promise<string> {
      const child = spawn(process.execPath, [join(__dirname, '../../test/clients/asciidoctor-kroki.cjs')], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.stdin.end(JSON.stringify({ document: DOCUMENT, attributes: { 'kroki-server-url': `${gateway.url}/kroki`, ...attributes } }));
      return new Promise((resolve, reject) =>
        child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`asciidoctor failed (${code}): ${stderr}`)))),
      );
    }

    it('links every block to an image URL of ours that answers its SVG with its labels', async () => {
      const html = await convert({});
      const sources = [...html.matchAll(/<img src="([^"]+)"/g)].map((match) => match[1]);
      expect(sources).toHaveLength(BLOCKS.length);
      for (const [index, source] of sources.entries()) {
        const { type, labels } = BLOCKS[index];
        expect(source.startsWith(`${gateway.url}/kroki/${type}/svg/`)).toBe(true);
        const response = await fetch(source);
        expect({ type, status: response.status, contentType: response.headers.get('content-type') }).toEqual({ type, status: 200, contentType: 'image/svg+xml' });
        const text = words(await response.text());
        for (const label of labels) expect({ type, label, drawn: text.includes(label) }).toEqual({ type, label, drawn: true });
      }
    });

    it('fetches every diagram into the output (kroki-fetch-diagram), by GET and by POST', async () => {
      for (const method of ['get', 'post']) {
        const dir = mkdtempSync(join(tmpdir(), `kroki-${method}-`));
        const html = await convert({ 'kroki-fetch-diagram': '', 'kroki-http-method': method, imagesoutdir: dir, imagesdir: dir });
        const files = readdirSync(dir).filter((file) => file.endsWith('.svg'));
        expect({ method, files: files.length }).toEqual({ method, files: BLOCKS.length });
        for (const file of files) expect(html).toContain(file);
        const all = files.map((file) => words(readFileSync(join(dir, file), 'utf8'))).join(' ');
        for (const label of BLOCKS.flatMap((block) => block.labels)) expect({ method, label, drawn: all.includes(label) }).toEqual({ method, label, drawn: true });
      }
    });
  });

  describe('real clients: remark with remark-kroki', () => {
    /** A Markdown page with a fenced block of every language that Kroki has a type for, the first diagram of each corpus. */
    const BLOCKS = CORPUS_FORMATS.filter(({ format }) => LANGUAGES[format].kroki.length).map(({ format, extension }) => {
      const [first] = corpusFiles(format, extension);
      return { type: LANGUAGES[format].kroki[0], source: first.source.trimEnd(), labels: first.labels };
    });
    const fence = (source: string) => '`'.repeat(Math.max(3, ...[...source.matchAll(/`+/g)].map((run) => run[0].length + 1)));

    /** remark with remark-kroki in a process of its own (apps/gateway/test/clients/remark-kroki.mjs). */
    function convert(markdown: string): Promise<string> {
      const child = spawn(process.execPath, [join(__dirname, '../../test/clients/remark-kroki.mjs')], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.stdin.end(JSON.stringify({ markdown, server: `${gateway.url}/kroki`, alias: BLOCKS.map((block) => block.type) }));
      return new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`remark failed (${code}): ${stderr}`)))));
    }

    it('turns every block into the SVG we drew of it, with its labels', async () => {
      const markdown = ['# Architecture notes', ...BLOCKS.flatMap(({ type, source }) => ['', `${fence(source)}${type}`, source, fence(source)])].join('\n');
      const output = await convert(markdown);
      const images = [...output.matchAll(/!\[([^\]]*)\]\(data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)\)/g)].map((match) => ({ type: match[1], svg: Buffer.from(match[2], 'base64').toString() }));
      expect(images.map((image) => image.type)).toEqual(BLOCKS.map((block) => block.type));
      const words = (svg: string) => [...svg.matchAll(/<(?:text|tspan)\b[^>]*>([^<]*)/g)].map((match) => match[1].replace(/&#160;/g, ' ')).join(' ').replace(/\s+/g, ' ');
      for (const [index, { type, svg }] of images.entries()) {
        expect({ type, svg: svg.startsWith('<svg') }).toEqual({ type, svg: true });
        for (const label of BLOCKS[index].labels) expect({ type, label, drawn: words(svg).includes(label) }).toEqual({ type, label, drawn: true });
      }
    });
  });

  describe('access (KROKI_API, RATE_LIMIT_KROKI)', () => {
    it('key: a Bearer key is needed; off: nothing is served', async () => {
      const keyed = await startGateway(createGateway, { KROKI_API: 'key' });
      try {
        const anonymous = await fetch(`${keyed.url}/kroki/mermaid/svg/${kroki(MERMAID)}`);
        expect(anonymous.status).toBe(401);
        expect(await anonymous.text()).toMatch(/^Error 401: .*API key/);
        expect((await fetch(`${keyed.url}/kroki/mermaid/svg/${kroki(MERMAID)}`, { headers: { Authorization: `Bearer ${secret}` } })).status).toBe(200);
      } finally {
        await keyed.close();
      }
      const off = await startGateway(createGateway, { KROKI_API: 'off' });
      try {
        expect((await fetch(`${off.url}/ink/svg/${Buffer.from(MERMAID).toString('base64')}`)).status).toBe(404);
      } finally {
        await off.close();
      }
    });

    it('limits anonymous callers per IP in a bucket of its own, with Retry-After', async () => {
      const limited = await startGateway(createGateway, { RATE_LIMIT_KROKI: '2', TRUST_PROXY_HOPS: '1' });
      try {
        // A client address of its own: the other tests here spent 127.0.0.1's bucket.
        const from = { 'X-Forwarded-For': `198.51.100.${Math.floor(Math.random() * 250) + 1}` };
        const url = `${limited.url}/kroki/mermaid/svg/${kroki(MERMAID)}`;
        expect((await fetch(url, { headers: from })).status).toBe(200);
        expect((await fetch(url, { headers: from })).status).toBe(200);
        const third = await fetch(url, { headers: from });
        expect(third.status).toBe(429);
        expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(await third.text()).toMatch(/^Error 429: Too many requests/);
        // The API's own anonymous bucket is another one.
        expect((await fetch(`${limited.url}/api/v1/themes`, { headers: from })).status).toBe(200);
      } finally {
        await limited.close();
      }
    });
  });
});
