import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { closeTestPrisma, createTestKey, RunningGateway, startGateway } from '@flowsmith/testing';
import { createGateway } from '../src/gateway';

const ROOT = join(__dirname, '../../..');
const TSC = join(ROOT, 'node_modules/.bin/tsc');
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];
const run = promisify(execFile);

/**
 * An ES-module consumer in TypeScript, type-checked and then run. The ts-expect-error fails tsc if the
 * package's types were \`any\`; without Node's types (as in a browser) it declares the one global it uses.
 */
const ESM_CONSUMER = `import { FlowsmithClient, FlowsmithError, type Diagram, type ThemeId } from '@flowsmith/client';

declare const process: { argv: string[] };
const [baseUrl, apiKey] = process.argv.slice(2);
const client = new FlowsmithClient({ baseUrl, apiKey });
const theme: ThemeId = 'dark';
// @ts-expect-error: not a theme of the API
const unknownTheme: ThemeId = 'sepia';
const diagram: Diagram = await client.diagrams.create({ name: 'From the tarball', source: 'flowchart LR\\n  Packed --> Installed' });
const image = await client.diagrams.image(diagram.id, { theme, format: 'png' });
const missing = await client.diagrams.get('00000000-0000-4000-8000-000000000000').catch((error: unknown) => error);
console.log(JSON.stringify({
  diagramType: diagram.diagram_type,
  contentType: image.contentType,
  signature: [...image.data.subarray(0, 4)],
  missing: missing instanceof FlowsmithError ? missing.code : String(missing),
  unknownTheme,
}));
`;

const CJS_CONSUMER = `const { CLIENT_VERSION, FlowsmithClient } = require('@flowsmith/client');

const [baseUrl, apiKey] = process.argv.slice(2);
new FlowsmithClient({ baseUrl, apiKey })
  .render.beautify({ source: 'sequenceDiagram\\n  Alice->>Bob: require()', source_format: 'mermaid' })
  .then((render) => console.log(JSON.stringify({ version: CLIENT_VERSION, diagramType: render.diagram_type, svg: render.svg.slice(0, 200) })));
`;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/**
 * The client as users get it: built by libs/client/build.mjs (as `npm run build` does), packed by
 * `npm pack ./libs/client`, installed from the tarball into an empty project, and used from
 * TypeScript (ES module, strict) and from CommonJS against a live gateway.
 */
describe('the @flowsmith/client tarball', () => {
  const work = mkdtempSync(join(tmpdir(), 'flowsmith-client-'));
  const consumer = join(work, 'consumer');
  const installed = join(consumer, 'node_modules/@flowsmith/client');
  let packed: string[];
  let gateway: RunningGateway;
  let apiKey: string;

  beforeAll(async () => {
    const packAndInstall = async () => {
      await run(process.execPath, [join(ROOT, 'libs/client/build.mjs')]);
      const { stdout } = await run('npm', ['pack', join(ROOT, 'libs/client'), '--json', '--pack-destination', work]);
      const [tarball] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
      packed = tarball.files.map((file) => file.path).sort();
      mkdirSync(consumer);
      writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
      await run('npm', ['install', join(work, tarball.filename), '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: consumer });
    };
    [gateway] = await Promise.all([startGateway(createGateway), packAndInstall()]);
    apiKey = (await createTestKey({ plan: 'pro' })).secret;
  }, 45_000);
  afterAll(async () => {
    await gateway?.close();
    await closeTestPrisma();
    rmSync(work, { recursive: true, force: true });
  });

  it('holds the package manifest, the README, both builds and the declarations, and nothing else', () => {
    expect(packed).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.mjs', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.mts', 'dist/generated/api.d.ts']));
    for (const path of packed) expect(path).toMatch(/^(package\.json|README\.md|dist\/[\w/.-]+\.(mjs|cjs|d\.ts|d\.mts))$/);
    expect(packed.filter((path) => /(^|\/)(src|test)\/|spec/.test(path))).toEqual([]);
  });

  it('imports nothing of the repository: no path aliases, no packages, no Node built-ins', () => {
    const code = filesUnder(join(installed, 'dist'));
    expect(code.map((file) => relative(installed, file)).sort()).toEqual(packed.filter((path) => path.startsWith('dist/')));
    const imports = code.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/(?:from\s+|require\(\s*|import\(\s*)['"]([^'"]+)['"]/g)]
        .map((match) => match[1])
        .filter((specifier) => !specifier.startsWith('.'))
        .map((specifier) => `${relative(installed, file)}: ${specifier}`),
    );
    expect(imports).toEqual([]);
  });

  it('carries the repository\'s version and license', () => {
    const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'))).toMatchObject({
      name: '@flowsmith/client', version: root.version, license: root.license, sideEffects: false, engines: { node: '>=20' },
    });
  });

  it('type-checks an ES-module consumer with tsc --strict (node16 and bundler resolution), which then renders a diagram', async () => {
    writeFileSync(join(consumer, 'main.mts'), ESM_CONSUMER);
    const tsc = (...options: string[]) => run(TSC, ['--strict', '--target', 'es2022', '--lib', 'es2022,dom', ...options, 'main.mts'], { cwd: consumer });
    await Promise.all([tsc('--module', 'node16', '--moduleResolution', 'node16', '--outDir', 'out'), tsc('--module', 'esnext', '--moduleResolution', 'bundler', '--noEmit')]);
    const { stdout } = await run(process.execPath, [join(consumer, 'out/main.mjs'), gateway.url, apiKey], { cwd: consumer });
    expect(JSON.parse(stdout)).toEqual({ diagramType: 'flowchart', contentType: 'image/png', signature: PNG_SIGNATURE, missing: 'resource_not_found', unknownTheme: 'sepia' });
  }, 30_000);

  it('renders a diagram from CommonJS with require()', async () => {
    writeFileSync(join(consumer, 'main.cjs'), CJS_CONSUMER);
    const { stdout } = await run(process.execPath, [join(consumer, 'main.cjs'), gateway.url, apiKey], { cwd: consumer });
    const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ version: root.version, diagramType: 'sequence' });
    expect(result.svg).toMatch(/^<svg/);
  });
});
