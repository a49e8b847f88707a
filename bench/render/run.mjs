// npm run bench:render — the render worker and the rendering routes, measured against mermaid-cli.
//
// A. Engine: the worker's Renderer (Chromium pool with warm pages), cache missed: 10-node
//    flowchart latency to SVG and PNG, ELK against dagre (10- and 50-node flowcharts), throughput
//    of one worker on 50 mixed diagrams, and RSS (Node + Chromium) over many renders.
// B. API: gateway → queue → worker → gateway, cache missed and cache hit (autocannon).
// C. mermaid-cli (`mmdc` 12.2.0, whose mermaid ^12.2 resolves to the same 12.x as ours; Debian's
//    Chromium) on the same 50 diagrams: once per diagram, and once on one Markdown file that holds all 50.
// D. Every other format (PlantUML, draw.io, BPMN, SVG): warm render p50 of a ~20-element diagram
//    through the worker's Renderer, against a fresh process or browser per diagram
//    (bench/render/engines/<format>.mjs), in the same run.
// E. The flowsmith CLI (dist/cli/flowsmith.js): 200 Mermaid files end to end through the API,
//    against mmdc's mean per diagram from C times 200; and `flowsmith --version` start-up.
// F. PlantUML against PlantUML's own server (`-picoweb`) on the same jar and ten corpus diagrams,
//    one at a time and eight at a time: warm Renderer, and through the API when api runs too,
//    with where an API request's time goes (its render job's BullMQ timestamps).
// G. Every other language of the registry (Graphviz, TikZ, the blockdiag family, nomnoml, ...; issue 16):
//    warm render p50 of its registry sample through the worker's Renderer, against the language's
//    own tool run once per diagram (bench/render/languages.mjs), in the same run; target ≥ 10×.
// H. Only with BENCH_ONLY=ink (not in the default list): the mermaid.ink route (`/ink`) against
//    mermaid.ink itself on the same 50 diagrams, SVG and PNG, one at a time, cache missed; and cached
//    `GET /kroki/mermaid/svg/…`, `GET /ink/svg/…` and the API image route, one at a time and under
//    load (bench/render/ink.mjs, which says how to install mermaid.ink). The gateway and one worker
//    as in B; mermaid.ink started from MERMAID_INK_DIR (port MERMAID_INK_PORT, default 3900), or the
//    one at MERMAID_INK_URL; skipped without either.
// Env: BENCH_MEMORY_RENDERS (default 5000), BENCH_SKIP_MMDC=1, BENCH_PAGES (default: cores),
//      BENCH_ONLY=engine,api,cli,mmdc,formats,plantuml,languages (default: all; cli runs inside api),
//      BENCH_LANGUAGES=graphviz,nomnoml (G: only these), BENCH_LANG_ITERATIONS (G: timed warm
//      renders, default 100), BENCH_LANG_COLD_RUNS (G: own-tool runs, default 5),
//      BENCH_INK_DIAGRAMS (H: first n of the 50, default 50), BENCH_INK_ROUNDS (default 1),
//      BENCH_INK_SECONDS (autocannon duration, default 10), BENCH_INK_CONNECTIONS (default 64),
//      BENCH_INK_HIT_WARM (default 500), BENCH_INK_HITS (timed one at a time, default 300).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { request as httpRequest, Agent } from 'node:http';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { flowchart10, flowchart50, MIXED_50 } from './diagrams.mjs';
import { benchDatabase } from '../bench-database.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const { Renderer } = require(join(ROOT, 'dist/libs/rendering/src/index.js'));
const PAGES = Number(process.env.BENCH_PAGES ?? availableParallelism());
const MEMORY_RENDERS = Number(process.env.BENCH_MEMORY_RENDERS ?? 5000);
const results = { meta: { date: new Date().toISOString(), cpus: availableParallelism(), node: process.version, pages: PAGES } };
const log = (...args) => console.error(...args);

const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 10) / 10;
};
const input = (source, format = 'svg', extra = {}) => ({ source, sourceFormat: 'mermaid', theme: 'light', format, scale: 1, watermark: false, ...extra });

async function timed(fn) {
  const start = performance.now();
  const value = await fn();
  return [performance.now() - start, value];
}

/** RSS of this process plus every Chromium process it started, in MB. */
function rssMb(rootPid = process.pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch { /* gone */ }
  }
  let total = 0;
  const walk = (pid) => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch { /* gone */ }
    for (const child of children.get(pid) ?? []) walk(child);
  };
  walk(rootPid);
  return Math.round(total / 1024);
}

