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
      spawnWorker('render-worker', { REDIS_PREFIX: prefix, RENDER_PAGES: '2' }),
      spawnWorker('generation-worker', { REDIS_PREFIX: prefix, ANTHROPIC_API_KEY: 'sk-ant-fake', ANTHROPIC_BASE_URL: baseURL }),
    ];
    gateway = await startGateway(createGateway, { REDIS_PREFIX: prefix, RATE_LIMIT_PER_KEY: '100000' });
    await Promise.all([waitForWorkers('render', prefix), waitForWorkers('generation', prefix)]);
    // A worker announces itself before its engines are warm; the first test renders a folder at once.
    await waitForFirstRender(gateway.url);
    env = { FLOWSMITH_URL: gateway.url, FLOWSMITH_API_KEY: (await createTestKey({ plan: 'premium' })).secret };
    dir = mkdtempSync(join(tmpdir(), 'flowsmith-cli-'));
  }, 90_000);
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
    for (const name of ['flow', 'sequence', 'flowchart', 'order', 'chart']) {
      expect((await sharp(readFileSync(join(dir, 'out', `${name}.png`))).metadata()).format).toBe('png');
    }
    expect(result.stderr).toMatch(/broken\.mmd:2: /);

    const plain = await run(['render', join(src, 'flow.mmd')], env);
    expect(plain.code).toBe(0);
    expect(readFileSync(join(src, 'flow.svg'), 'utf8')).toContain('Order');
  }, 90_000);

  it('embeds diagrams into Markdown, changes nothing the second time, and --check fails on a stale image', async () => {
    const doc = join(dir, 'README.md');
    writeFileSync(doc, '# Docs\n\n```mermaid\nflowchart LR\n  A[Write] --> B[Publish]\n```\n\nText.\n\n```plantuml\n@startuml\nAlice -> Bob: hi\n@enduml\n```\n');
    const first = await run(['embed', doc, '--json'], env);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).files[0]).toMatchObject({ blocks: 2, updated: 2 });
    const after = readFileSync(doc, 'utf8');
    expect(after.match(/<!-- flowsmith:[0-9a-f]{12} -->\n!\[(mermaid|plantuml) diagram\]\(README\.diagrams\/[0-9a-f]{12}\.svg\)/g)).toHaveLength(2);
    expect(readdirSync(join(dir, 'README.diagrams'))).toHaveLength(2);

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
