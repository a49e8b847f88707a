import { deflateRawSync, deflateSync } from 'node:zlib';
import { MAX_SOURCE_BYTES } from '@flowsmith/contracts';
import { backgroundOf, CompatError, decodeInk, decodeKroki, headerOptions, inkImageFormat, krokiOptions, krokiOutput, krokiSourceFormat, outputFromAccept, scaleOf, sizeOptionOf, themeOf } from './compat-protocol';

/** What Kroki's clients send: zlib.compress at level 9, then URL-safe base64 (docs.kroki.io, "Encode Diagrams"). */
const kroki = (source: string) => deflateSync(Buffer.from(source), { level: 9 }).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
/** What mermaid's live editor writes: pako: + base64url of the deflated JSON state. */
const pako = (state: object) => `pako:${deflateSync(Buffer.from(JSON.stringify(state))).toString('base64url')}`;

function refused(run: () => unknown): { status: number; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof CompatError) return { status: error.status, message: error.message };
    throw error;
  }
  throw new Error('not refused');
}

describe('Kroki protocol', () => {
  it("decodes Kroki's documented example and what its clients encode", () => {
    expect(decodeKroki('eNpLyUwvSizIUHBXqPZIzcnJ17ULzy_KSanlAgB1EAjQ')).toBe('digraph G {Hello->World}\n');
    const source = 'sequenceDiagram\n  Alice->>Bob: Grüße 🚀';
    expect(decodeKroki(kroki(source))).toBe(source);
    // Raw deflate and padded standard base64 too.
    expect(decodeKroki(deflateRawSync(Buffer.from(source)).toString('base64'))).toBe(source);
  });

  it('refuses what is not deflate + base64url, and a small URL that inflates past the source limit', () => {
    expect(refused(() => decodeKroki('not*base64'))).toMatchObject({ status: 400, message: expect.stringContaining('base64url') });
    expect(refused(() => decodeKroki(Buffer.from('plain text').toString('base64url')))).toMatchObject({ status: 400, message: expect.stringContaining('inflated') });
    const bomb = kroki('A'.repeat(MAX_SOURCE_BYTES + 10));
    expect(bomb.length).toBeLessThan(1000);
    expect(refused(() => decodeKroki(bomb))).toMatchObject({ status: 413 });
    expect(refused(() => decodeKroki(deflateSync(Buffer.from([0xff, 0xfe, 0xfd])).toString('base64url')))).toMatchObject({ status: 400, message: expect.stringContaining('UTF-8') });
  });

  it("maps Kroki's type and output names, and says what is supported otherwise", () => {
    expect(['mermaid', 'plantuml', 'c4plantuml', 'bpmn', 'diagramsnet', 'PlantUML', 'graphviz', 'dot'].map(krokiSourceFormat)).toEqual(['mermaid', 'plantuml', 'c4plantuml', 'bpmn', 'drawio', 'plantuml', 'graphviz', 'graphviz']);
    expect(refused(() => krokiSourceFormat('umlet'))).toEqual({ status: 400, message: expect.stringMatching(/^Diagram type umlet is not rendered by this Flowsmith server \(docs\/compat\.md says why\)\. Supported: mermaid, plantuml, c4plantuml, .*graphviz, dot/) });
    expect(refused(() => krokiSourceFormat('nope')).message).toMatch(/^Unsupported diagram type nope\. Supported: mermaid/);
    expect(['svg', 'png', 'jpeg', 'jpg', 'webp', 'pdf', 'txt', 'utxt'].map(krokiOutput)).toEqual(['svg', 'png', 'jpeg', 'jpeg', 'webp', 'pdf', 'txt', 'utxt']);
    expect(refused(() => krokiOutput('base64')).message).toBe('Output format base64 is not produced by this Flowsmith server yet. Supported: svg, png, jpeg, webp, pdf, txt, utxt.');
  });

  it('reads the output from Accept, and options from query, headers and JSON with the later winning', () => {
    expect(outputFromAccept('image/png')).toBe('png');
    expect(outputFromAccept('text/html, image/webp;q=0.9')).toBe('webp');
    expect(outputFromAccept(undefined)).toBe('svg');
    expect(headerOptions({ 'kroki-diagram-options-theme': 'dark', 'content-type': 'text/plain' })).toEqual({ theme: 'dark' });
    expect(krokiOptions({ theme: 'light', scale: '2' }, { theme: 'dark' }, { Scale: 4 })).toEqual({ theme: 'dark', scale: '4' });
    expect(scaleOf('2')).toBe(2);
    expect(['transparent', 'FF0000', '#00ff00', '!white', 'theme', undefined].map(backgroundOf)).toEqual(['transparent', '#ff0000', '#00ff00', '#ffffff', 'theme', undefined]);
    expect(refused(() => backgroundOf('red; x')).status).toBe(400);
    expect(refused(() => scaleOf('3')).status).toBe(400);
  });
});

describe('mermaid.ink protocol', () => {
  const code = 'graph TD\n  A[Start] --> B{Ok?}';

  it('decodes base64 of the code, base64 of the JSON state, and pako: of the deflated state', () => {
    expect(decodeInk(Buffer.from(code).toString('base64'))).toEqual({ code });
    expect(decodeInk(Buffer.from(code).toString('base64url'))).toEqual({ code });
    expect(decodeInk(Buffer.from(JSON.stringify({ code, mermaid: { theme: 'dark' } })).toString('base64'))).toEqual({ code, theme: 'dark' });
    // The live editor's state keeps the mermaid config as a JSON string.
    expect(decodeInk(pako({ code, mermaid: '{\n  "theme": "forest"\n}', autoSync: true }))).toEqual({ code, theme: 'forest' });
  });

  it('refuses a pako: that is not the JSON state, and what is not base64', () => {
    expect(refused(() => decodeInk(`pako:${deflateSync(Buffer.from(code)).toString('base64url')}`)).status).toBe(400);
    expect(refused(() => decodeInk('%%%')).status).toBe(400);
  });

  it("maps mermaid's theme names onto Flowsmith's, and the img route's types", () => {
    expect(['default', 'neutral', 'dark', 'forest', 'midnight'].map((name) => themeOf(name, 'modern'))).toEqual(['light', 'print', 'dark', 'modern', 'midnight']);
    expect(themeOf(undefined, 'modern')).toBe('modern');
    expect(refused(() => themeOf('neon', 'light')).status).toBe(400);
    expect([undefined, 'png', 'webp', 'jpg'].map(inkImageFormat)).toEqual(['jpeg', 'png', 'webp', 'jpeg']);
    expect(refused(() => inkImageFormat('gif')).status).toBe(400);
  });

  it('reads width and height as whole pixels up to 8192', () => {
    expect([sizeOptionOf('width', '800'), sizeOptionOf('height', undefined), sizeOptionOf('height', '')]).toEqual([800, undefined, undefined]);
    for (const bad of ['0', '-5', '1.5', 'wide', '9000']) expect(refused(() => sizeOptionOf('width', bad))).toEqual({ status: 400, message: `width must be a whole number of pixels from 1 to 8192, not ${bad}.` });
  });
});