async function engine() {
  const renderer = new Renderer({ chromiumPath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', pages: PAGES, maxRendersPerPage: 500, maxRendersPerBrowser: 5000, renderTimeoutMs: 8000 });
  const [startMs] = await timed(() => renderer.start());
  for (let i = 0; i < 30; i++) await renderer.render(input(flowchart10(`warm-${i}`), i % 2 ? 'png' : 'svg'));

  const svgTimes = [];
  for (let i = 0; i < 300; i++) svgTimes.push((await timed(() => renderer.render(input(flowchart10(`svg-${i}`)))))[0]);
  const pngTimes = [];
  for (let i = 0; i < 200; i++) pngTimes.push((await timed(() => renderer.render(input(flowchart10(`png-${i}`), 'png'))))[0]);

  // Layout: what ELK costs against dagre (the default, libs/rendering/src/mermaid/mermaid-engine.ts),
  // one at a time, 10-node and 50-node flowcharts. ELK's first render loads and compiles elkjs.
  const layoutTimes = {};
  for (const [size, make, n] of [['flowchart10', flowchart10, 100], ['flowchart50', flowchart50, 30]]) {
    for (const layout of ['dagre', 'elk']) {
      for (let i = 0; i < 10; i++) await renderer.render(input(make(`${layout}-warm-${i}`), 'svg', { layout }));
      const times = [];
      for (let i = 0; i < n; i++) {
        const [ms, outcome] = await timed(() => renderer.render(input(make(`${layout}-${i}`), 'svg', { layout })));
        if (!outcome.ok) throw new Error(`${size} ${layout}: ${outcome.error.message}`);
        times.push(ms);
      }
      layoutTimes[`${size}_${layout}`] = { p50_ms: pct(times, 50), p99_ms: pct(times, 99), n };
    }
  }

  // Throughput: the 50 mixed diagrams, several rounds with distinct sources, as many in flight as pages.
  const rounds = 6;
  const queue = [];
  for (let r = 0; r < rounds; r++) for (const source of MIXED_50) queue.push(`${source}\n%% round ${r}`);
  let next = 0;
  const [throughputMs] = await timed(() =>
    Promise.all(Array.from({ length: PAGES }, async () => { while (next < queue.length) await renderer.render(input(queue[next++])); })),
  );
  let nextOnce = 0;
  const once = MIXED_50.map((s) => `${s}\n%% once`);
  const [fiftyMs] = await timed(() =>
    Promise.all(Array.from({ length: PAGES }, async () => { while (nextOnce < once.length) await renderer.render(input(once[nextOnce++])); })),
  );

  // Memory over many renders (pages and browser recycle on their schedule).
  const samples = [];
  let done = 0;
  const sampleEvery = Math.max(1, Math.floor(MEMORY_RENDERS / 20));
  await Promise.all(Array.from({ length: PAGES }, async (_, lane) => {
    for (let i = lane; i < MEMORY_RENDERS; i += PAGES) {
      await renderer.render(input(MIXED_50[i % 50] + `\n%% mem ${i}`, i % 4 === 0 ? 'png' : 'svg'));
      if (++done % sampleEvery === 0) samples.push(rssMb());
    }
  }));
  await renderer.close();
  const settled = samples.slice(Math.floor(samples.length / 4));
  const median = pct(settled, 50);
  results.engine = {
    browser_start_ms: Math.round(startMs),
    flowchart10_svg: { p50_ms: pct(svgTimes, 50), p99_ms: pct(svgTimes, 99), n: svgTimes.length },
    flowchart10_png_scale1: { p50_ms: pct(pngTimes, 50), p99_ms: pct(pngTimes, 99), n: pngTimes.length },
    layout: layoutTimes,
    throughput_svg_per_s: Math.round((queue.length / throughputMs) * 1000 * 10) / 10,
    fifty_mixed_ms: Math.round(fiftyMs),
    memory: {
      renders: MEMORY_RENDERS,
      rss_mb_samples: samples,
      settled_median_mb: median,
      settled_min_mb: Math.min(...settled),
      settled_max_mb: Math.max(...settled),
      max_deviation_pct: Math.round(Math.max(...settled.map((s) => Math.abs(s - median) / median)) * 1000) / 10,
    },
  };
  log('engine', JSON.stringify(results.engine, (k, v) => (k === 'rss_mb_samples' ? undefined : v)));
}

async function api() {
  const { base, schema, dbUrl } = await benchDatabase('render');
  const port = 3998;
  const env = { ...process.env, DATABASE_URL: dbUrl.toString(), REDIS_PREFIX: `bench:${schema}:`, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'production', RATE_LIMIT_PER_KEY: '1000000000', RATE_LIMIT_ANONYMOUS: '1000000000', WORKER_HEARTBEAT_SECONDS: '1', READY_REQUIRES_WORKERS: 'false' };
  execFileSync(join(ROOT, 'node_modules/.bin/prisma'), ['migrate', 'deploy'], { cwd: ROOT, env, stdio: 'ignore' });
  const secret = execFileSync('node', [join(ROOT, 'dist/apps/gateway/src/key-command.js'), 'create', '--name', 'bench'], { cwd: ROOT, env }).toString().trim().split('\n').pop();
  const procs = [
    spawn('node', [join(ROOT, 'dist/apps/render-worker/src/main.js')], { cwd: ROOT, env: { ...env, RENDER_PAGES: String(PAGES) }, stdio: ['ignore', 'ignore', 'inherit'] }),
    spawn('node', [join(ROOT, 'dist/apps/gateway/src/main.js')], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] }),
  ];
  const url = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
  try {
    for (let i = 0; ; i++) {
      try { if ((await fetch(`${url}/readyz`)).ok) break; } catch { /* not yet */ }
      if (i > 300) throw new Error('gateway not ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    const beautify = (source) => fetch(`${url}/api/v1/beautify`, { method: 'POST', headers, body: JSON.stringify({ source, source_format: 'mermaid' }) }).then(async (r) => { await r.arrayBuffer(); if (r.status !== 200) throw new Error(`beautify ${r.status}`); });
    for (let i = 0; ; i++) {
      // The render worker registers once Chromium is warm; until then the gateway answers 503.
      try { await beautify('graph TD\n  Warm --> Up'); break; } catch { if (i > 300) throw new Error('render worker not ready'); await new Promise((r) => setTimeout(r, 100)); }
    }
    for (let i = 0; i < 20; i++) await beautify(flowchart10(`api-warm-${i}`));
    const missTimes = [];
    for (let i = 0; i < 200; i++) missTimes.push((await timed(() => beautify(flowchart10(`api-miss-${i}`))))[0]);

    const diagram = await (await fetch(`${url}/api/v1/diagrams`, { method: 'POST', headers, body: JSON.stringify({ name: 'bench', source: flowchart10('hit') }) })).json();
    const path = `/api/v1/diagrams/${diagram.id}/image?format=svg`;
    // Warm the route as the engine figures are warm: the gateway's JIT needs a few hundred requests
    // of a route before its latency settles (one warm-up gave p50 6.7 ms, 500 give ~4 ms).
    for (let i = 0; i < 500; i++) await fetch(url + path, { headers }).then((r) => r.arrayBuffer());
    const hitTimes = [];
    for (let i = 0; i < 300; i++) hitTimes.push((await timed(() => fetch(url + path, { headers }).then((r) => r.arrayBuffer())))[0]);
    // The same, from node:http over one kept-alive socket: what the API takes, without the ~2 ms
    // that Node 20's fetch (undici) spends on its side of each request on this machine.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () => new Promise((ok, fail) => {
      const req = httpRequest(url + path, { agent, headers }, (res) => { res.on('data', () => {}); res.on('end', () => (res.statusCode === 200 ? ok() : fail(new Error(`image ${res.statusCode}`)))); });
      req.on('error', fail).end();
    });
    for (let i = 0; i < 100; i++) await get();
    const leanHitTimes = [];
    for (let i = 0; i < 300; i++) leanHitTimes.push((await timed(get))[0]);
    agent.destroy();
    const load = await new Promise((ok, fail) => autocannon({ url: url + path, headers, connections: 64, duration: 15 }, (e, r) => (e ? fail(e) : ok(r))));
    results.api = {
      cache_miss_beautify_svg: { p50_ms: pct(missTimes, 50), p99_ms: pct(missTimes, 99), n: missTimes.length },
      cache_hit_image_svg_sequential: { p50_ms: pct(hitTimes, 50), p99_ms: pct(hitTimes, 99), n: hitTimes.length },
      cache_hit_image_svg_sequential_node_http: { p50_ms: pct(leanHitTimes, 50), p99_ms: pct(leanHitTimes, 99), n: leanHitTimes.length },
      cache_hit_image_svg_load: { requests_per_second: Math.round(load.requests.average), p50_ms: load.latency.p50, p99_ms: load.latency.p99, non_2xx: load.non2xx, errors: load.errors },
    };
    log('api', JSON.stringify(results.api));
    if (only.has('cli')) await cli(url, secret);
    if (only.has('plantuml')) results.plantuml_vs_picoweb_api = await plantumlThroughApi(url, headers, env.REDIS_PREFIX);
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    const client = new pg.Client({ connectionString: base.toString() });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

/** E. The flowsmith CLI: 200 Mermaid files rendered end to end, and its start-up. */
async function cli(url, secret) {
  const work = join(tmpdir(), `flowsmith-cli-bench-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  for (let i = 0; i < 200; i++) writeFileSync(join(work, `d${i}.mmd`), `${MIXED_50[i % 50]}\n%% file ${i}`);
  const bin = join(ROOT, 'dist/cli/flowsmith.js');
  const env = { ...process.env, FLOWSMITH_URL: url, FLOWSMITH_API_KEY: secret, CI: 'true' };
  const start = performance.now();
  const run = spawnSync('node', [bin, 'render', `${work}/*.mmd`, '--concurrency', '8'], { env });
  const renderMs = performance.now() - start;
  if (run.status !== 0) throw new Error(`flowsmith render failed: ${run.stderr}`);
  const startup = [];
  const bare = [];
  for (let i = 0; i < 20; i++) {
    let t = performance.now();
    spawnSync('node', [bin, '--version']);
    startup.push(performance.now() - t);
    t = performance.now();
    spawnSync('node', ['-e', '0']);
    bare.push(performance.now() - t);
  }
  rmSync(work, { recursive: true, force: true });
  results.cli = { render_200_mermaid_ms: Math.round(renderMs), startup_p50_ms: Math.round(pct(startup, 50)), bare_node_p50_ms: Math.round(pct(bare, 50)) };
  log('cli', JSON.stringify(results.cli));
}

/** The newest mermaid-cli; it takes mermaid ^12.2. */
const MMDC_VERSION = '12.2.0';

function mmdc() {
  const dir = join(ROOT, 'bench/render/.mmdc');
  const installed = (name) => {
    try {
      return JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
    } catch {
      return null;
    }
  };
  if (installed('@mermaid-js/mermaid-cli') !== MMDC_VERSION) {
    // Its engines field asks for Node 22 and its puppeteer peer for 25; both run on Node 20 with
    // Debian's Chromium (no browser download), as the figures in RESULTS.md were taken.
    log(`installing @mermaid-js/mermaid-cli@${MMDC_VERSION} (with puppeteer 25, no browser download) into bench/render/.mmdc`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', `@mermaid-js/mermaid-cli@${MMDC_VERSION}`, 'puppeteer@25'], { cwd: dir, env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1' }, stdio: 'ignore' });
  }
  const config = join(dir, 'puppeteer.json');
  writeFileSync(config, JSON.stringify({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] }));
  const work = join(tmpdir(), `mmdc-bench-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const bin = join(dir, 'node_modules/.bin/mmdc');
  let perDiagramMs = 0;
  MIXED_50.forEach((source, i) => {
    writeFileSync(join(work, `d${i}.mmd`), source);
    const start = performance.now();
    const run = spawnSync(bin, ['-q', '-i', join(work, `d${i}.mmd`), '-o', join(work, `d${i}.svg`), '-p', config]);
    if (run.status !== 0) throw new Error(`mmdc failed on diagram ${i}: ${run.stderr}`);
    perDiagramMs += performance.now() - start;
  });
  writeFileSync(join(work, 'all.md'), MIXED_50.map((s, i) => `## Diagram ${i}\n\n\`\`\`mermaid\n${s}\n\`\`\`\n`).join('\n'));
  const start = performance.now();
  const run = spawnSync(bin, ['-q', '-i', join(work, 'all.md'), '-o', join(work, 'all.out.md'), '-p', config]);
  if (run.status !== 0) throw new Error(`mmdc failed on the markdown file: ${run.stderr}`);
  const markdownMs = performance.now() - start;
  rmSync(work, { recursive: true, force: true });
  results.mmdc = { version: MMDC_VERSION, mermaid: installed('mermaid'), per_diagram_total_ms: Math.round(perDiagramMs), per_diagram_mean_ms: Math.round(perDiagramMs / 50), markdown_50_ms: Math.round(markdownMs) };
  log('mmdc', JSON.stringify(results.mmdc));
}

/** F. Issue 13: our PlantUML (warm Renderer) against PlantUML's own server on the same jar and ten diagrams. */
async function plantumlVsPicoweb() {
  const { compareSides, startPicoweb, themedText } = await import('./engines/plantuml.mjs');
  const renderer = new Renderer({ chromiumPath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', pages: 1, maxRendersPerPage: 500, maxRendersPerBrowser: 5000, renderTimeoutMs: 8000, warmAll: true });
  await renderer.start();
  const picoweb = await startPicoweb();
  try {
    const ours = async (source) => {
      const outcome = await renderer.render({ source, sourceFormat: 'plantuml', theme: 'light', format: 'svg', scale: 1, watermark: false });
      if (!outcome.ok) throw new Error(`plantuml: ${outcome.error.message}`);
    };
    // picoweb: PlantUML's own look; picoweb_same_picture: fed the themed text our engine sends its JVM.
    results.plantuml_vs_picoweb = await compareSides({ flowsmith: ours, picoweb: picoweb.render, picoweb_same_picture: (source) => picoweb.render(themedText(source)) }, { log });
  } finally {
    picoweb.close();
    await renderer.close();
  }
}

/** The same through the API (POST /v1/beautify, cache missed), from node:http over kept-alive sockets, against picoweb. */
async function plantumlThroughApi(url, headers, redisPrefix) {
  const { compareSides, startPicoweb, themedText } = await import('./engines/plantuml.mjs');
  const picoweb = await startPicoweb();
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const beautify = (source) => new Promise((ok, fail) => {
    const body = JSON.stringify({ source, source_format: 'plantuml' });
    const req = httpRequest(`${url}/api/v1/beautify`, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => (res.statusCode === 200 ? ok() : fail(new Error(`beautify plantuml ${res.statusCode}`))));
    });
    req.on('error', fail).end(body);
  });
  try {
    const sides = await compareSides({ flowsmith_api: beautify, picoweb: picoweb.render, picoweb_same_picture: (source) => picoweb.render(themedText(source)) }, { log });
    return { ...sides, hop: await queueHop(beautify, redisPrefix) };
  } finally {
    agent.destroy();
    picoweb.close();
  }
}

/**
 * Where an API render's time goes, from the render job's own BullMQ timestamps (one clock: the
 * same machine): the gateway up to the job's add, the wait until a worker takes it, the worker's
 * part (render, cache write, completion), and the rest (completion event to the gateway, its cache
 * read, the answer). One request at a time, each job read back right after its answer.
 */
async function queueHop(beautify, redisPrefix) {
  const { TEN, variantOf } = await import('./engines/plantuml.mjs');
  const { default: Redis } = await import('ioredis');
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const queue = `${redisPrefix}bull:render`;
  const parts = { gateway_to_add: [], queued: [], worker: [], back_to_client: [], total: [] };
  try {
    for (let r = 0; r < 10; r++) {
      for (const { source } of TEN) {
        const tagged = variantOf(source, `hop ${r}`);
        const start = Date.now();
        await beautify(tagged);
        const end = Date.now();
        const [id] = await redis.zrevrange(`${queue}:completed`, 0, 0);
        const [data, added, processed, finished] = await redis.hmget(`${queue}:${id}`, 'data', 'timestamp', 'processedOn', 'finishedOn');
        if (!data?.includes(`hop ${r}`)) throw new Error('queue hop: the last completed render job is not the request just answered');
        parts.gateway_to_add.push(Number(added) - start);
        parts.queued.push(Number(processed) - Number(added));
        parts.worker.push(Number(finished) - Number(processed));
        parts.back_to_client.push(end - Number(finished));
        parts.total.push(end - start);
      }
    }
  } finally {
    redis.disconnect();
  }
  const hop = Object.fromEntries(Object.entries(parts).map(([name, values]) => [`${name}_p50_ms`, pct(values, 50)]));
  log('plantuml queue hop', JSON.stringify(hop));
  return hop;
}

const FORMAT_TARGETS = { plantuml: 40, drawio: 60, bpmn: 80, svg: 15 };

/** A distinct copy of a sample, so nothing along the way can answer from memory. */
function variant(format, source, i) {
  if (format === 'plantuml') return source.replace(/^(@start\w+[^\n]*\n)/, `$1' variant ${i}\n`);
  return `${source}\n<!-- variant ${i} -->`;
}

async function formats() {
  const renderer = new Renderer({ chromiumPath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', pages: PAGES, maxRendersPerPage: 500, maxRendersPerBrowser: 5000, renderTimeoutMs: 8000 });
  await renderer.start();
  results.formats = {};
  for (const format of Object.keys(FORMAT_TARGETS)) {
    const { SAMPLE, coldRender } = await import(`./engines/${format}.mjs`);
    const render = async (source) => {
      const outcome = await renderer.render({ source, sourceFormat: format, theme: 'light', format: 'svg', scale: 1, watermark: false });
      if (!outcome.ok) throw new Error(`${format}: ${outcome.error.message}`);
    };
    for (let i = 0; i < 20; i++) await render(variant(format, SAMPLE, `warm-${i}`));
    const warm = [];
    for (let i = 0; i < 150; i++) warm.push((await timed(() => render(variant(format, SAMPLE, i))))[0]);
    const cold = [];
    for (let i = 0; i < 5; i++) cold.push(await coldRender(variant(format, SAMPLE, `cold-${i}`)));
    const p50 = pct(warm, 50);
    results.formats[format] = { warm_p50_ms: p50, warm_p99_ms: pct(warm, 99), cold_p50_ms: Math.round(pct(cold, 50)), speedup: Math.round(pct(cold, 50) / p50), target_ms: FORMAT_TARGETS[format] };
    log(format, JSON.stringify(results.formats[format]));
  }
  // PlantUML's class diagrams take its layout engine (Smetana), which sequence diagrams skip.
  const classSource = readFileSync(join(ROOT, 'libs/rendering/test/corpus/plantuml/class.puml'), 'utf8');
  const classTimes = [];
  // The JIT needs a few hundred of these before the layout code runs at full speed.
  for (let i = 0; i < 200; i++) await renderer.render({ source: variant('plantuml', classSource, `warm-${i}`), sourceFormat: 'plantuml', theme: 'light', format: 'svg', scale: 1, watermark: false });
  for (let i = 0; i < 100; i++) {
    const [ms, outcome] = await timed(() => renderer.render({ source: variant('plantuml', classSource, i), sourceFormat: 'plantuml', theme: 'light', format: 'svg', scale: 1, watermark: false }));
    if (!outcome.ok) throw new Error(`plantuml class: ${outcome.error.message}`);
    classTimes.push(ms);
  }
  results.formats_plantuml_class = { warm_p50_ms: pct(classTimes, 50), warm_p99_ms: pct(classTimes, 99) };
  log('plantuml class', JSON.stringify(results.formats_plantuml_class));
  await renderer.close();
}

/** G. Issue 16: every other language, warm through the worker against its own tool once per diagram. */
async function languages() {
  const { measureLanguages } = await import('./languages.mjs');
  const renderer = new Renderer({ chromiumPath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', pages: PAGES, maxRendersPerPage: 500, maxRendersPerBrowser: 5000, renderTimeoutMs: 8000 });
  await renderer.start();
  try {
    const measured = await measureLanguages(renderer, { log });
    results.languages = measured.languages;
    if (measured.notRegistered.length) results.languages_not_registered = measured.notRegistered;
  } finally {
    await renderer.close();
  }
}

/** H. The mermaid.ink route against mermaid.ink itself, and the cached compat routes (bench/render/ink.mjs). */
async function ink() {
  const { inkVsMermaidInk, inkOptionsFromEnv, startMermaidInk } = await import('./ink.mjs');
  let mermaidInk;
  if (process.env.MERMAID_INK_URL) {
    mermaidInk = { url: process.env.MERMAID_INK_URL, label: null, close: async () => undefined };
  } else if (process.env.MERMAID_INK_DIR) {
    const started = await startMermaidInk(process.env.MERMAID_INK_DIR, { port: Number(process.env.MERMAID_INK_PORT ?? 3900), log });
    mermaidInk = { url: started.url, label: `${started.version} (mermaid ${started.mermaid})`, close: started.close };
  } else {
    const reason = 'neither MERMAID_INK_DIR (an installed mermaid.ink; bench/render/ink.mjs says how) nor MERMAID_INK_URL is set';
    log(`ink: skipped: ${reason}`);
    results.ink = { skipped: reason };
    return;
  }
  // The gateway and one render worker as api() starts them, on a port of their own; the compat
  // routes open and their per-IP bucket out of the way, as the API's are.
  let db;
  let procs = [];
  try {
    db = await benchDatabase('ink');
    const { schema, dbUrl } = db;
    const port = 3997;
    const env = { ...process.env, DATABASE_URL: dbUrl.toString(), REDIS_PREFIX: `bench:${schema}:`, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'production', RATE_LIMIT_PER_KEY: '1000000000', RATE_LIMIT_ANONYMOUS: '1000000000', RATE_LIMIT_KROKI: '1000000000', KROKI_API: 'open', WORKER_HEARTBEAT_SECONDS: '1', READY_REQUIRES_WORKERS: 'false' };
    execFileSync(join(ROOT, 'node_modules/.bin/prisma'), ['migrate', 'deploy'], { cwd: ROOT, env, stdio: 'ignore' });
    const secret = execFileSync('node', [join(ROOT, 'dist/apps/gateway/src/key-command.js'), 'create', '--name', 'bench'], { cwd: ROOT, env }).toString().trim().split('\n').pop();
    procs = [
      spawn('node', [join(ROOT, 'dist/apps/render-worker/src/main.js')], { cwd: ROOT, env: { ...env, RENDER_PAGES: String(PAGES) }, stdio: ['ignore', 'ignore', 'inherit'] }),
      spawn('node', [join(ROOT, 'dist/apps/gateway/src/main.js')], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] }),
    ];
    const url = `http://127.0.0.1:${port}`;
    const headers = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
    for (let i = 0; ; i++) {
      try { if ((await fetch(`${url}/readyz`)).ok) break; } catch { /* not yet */ }
      if (i > 300) throw new Error('gateway not ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    for (let i = 0; ; i++) {
      // The render worker registers once Chromium is warm; until then the gateway answers 503.
      const r = await fetch(`${url}/api/v1/beautify`, { method: 'POST', headers, body: JSON.stringify({ source: 'graph TD\n  Warm --> Up', source_format: 'mermaid' }) }).catch(() => null);
      await r?.arrayBuffer();
      if (r?.status === 200) break;
      if (i > 300) throw new Error('render worker not ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    results.ink = await inkVsMermaidInk({ flowsmithUrl: url, mermaidInkUrl: mermaidInk.url, mermaidInkVersion: mermaidInk.label, apiKey: secret, ...inkOptionsFromEnv(), log });
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await mermaidInk.close();
    if (db) {
      await new Promise((r) => setTimeout(r, 1500));
      const client = new pg.Client({ connectionString: db.base.toString() });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${db.schema}" CASCADE`);
      await client.end();
    }
  }
}

const only = new Set((process.env.BENCH_ONLY ?? 'engine,api,cli,mmdc,formats,plantuml,languages').split(','));
if (only.has('cli')) only.add('api');
if (only.has('engine')) await engine();
if (only.has('api')) await api();
if (only.has('mmdc') && !process.env.BENCH_SKIP_MMDC) mmdc();
if (only.has('formats')) await formats();
if (only.has('plantuml')) await plantumlVsPicoweb();
if (only.has('languages')) await languages();
if (only.has('ink')) await ink();

const e = results.engine;
const lines = [
  `${results.meta.date}, ${results.meta.cpus} cores, Node ${results.meta.node}, ${PAGES} warm pages`,
  '',
  '| measure | result | target |',
  '|---|---|---|',
];
if (e && results.api) lines.push(
  `| worker, 10-node flowchart → SVG, cache missed | p50 ${e.flowchart10_svg.p50_ms} ms, p99 ${e.flowchart10_svg.p99_ms} ms | p50 ≤ 30 ms, p99 ≤ 150 ms |`,
  `| worker, 10-node flowchart → PNG scale 1 | p50 ${e.flowchart10_png_scale1.p50_ms} ms | p50 ≤ 45 ms |`,
  `| API, cache missed (POST /v1/beautify) | p50 ${results.api.cache_miss_beautify_svg.p50_ms} ms, p99 ${results.api.cache_miss_beautify_svg.p99_ms} ms | p50 ≤ 60 ms |`,
  `| API, cache hit (GET image, one at a time, node:http) | p50 ${results.api.cache_hit_image_svg_sequential_node_http.p50_ms} ms (from fetch: ${results.api.cache_hit_image_svg_sequential.p50_ms} ms) | p50 ≤ 5 ms |`,
  `| API, cache hit under load (64 connections) | ${results.api.cache_hit_image_svg_load.requests_per_second} req/s, p50 ${results.api.cache_hit_image_svg_load.p50_ms} ms, p99 ${results.api.cache_hit_image_svg_load.p99_ms} ms | ≥ 1,500 req/s |`,
  `| one worker, mixed diagrams → SVG | ${e.throughput_svg_per_s} renders/s | ≥ 40/s |`,
  `| worker RSS over ${e.memory.renders} renders (after warm-up) | ${e.memory.settled_min_mb}–${e.memory.settled_max_mb} MB, ±${e.memory.max_deviation_pct}% of median | flat ±15% |`,
);
if (e?.layout) {
  const l = e.layout;
  const ratio = (a, b) => Math.round((a / b) * 10) / 10;
  lines.push(
    `| worker, 10-node flowchart → SVG, dagre / ELK | p50 ${l.flowchart10_dagre.p50_ms} / ${l.flowchart10_elk.p50_ms} ms (ELK ${ratio(l.flowchart10_elk.p50_ms, l.flowchart10_dagre.p50_ms)}×) | dagre is the default |`,
    `| worker, 50-node flowchart → SVG, dagre / ELK | p50 ${l.flowchart50_dagre.p50_ms} / ${l.flowchart50_elk.p50_ms} ms (ELK ${ratio(l.flowchart50_elk.p50_ms, l.flowchart50_dagre.p50_ms)}×) | |`,
  );
}
if (e && !results.api) lines.push(
  `| worker, 10-node flowchart → SVG, cache missed | p50 ${e.flowchart10_svg.p50_ms} ms, p99 ${e.flowchart10_svg.p99_ms} ms | p50 ≤ 30 ms, p99 ≤ 150 ms |`,
  `| worker, 10-node flowchart → PNG scale 1 | p50 ${e.flowchart10_png_scale1.p50_ms} ms | p50 ≤ 45 ms |`,
  `| one worker, mixed diagrams → SVG | ${e.throughput_svg_per_s} renders/s | ≥ 40/s |`,
);
if (e && results.mmdc) {
  lines.push(
    `| the 50 diagrams: Flowsmith worker | ${e.fifty_mixed_ms} ms | |`,
    `| the 50 diagrams: mmdc ${results.mmdc.version} (mermaid ${results.mmdc.mermaid}) once per diagram | ${results.mmdc.per_diagram_total_ms} ms (${Math.round(results.mmdc.per_diagram_total_ms / e.fifty_mixed_ms)}× slower) | ≥ 20× |`,
    `| the 50 diagrams: mmdc on one Markdown file | ${results.mmdc.markdown_50_ms} ms (${Math.round((results.mmdc.markdown_50_ms / e.fifty_mixed_ms) * 10) / 10}× slower) | ≥ 3× |`,
  );
}
if (results.cli) {
  const c = results.cli;
  lines.push(`| \`flowsmith render\` of 200 Mermaid files (8 at once, through the API) | ${c.render_200_mermaid_ms} ms${results.mmdc ? `; mmdc one by one ≈ ${results.mmdc.per_diagram_mean_ms * 200} ms (${Math.round((results.mmdc.per_diagram_mean_ms * 200) / c.render_200_mermaid_ms)}× slower)` : ''} | ≥ 10× faster than mmdc |`);
  lines.push(`| \`flowsmith --version\` start-up | p50 ${c.startup_p50_ms} ms (bare \`node -e 0\`: ${c.bare_node_p50_ms} ms) | < 150 ms |`);
}
for (const [format, f] of Object.entries(results.formats ?? {})) {
  lines.push(`| ${format}, ~20 elements → SVG, warm | p50 ${f.warm_p50_ms} ms, p99 ${f.warm_p99_ms} ms; fresh process/browser per diagram ${f.cold_p50_ms} ms (${f.speedup}×) | p50 ≤ ${f.target_ms} ms, ≥ 10× |`);
}
if (results.formats_plantuml_class) {
  const c = results.formats_plantuml_class;
  lines.push(`| plantuml class diagram (9 classifiers, 2 packages, 7 relations, a note) → SVG, warm | p50 ${c.warm_p50_ms} ms, p99 ${c.warm_p99_ms} ms | (p50 ≤ 40 ms) |`);
}
if (results.languages) {
  const { languageRow } = await import('./languages.mjs');
  for (const [id, row] of Object.entries(results.languages)) lines.push(languageRow(id, row));
}
for (const [label, key, ours] of [['warm Renderer', 'plantuml_vs_picoweb', 'flowsmith'], ['through the API', 'plantuml_vs_picoweb_api', 'flowsmith_api']]) {
  const side = results[key];
  if (!side) continue;
  const [o, p, q] = [side[ours], side.picoweb, side.picoweb_same_picture];
  const ratio = (a, b) => Math.round((a / b) * 100) / 100;
  lines.push(
    `| PlantUML, ten corpus diagrams, ${label}, one at a time | p50 ${o.sequential_p50_ms} ms; picoweb ${p.sequential_p50_ms} ms (${ratio(p.sequential_p50_ms, o.sequential_p50_ms)}×), same picture ${q.sequential_p50_ms} ms (${ratio(q.sequential_p50_ms, o.sequential_p50_ms)}×) | ≤ picoweb, goal 1.5× faster |`,
    `| PlantUML, ten corpus diagrams, ${label}, 8 at a time | p50 ${o.concurrent.p50_ms} ms, ${o.concurrent.per_second}/s; picoweb p50 ${p.concurrent.p50_ms} ms, ${p.concurrent.per_second}/s; same picture p50 ${q.concurrent.p50_ms} ms, ${q.concurrent.per_second}/s | ≤ picoweb |`,
  );
}
const hop = results.plantuml_vs_picoweb_api?.hop;
if (hop) lines.push(`| PlantUML through the API, one at a time: where the ms go (p50) | gateway to queued ${hop.gateway_to_add_p50_ms}, waiting ${hop.queued_p50_ms}, worker ${hop.worker_p50_ms}, back to the client ${hop.back_to_client_p50_ms}; total ${hop.total_p50_ms} | |`);
if (results.ink?.cache_missed) {
  const { inkRows } = await import('./ink.mjs');
  lines.push(...inkRows(results.ink));
}
writeFileSync(join(ROOT, 'bench/render/results.json'), JSON.stringify(results, null, 2) + '\n');
console.log(lines.join('\n'));
process.exit(0);
