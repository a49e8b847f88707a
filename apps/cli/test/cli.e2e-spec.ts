import { ChildProcess, execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { closeTestPrisma, createTestKey, emitDiagram, FakeAnthropic, RunningGateway, spawnWorker, startGateway, waitForFirstRender, waitForWorkers } from '@flowsmith/testing';

/** The bundled CLI (npm run build), run as a user would: a process, env, exit code, stdout, stderr. */
const CLI = join(__dirname, '../../../dist/cli/flowsmith.js');
const CORPUS = join(__dirname, '../../../libs/rendering/test/corpus');
/** The built gateway, as the workers are: apps do not import each other, even in specs. */
const { createGateway } = require(join(__dirname, '../../../dist/apps/gateway/src/gateway.js'));

function run(args: string[], env: Record<string, string>, cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', CI: 'true', ...env }, cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('flowsmith CLI against a real gateway and workers', () => {
  const prefix = `${process.env.REDIS_PREFIX}cli:`;
  const fake = new FakeAnthropic();
  let gateway: RunningGateway;
  let workers: ChildProcess[] = [];
  let env: Record<string, string>;
  let dir: string;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first (npm test does).`);
    const baseURL = await fake.start();
    workers = [
      // The CLI renders a folder of every kind of file at once: as in production, the worker loads
      // each engine before it takes jobs (its sample check), not on a first file under a 10 s budget.
      // Its raster browsers start with it too: the folder is rendered as PNGs, all at once.
      spawnWorker('render-worker', { REDIS_PREFIX: prefix, RENDER_PAGES: '2', RENDER_CHECK_SAMPLES: 'true', RENDER_RASTER_WARM: 'true' }),
      spawnWorker('generation-worker', { REDIS_PREFIX: prefix, ANTHROPIC_API_KEY: 'sk-ant-fake', ANTHROPIC_BASE_URL: baseURL }),
    ];
    gateway = await startGateway(createGateway, { REDIS_PREFIX: prefix, RATE_LIMIT_PER_KEY: '100000' });
    await Promise.all([waitForWorkers('render', prefix, 1, 200_000), waitForWorkers('generation', prefix)]);
    // A worker announces itself before its engines are warm; the first test renders a folder at once.
    await waitForFirstRender(gateway.url);
    env = { FLOWSMITH_URL: gateway.url, FLOWSMITH_API_KEY: (await createTestKey({ plan: 'premium' })).secret };
    dir = mkdtempSync(join(tmpdir(), 'flowsmith-cli-'));
  }, 270_000);
  afterAll(async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    await gateway?.close();
    await fake.close();
    await closeTestPrisma();
  });

  it('renders a folder of mixed files in parallel, and reports each failure with its file and line', async () => {
    const src = join(dir, 'mixed');
    mkdirSync(join(src, 'nested'), { recursive: true });
    writeFileSync(join(src, 'flow.mmd'), 'flowchart LR\n  A[Order] --> B[Ship]');
    copyFileSync(join(CORPUS, 'plantuml/sequence.puml'), join(src, 'nested/sequence.puml'));
    copyFileSync(join(CORPUS, 'drawio/flowchart.drawio'), join(src, 'flowchart.drawio'));
    copyFileSync(join(CORPUS, 'bpmn/order-process.bpmn'), join(src, 'nested/order.bpmn'));
    copyFileSync(join(CORPUS, 'svg/bar-chart.svg'), join(src, 'chart.svg'));
    writeFileSync(join(src, 'broken.mmd'), 'flowchart TD\n  A -->');

    const result = await run(['render', `${src}/**/*.{mmd,puml,drawio,bpmn,svg}`, '-o', join(dir, 'out'), '--format', 'png', '--json'], env);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    // Only the broken file fails; any other failure shows here with its error.
    expect(report.results.filter((r: { error?: unknown }) => r.error)).toEqual([expect.objectContaining({ file: expect.stringMatching(/broken\.mmd$/) })]);
    expect(report).toMatchObject({ rendered: 5, failed: 1 });
    const broken = report.results.find((r: { file: string }) => r.file.endsWith('broken.mmd'));
    expect(broken.error).toMatchObject({ code: 'parse_failed', line: 2 });
    // Mirrored under -o from the glob's base, `mixed/`.
    for (const name of ['flow', 'nested/sequence', 'flowchart', 'nested/order', 'chart']) {
      expect((await sharp(readFileSync(join(dir, 'out', `${name}.png`))).metadata()).format).toBe('png');
    }
    expect(readdirSync(join(dir, 'out'), { recursive: true }).sort()).toEqual(['chart.png', 'flow.png', 'flowchart.png', 'nested', 'nested/order.png', 'nested/sequence.png']);
    expect(result.stderr).toMatch(/broken\.mmd:2: /);

    const plain = await run(['render', join(src, 'flow.mmd')], env);
    expect(plain.code).toBe(0);
    expect(readFileSync(join(src, 'flow.svg'), 'utf8')).toContain('Order');
  }, 90_000);

  it('mirrors the inputs under -o from the glob base, and counts what it wrote', async () => {
    const project = join(dir, 'mirror');
    mkdirSync(join(project, 'docs/sub'), { recursive: true });
    writeFileSync(join(project, 'docs/class.mmd'), 'classDiagram\n  class Order');
    writeFileSync(join(project, 'docs/sub/class.mmd'), 'classDiagram\n  class Invoice');
    writeFileSync(join(project, 'docs/sub/other.mmd'), 'flowchart LR\n  A --> B');

    const result = await run(['render', 'docs/**/class.mmd', '-o', 'out'], env, project);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    // Lines in the order the renders finish; the summary last.
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 2).sort()).toEqual(['✓ docs/class.mmd → out/class.svg', '✓ docs/sub/class.mmd → out/sub/class.svg']);
    expect(lines.slice(2)).toEqual(['2 rendered, 0 failed', '']);
    expect(readFileSync(join(project, 'out/class.svg'), 'utf8')).toContain('Order');
    expect(readFileSync(join(project, 'out/sub/class.svg'), 'utf8')).toContain('Invoice');
    expect(readdirSync(join(project, 'out'), { recursive: true }).sort()).toEqual(['class.svg', 'sub', 'sub/class.svg']);

    // A folder means its files in a known language, mirrored from the folder itself.
    const folder = await run(['render', 'docs', '-o', 'all', '--json'], env, project);
    expect(folder.code).toBe(0);
    expect(JSON.parse(folder.stdout)).toMatchObject({ rendered: 3, failed: 0 });
    expect(readdirSync(join(project, 'all'), { recursive: true }).sort()).toEqual(['class.svg', 'sub', 'sub/class.svg', 'sub/other.svg']);
  }, 60_000);

  it('refuses, before rendering anything, inputs that would write the same output', async () => {
    const project = join(dir, 'collide');
    for (const folder of ['en', 'fr']) mkdirSync(join(project, folder), { recursive: true });
    writeFileSync(join(project, 'en/flow.mmd'), 'flowchart LR\n  A --> B');
    writeFileSync(join(project, 'en/flow.puml'), '@startuml\nA -> B\n@enduml');
    writeFileSync(join(project, 'en/ok.mmd'), 'flowchart LR\n  C --> D');
    writeFileSync(join(project, 'fr/ok.mmd'), 'flowchart LR\n  E --> F');
    const before = JSON.parse((await run(['usage', '--json'], env)).stdout);

    const sameName = await run(['render', 'en/*', '-o', 'out', '--format', 'png'], env, project);
    expect(sameName.code).toBe(2);
    expect(sameName.stdout).toBe('');
    expect(sameName.stderr).toBe(
      'flowsmith: nothing rendered, because\n  en/flow.mmd and en/flow.puml would both be written to out/flow.png\nRender them to different -o folders, or rename one.\n',
    );
    const twoBases = await run(['render', 'en/*.mmd', 'fr/*.mmd', '-o', 'out'], env, project);
    expect(twoBases.code).toBe(2);
    expect(twoBases.stderr).toContain('en/ok.mmd and fr/ok.mmd would both be written to out/ok.svg');
    expect(existsSync(join(project, 'out'))).toBe(false);
    // Nothing was sent: no export spent on the files that did not collide.
    expect(JSON.parse((await run(['usage', '--json'], env)).stdout).exports).toEqual(before.exports);

    // An SVG source rendered to SVG beside itself would replace the source.
    copyFileSync(join(CORPUS, 'svg/bar-chart.svg'), join(project, 'chart.svg'));
    const overwrite = await run(['render', 'chart.svg'], env, project);
    expect(overwrite).toMatchObject({ code: 2, stderr: expect.stringContaining('chart.svg would be written over the input chart.svg') });
    expect(readFileSync(join(project, 'chart.svg'))).toEqual(readFileSync(join(CORPUS, 'svg/bar-chart.svg')));
  }, 60_000);

  it('warns on stderr that output without a key is watermarked, unless --quiet', async () => {
    const project = join(dir, 'anonymous');
    mkdirSync(project);
    writeFileSync(join(project, 'flow.mmd'), 'flowchart LR\n  A[Anonymous] --> B');
    const anonymous = { FLOWSMITH_URL: gateway.url, FLOWSMITH_API_KEY: '' };

    const warned = await run(['render', 'flow.mmd'], anonymous, project);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toMatch(/^flowsmith: warning: no API key \(FLOWSMITH_API_KEY or --key\).*watermarked.*--quiet hides this\.\n$/);
    expect(readFileSync(join(project, 'flow.svg'), 'utf8')).toContain('class="flowsmith-watermark"');

    const quiet = await run(['render', 'flow.mmd', '--quiet'], anonymous, project);
    expect(quiet).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const keyed = await run(['render', 'flow.mmd'], env, project);
    expect(keyed).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(join(project, 'flow.svg'), 'utf8')).not.toContain('flowsmith-watermark');

    const needsKey = await run(['usage'], anonymous);
    expect(needsKey.code).toBe(1);
    expect(needsKey.stderr).toContain('this command needs an API key: set FLOWSMITH_API_KEY or pass --key');
  }, 60_000);

  it('embeds diagrams into Markdown, changes nothing the second time, and --check fails on a stale image', async () => {
    const doc = join(dir, 'README.md');
    writeFileSync(doc, '# Docs\n\n```mermaid\nflowchart LR\n  A[Write] --> B[Publish]\n```\n\nText.\n\n```plantuml\n@startuml\nAlice -> Bob: hi\n@enduml\n```\n');
    const first = await run(['embed', doc, '--json'], env);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).files[0]).toMatchObject({ blocks: 2, updated: 2 });
    const after = readFileSync(doc, 'utf8');
    expect(after.match(/<!-- flowsmith:[0-9a-f]{12} -->\n!\[(mermaid|plantuml) diagram\]\(README\.diagrams\/[0-9a-f]{12}\.svg\)/g)).toHaveLength(2);
    expect(readdirSync(join(dir, 'README.diagrams')).filter((name) => name !== '.flowsmith.json')).toHaveLength(2);

    const second = await run(['embed', doc, '--json'], env);
    expect(JSON.parse(second.stdout).files[0]).toMatchObject({ updated: 0 });
    expect(readFileSync(doc, 'utf8')).toBe(after);
    expect((await run(['embed', '--check', doc], env)).code).toBe(0);

    writeFileSync(doc, after.replace('B[Publish]', 'B[Release]'));
    const stale = await run(['embed', '--check', doc], env);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toContain('1 of 2 diagrams stale');
    expect(readFileSync(doc, 'utf8')).toContain('B[Release]');
    expect((await run(['embed', doc], env)).code).toBe(0);
    expect((await run(['embed', '--check', doc], env)).code).toBe(0);
  }, 90_000);

  it('embeds fences with attributes, ~~~ fences and the other languages, titles as alt text', async () => {
    const doc = join(dir, 'fences.md');
    const source = [
      '# Fences',
      '```mermaid title="Login flow"',
      'flowchart LR\n  A[Login] --> B[Home]',
      '```',
      '``` {.mermaid #checkout}',
      'flowchart LR\n  C[Cart] --> D[Pay]',
      '```',
      '```plantuml  ',
      '@startuml\nAlice -> Bob: hi\n@enduml',
      '```',
      '~~~dot',
      'digraph { tilde -> fence }',
      '~~~',
      '- in a list:',
      '  ```nomnoml',
      '  [Listed] -> [Item]',
      '  ```',
      '````markdown',
      '```mermaid',
      'flowchart LR\n  Shown --> Only',
      '```',
      '````',
      '',
    ].join('\n');
    writeFileSync(doc, source);
    const result = await run(['embed', doc, '--json'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout).files[0]).toMatchObject({ blocks: 5, updated: 5, failed: 0 });
    const after = readFileSync(doc, 'utf8');
    const images = [...after.matchAll(/^( *)!\[([^\]]*)\]\((fences\.diagrams\/[0-9a-f]{12}\.svg)\)$/gm)].map((match) => [match[1], match[2], match[3]]);
    expect(images.map(([indent, alt]) => [indent, alt])).toEqual([
      ['', 'Login flow'],
      ['', 'mermaid diagram'],
      ['', 'plantuml diagram'],
      ['', 'graphviz diagram'],
      ['  ', 'nomnoml diagram'],
    ]);
    const drawn = images.map(([, , path]) => readFileSync(join(dir, path), 'utf8'));
    for (const [i, label] of ['Login', 'Cart', 'Alice', 'tilde', 'Listed'].entries()) expect(drawn[i]).toContain(label);
    // The example inside the ````markdown fence is left as it was.
    expect(after.endsWith('````markdown\n```mermaid\nflowchart LR\n  Shown --> Only\n```\n````\n')).toBe(true);
    expect((await run(['embed', '--check', doc], env)).code).toBe(0);

    // --languages: the SVG fence is a code sample here, not a diagram.
    const sample = join(dir, 'sample.md');
    writeFileSync(sample, '```svg\n<svg xmlns="http://www.w3.org/2000/svg"/>\n```\n\n```mermaid\nflowchart LR\n  Only --> This\n```\n');
    const only = await run(['embed', sample, '--languages', 'mermaid', '--json'], env);
    expect(JSON.parse(only.stdout).files[0]).toMatchObject({ blocks: 1, updated: 1 });
    expect(readFileSync(sample, 'utf8')).toMatch(/^```svg\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"\/>\n```\n\n```mermaid\n/);
    const unknown = await run(['embed', sample, '--languages', 'mermaid,gif'], env);
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('not gif') });
  }, 60_000);

  it('embeds the blocks that render when one fails, names its line in the document, and exits 1', async () => {
    const doc = join(dir, 'broken.md');
    writeFileSync(doc, '# Broken\n\n```mermaid\nflowchart TD\n  A -->\n```\n\n```mermaid\nflowchart LR\n  Fine --> Too\n```\n');
    const result = await run(['embed', doc], env);
    expect(result.code).toBe(1);
    // The fence opens on line 3, so the source's line 2 is the document's line 5.
    expect(result.stderr).toMatch(/^✗ \S*broken\.md:5: /m);
    expect(result.stdout).toMatch(/broken\.md: 1 of 2 diagrams updated, 1 failed\n$/);
    const after = readFileSync(doc, 'utf8');
    expect(after.match(/<!-- flowsmith:/g)).toHaveLength(1);
    expect(after).toMatch(/Too\n```\n<!-- flowsmith:[0-9a-f]{12} -->\n!\[mermaid diagram\]/);
  }, 60_000);

  it('--prune deletes the images embed wrote for blocks that are gone, and nothing else', async () => {
    const doc = join(dir, 'prune.md');
    const assets = join(dir, 'prune.diagrams');
    writeFileSync(doc, '```mermaid\nflowchart LR\n  A[One] --> B\n```\n\n```mermaid\nflowchart LR\n  C[Two] --> D\n```\n');
    expect((await run(['embed', doc], env)).code).toBe(0);
    const [one, two] = [...readFileSync(doc, 'utf8').matchAll(/prune\.diagrams\/([0-9a-f]{12}\.svg)/g)].map((match) => match[1]);
    // Files embed did not write, one named as it names its own.
    writeFileSync(join(assets, '0123456789ab.svg'), '<svg>drawn by hand</svg>');
    writeFileSync(join(assets, 'notes.txt'), 'mine');

    // The first block changes, the second is deleted.
    writeFileSync(doc, readFileSync(doc, 'utf8').replace('A[One]', 'A[Uno]').replace(/\n```mermaid\nflowchart LR\n {2}C\[Two\][^]*$/, ''));
    const check = await run(['embed', '--check', '--prune', doc], env);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('1 of 1 diagrams stale, 1 old image to prune');
    expect(readdirSync(assets).sort()).toEqual(['.flowsmith.json', '0123456789ab.svg', one, two, 'notes.txt'].sort());

    const pruned = await run(['embed', '--prune', doc, '--json'], env);
    expect(pruned.code).toBe(0);
    const report = JSON.parse(pruned.stdout).files[0];
    expect(report).toMatchObject({ blocks: 1, updated: 1 });
    expect(report.pruned.sort()).toEqual([join(assets, one), join(assets, two)].sort());
    const uno = /prune\.diagrams\/([0-9a-f]{12}\.svg)/.exec(readFileSync(doc, 'utf8'))![1];
    expect(readdirSync(assets).sort()).toEqual(['.flowsmith.json', '0123456789ab.svg', uno, 'notes.txt'].sort());
    expect(readFileSync(join(assets, uno), 'utf8')).toContain('Uno');
    expect((await run(['embed', '--check', '--prune', doc], env)).code).toBe(0);
  }, 60_000);

  it('generates with the model, writes the image and prints the diagram id and its Mermaid', async () => {
    fake.script('refund approval', emitDiagram('flowchart TD\n  A[Refund requested] --> B{Approved?}\n  B -->|yes| C[Refund paid]', 'Refund approval'));
    const out = join(dir, 'refund.png');
    const result = await run(['generate', 'Draw the refund approval flow', '--hint', 'flowchart', '-o', out, '--json'], env);
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout);
    expect(body.generation).toMatchObject({ status: 'succeeded', diagram: { diagram_type: 'flowchart', source: expect.stringContaining('Refund paid') } });
    expect((await sharp(readFileSync(out)).metadata()).format).toBe('png');
    const text = await run(['generate', 'Draw the refund approval flow again', '-o', join(dir, 'again.png')], env);
    expect(text.stdout).toMatch(/^✓ diagram [0-9a-f-]{36} \(flowchart\)/);
  }, 60_000);

  it('speaks JSON for scripts on the resource commands, and exits 2 on bad usage', async () => {
    const themes = JSON.parse((await run(['themes', '--json'], env)).stdout);
    expect(themes.data.map((t: { id: string }) => t.id)).toContain('midnight');
    const usage = JSON.parse((await run(['usage', '--json'], env)).stdout);
    expect(usage).toMatchObject({ object: 'usage', plan: 'premium' });
    const created = JSON.parse((await run(['diagrams', 'create', join(CORPUS, 'svg/org-chart.svg'), '--name', 'Org', '--json'], env)).stdout);
    expect(created).toMatchObject({ object: 'diagram', name: 'Org', diagram_type: 'svg' });
    const listed = JSON.parse((await run(['diagrams', 'list', '--json'], env)).stdout);
    expect(listed.data.map((d: { id: string }) => d.id)).toContain(created.id);
    const share = await run(['share', created.id], env);
    expect(share.stdout).toMatch(new RegExp(`^${gateway.url}/api/v1/share/\\S+\\.svg\\n`));
    expect(JSON.parse((await run(['diagrams', 'delete', created.id, '--json'], env)).stdout)).toMatchObject({ deleted: true });

    const missing = await run(['diagrams', 'get', '00000000-0000-4000-8000-000000000000'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Diagram not found\. \(resource_not_found; request /);
    expect((await run(['render', '--format', 'gif', 'x.mmd'], env)).code).toBe(2);
    expect((await run(['frobnicate'], env)).code).toBe(2);
    expect((await run(['--version'], {})).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(existsSync(CLI)).toBe(true);
  }, 60_000);
});
