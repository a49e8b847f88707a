// npm run bench:load — a mixed workload on loopback: the highest rate held for 60 s with p99 < 250 ms.
//
// Starts the built gateway, render worker and generation worker (dist/) against a fresh Postgres
// schema and Redis prefix, with the generation worker's Claude client pointed at the fake Messages
// API of libs/testing (answering at once with a distinct flowchart per prompt, so every generation
// parses and renders for real). Then drives this mix of requests with autocannon:
//   70%  GET  /v1/diagrams/{id}/image   of 20 pre-created, pre-warmed diagrams (cache hits; svg and png)
//   20%  POST /v1/beautify              a new source every request (cache misses: a render each)
//    5%  POST /v1/diagrams              small valid Mermaid (parsed by the render worker on write)
//    5%  POST /v1/diagrams/generate     202, completed later by the generation worker
//
// How the mix is made: one autocannon instance whose single request has a `setupRequest` that
// takes the next slot of a fixed 20-slot pattern (14 image, 4 beautify, 1 write, 1 generate),
// shared by every connection. So the mix is of requests *sent*, exactly 70/20/5/5 whatever each
// kind's latency. (Separate autocannon instances with the connections split 70/20/5/5 would
// instead give each kind a share of *connections*, and the fast cached GETs would make up far more
// than 70% of the requests.) Per-kind latencies are taken from each client's `response` event,
// with the kind of the request it answers (one request in flight per connection, no pipelining).
//
// The search: closed-loop probes of LOAD_PROBE seconds at doubling connection counts (LOAD_CONNECTIONS),
// stopping at the first that misses (p99 ≥ 250 ms or any error), then one probe between the last
// pass and the miss; then LOAD_DURATION seconds at the best passing count. Connection counts rather
// than autocannon's `overallRate`: autocannon enforces a rate per connection per wall-clock second
// (each connection sends its quota at once, then waits for the next second), which turns a fixed
// rate into a burst at the top of every second; a closed loop keeps the load steady, and the rate
// it sustains is the figure. Queues are drained between runs so probes do not inherit a backlog.
//
// During each run: BullMQ job counts of the `render` and `generation` queues every second (same
// prefix as the apps: `${REDIS_PREFIX}bull`), and CPU of each process from /proc (gateway,
// render worker with its Chromium and JVM, generation worker, proxy, this process, and the shared
// Postgres and Redis). After the long run, every accepted generation is polled until it is done.
//
// Then the same with two render workers and two gateways behind bench/load/proxy.mjs
// (LOAD_SKIP_SCALED=1 skips it). Writes bench/load/results.json and prints Markdown tables.
// Env: LOAD_DURATION (60), LOAD_PROBE (15), LOAD_SKIP_SCALED, LOAD_CONNECTIONS ("1,2,4,8,16,32,64"),
//      LOAD_PORT (3960: proxy; gateways on the next ports), BENCH_DATABASE_URL.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { benchDatabase } from '../bench-database.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const { FakeAnthropic, emitDiagram } = require(join(ROOT, 'dist/libs/testing/src/fake-anthropic.js'));
const { bullPrefix, bullConnection } = require(join(ROOT, 'dist/libs/queue/src/redis.js'));

const DURATION = Number(process.env.LOAD_DURATION ?? 60);
const PROBE = Number(process.env.LOAD_PROBE ?? 15);
const SKIP_SCALED = process.env.LOAD_SKIP_SCALED === '1';
const LADDER = (process.env.LOAD_CONNECTIONS ?? '1,2,4,8,16,32,64').split(',').map(Number);
const BASE_PORT = Number(process.env.LOAD_PORT ?? 3960);
const P99_LIMIT_MS = 250;
const DRAIN_LIMIT_MS = 180_000;
const KINDS = ['image', 'beautify', 'write', 'generate'];
// 20 slots: 14 image (70%), 4 beautify (20%), 1 write (5%), 1 generate (5%), interleaved.
const PATTERN = ['image', 'image', 'beautify', 'image', 'image', 'image', 'image', 'beautify', 'image', 'write',
  'image', 'image', 'beautify', 'image', 'image', 'image', 'image', 'beautify', 'image', 'generate'];
const CLK_TCK = 100; // Linux USER_HZ for /proc/<pid>/stat times
const log = (...a) => console.error(...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (n, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const pct = (sorted, p) => (sorted.length ? round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]) : null);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);

// ---- the fake model, the schema, the key -------------------------------------------------------
const fake = new FakeAnthropic();
fake.fallback = (prompt) => {
  const tag = (prompt.match(/load-([\w-]+?):/) ?? ['', 'x'])[1];
  const nodes = Array.from({ length: 6 }, (_, i) => `  N${i}[Step ${i} of ${tag}]`).join('\n');
  const edges = Array.from({ length: 5 }, (_, i) => `  N${i} --> N${i + 1}`).join('\n');
  return emitDiagram(`flowchart TD\n${nodes}\n${edges}`, `Load ${tag}`);
};
const fakeUrl = await fake.start();

const { base, schema, dbUrl } = await benchDatabase('load');
const redisPrefix = `bench:${schema}:`;
const env = {
  ...process.env, DATABASE_URL: dbUrl.toString(), REDIS_PREFIX: redisPrefix, HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'production',
  // Limits far above what the run can send, so no 429 is expected: any 429 is counted on its own line.
  RATE_LIMIT_PER_KEY: '1000000000', RATE_LIMIT_AI_PER_KEY: '1000000000', GENERATION_IN_FLIGHT_PER_OWNER: '1000000000',
  // One key sends everything: its renders in flight are capped by the load, not by the plan.
  PLANS: '{"premium":{"ai_per_month":null,"renders_in_flight":1000000}}',
  WORKER_HEARTBEAT_SECONDS: '1', ANTHROPIC_API_KEY: 'sk-ant-bench', ANTHROPIC_BASE_URL: fakeUrl,
};
const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
execFileSync(join(ROOT, 'node_modules/.bin/prisma'), ['migrate', 'deploy'], { cwd: ROOT, env, stdio: 'ignore' });
const secret = execFileSync('node', [join(ROOT, 'dist/apps/gateway/src/key-command.js'), 'create', '--name', 'load-bench'], { cwd: ROOT, env })
  .toString().trim().split('\n').pop();
const auth = { authorization: `Bearer ${secret}` };
const json = { ...auth, 'content-type': 'application/json' };
const db = new pg.Client({ connectionString: base.toString() });
await db.connect();
const queues = {
  render: new Queue('render', { connection: bullConnection(redisUrl), prefix: bullPrefix(redisPrefix) }),
  generation: new Queue('generation', { connection: bullConnection(redisUrl), prefix: bullPrefix(redisPrefix) }),
};

// ---- processes ----------------------------------------------------------------------------------
const running = new Set();
function start(role, args, extra = {}) {
  const child = spawn('node', args, { cwd: ROOT, env: { ...env, ...extra }, stdio: ['ignore', 'ignore', 'inherit'] });
  const entry = { role, child, pid: child.pid };
  running.add(entry);
  child.once('exit', () => running.delete(entry));
  return entry;
}
async function stopAll() {
  const exits = [...running].map((e) => new Promise((r) => (e.child.exitCode !== null ? r() : e.child.once('exit', r))));
  for (const e of running) e.child.kill('SIGTERM');
  const timer = setTimeout(() => { for (const e of running) e.child.kill('SIGKILL'); }, 8000);
  await Promise.all(exits);
  clearTimeout(timer);
}

async function waitReady(gatewayUrl, renderWorkers) {
  for (let i = 0; ; i++) {
    try {
      const body = await (await fetch(`${gatewayUrl}/readyz`)).json();
      if ((body.workers?.render ?? 0) >= renderWorkers && (body.workers?.generation ?? 0) >= 1) return;
    } catch { /* not yet */ }
    if (i > 600) throw new Error(`${gatewayUrl} not ready with ${renderWorkers} render worker(s)`);
    await sleep(100);
  }
}

/** Starts a deployment; resolves to the URL clients use. */
async function deploy({ gateways, renderWorkers }) {
  for (let i = 0; i < renderWorkers; i++) start(`render-worker${renderWorkers > 1 ? ` ${i + 1}` : ''}`, [join(ROOT, 'dist/apps/render-worker/src/main.js')]);
  start('generation-worker', [join(ROOT, 'dist/apps/generation-worker/src/main.js')], { WORKER_CONCURRENCY: '8' });
  const gatewayUrls = [];
  for (let i = 0; i < gateways; i++) {
    const port = BASE_PORT + 1 + i;
    start(`gateway${gateways > 1 ? ` ${i + 1}` : ''}`, [join(ROOT, 'dist/apps/gateway/src/main.js')], { PORT: String(port), TRUST_PROXY_HOPS: gateways > 1 ? '1' : '0' });
    gatewayUrls.push(`http://127.0.0.1:${port}`);
  }
  for (const u of gatewayUrls) await waitReady(u, renderWorkers);
  if (gateways === 1) return gatewayUrls[0];
  start('proxy', [join(ROOT, 'bench/load/proxy.mjs'), String(BASE_PORT), ...gatewayUrls]);
  const url = `http://127.0.0.1:${BASE_PORT}`;
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${url}/healthz`)).ok) break; } catch { /* not yet */ }
    if (i > 100) throw new Error('proxy did not start');
    await sleep(100);
  }
  return url;
}

// ---- the workload --------------------------------------------------------------------------------
let seq = 0; // global: every connection takes the next slot of PATTERN
let imageNext = 0; // round-robin over the pre-warmed image paths
let unique = 0; // makes every beautify source, write and prompt distinct across the whole bench
const tag = Date.now().toString(36);

function requestFor(kind, imagePaths) {
  const n = `${tag}-${unique++}`;
  switch (kind) {
    case 'image':
      return { method: 'GET', path: imagePaths[imageNext++ % imagePaths.length], headers: { ...auth } };
    case 'beautify':
      return { method: 'POST', path: '/api/v1/beautify', headers: { ...json }, body: JSON.stringify({ source: `flowchart LR\n  A[Load ${n}] --> B{Check ${n}}\n  B -->|yes| C[Done]\n  B -->|no| A`, source_format: 'mermaid' }) };
    case 'write':
      return { method: 'POST', path: '/api/v1/diagrams', headers: { ...json }, body: JSON.stringify({ name: `load ${n}`, source: `flowchart TD\n  W[Write ${n}] --> S[Saved]` }) };
    case 'generate':
      return { method: 'POST', path: '/api/v1/diagrams/generate', headers: { ...json }, body: JSON.stringify({ prompt: `load-${n}: draw the steps of approving an expense`, format: 'svg' }) };
  }
}

/**
 * Per-process CPU from /proc: every process's ticks with the role it belongs to (the process tree
 * of each started process, this process, and the shared Postgres and Redis), and the machine's.
 * Deltas are taken per pid, so processes that come and go (Chromium pages recycled, other people's
 * Postgres backends) neither vanish from nor subtract from a role's figure.
 */
function cpuSnapshot() {
  const procs = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(entry), { comm, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), role: null });
    } catch { /* gone */ }
  }
  const children = new Map();
  for (const [pid, p] of procs) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(pid);
  }
  const mark = (pid, role) => {
    const p = procs.get(pid);
    if (p) p.role = role;
    for (const child of children.get(pid) ?? []) mark(child, role);
  };
  for (const e of running) mark(e.pid, e.role);
  if (procs.has(process.pid)) procs.get(process.pid).role = 'bench (autocannon, fake model)';
  for (const p of procs.values()) {
    if (p.comm === 'postgres') p.role = 'postgres (shared)';
    if (p.comm === 'redis-server') p.role = 'redis (shared)';
  }
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = cpu[3] + (cpu[4] ?? 0);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  return { at: performance.now(), procs, machine: { busy: total - idle, total } };
}

function cpuDelta(a, b) {
  const seconds = (b.at - a.at) / 1000;
  const ticks = {};
  for (const [pid, p] of b.procs) {
    if (!p.role) continue;
    const before = a.procs.get(pid);
    ticks[p.role] = (ticks[p.role] ?? 0) + Math.max(0, p.ticks - (before && before.comm === p.comm ? before.ticks : 0));
  }
  const roles = Object.fromEntries(Object.entries(ticks).map(([role, t]) => [role, round((t / CLK_TCK / seconds) * 100, 0)]));
  const cores = availableParallelism();
  const machine = round(((b.machine.busy - a.machine.busy) / Math.max(1, b.machine.total - a.machine.total)) * cores * 100, 0);
  const ours = Object.values(roles).reduce((sum, v) => sum + v, 0);
  return { roles, machine_busy_pct: machine, others_pct: Math.max(0, machine - ours) };
}

const emptyDepth = async () => {
  const c = await Promise.all(Object.values(queues).map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized')));
  return c.every((x) => x.waiting + x.active + x.delayed + x.prioritized === 0);
};
async function drain() {
  const t0 = Date.now();
  while (!(await emptyDepth())) {
    if (Date.now() - t0 > DRAIN_LIMIT_MS) throw new Error('queues did not drain');
    await sleep(250);
  }
  return Date.now() - t0;
}

/** One closed-loop run of the mix at `connections` for `seconds`. */
async function runMix(url, imagePaths, connections, seconds, label) {
  const samples = { by_kind: Object.fromEntries(KINDS.map((k) => [k, []])), statuses: Object.fromEntries(KINDS.map((k) => [k, {}])), generationIds: [], timeouts: 0, connErrors: 0, sent: Object.fromEntries(KINDS.map((k) => [k, 0])) };
  const series = [];
  const cpuSeries = [];
  let stopSampling = false;
  const t0 = performance.now();
  const cpuStart = cpuSnapshot();
  let cpuPrev = cpuStart;
  const sampler = (async () => {
    while (!stopSampling) {
      await sleep(1000);
      const [r, g] = await Promise.all([queues.render.getJobCounts('waiting', 'active', 'delayed', 'prioritized'), queues.generation.getJobCounts('waiting', 'active', 'delayed', 'prioritized')]);
      const cpuNow = cpuSnapshot();
      cpuSeries.push(cpuDelta(cpuPrev, cpuNow));
      cpuPrev = cpuNow;
      series.push({
        t: series.length + 1, // seconds since the start (one sample a second)
        render: { waiting: r.waiting + r.prioritized + r.delayed, active: r.active },
        generation: { waiting: g.waiting + g.prioritized + g.delayed, active: g.active },
      });
    }
  })();
  const loadBefore = loadavg();
  const result = await new Promise((ok, fail) => {
    autocannon({
      url, connections, duration: seconds, pipelining: 1, timeout: 15,
      requests: [{
        setupRequest: (request, context) => {
          const kind = PATTERN[seq++ % PATTERN.length];
          context.kind = kind;
          samples.sent[kind]++;
          return { ...request, ...requestFor(kind, imagePaths) };
        },
        onResponse: (status, body, context) => {
          if (context.kind === 'generate' && status === 202) {
            try { samples.generationIds.push(JSON.parse(body).id); } catch { /* counted by status */ }
          }
        },
      }],
      setupClient: (client) => {
        client.on('response', (status, _bytes, ms) => {
          const kind = client.requestIterator.context.kind;
          samples.by_kind[kind].push(ms);
          samples.statuses[kind][status] = (samples.statuses[kind][status] ?? 0) + 1;
        });
        client.on('timeout', () => samples.timeouts++);
        client.on('connError', () => samples.connErrors++);
      },
    }, (error, r) => (error ? fail(error) : ok(r)));
  });
  const elapsed = (performance.now() - t0) / 1000;
  stopSampling = true;
  await sampler;
  const cpu = cpuDelta(cpuStart, cpuSnapshot());
  const loadAfter = loadavg();

  const kinds = {};
  const all = [];
  const statusTotals = {};
  let errors = samples.timeouts + samples.connErrors;
  let rateLimited = 0;
  for (const kind of KINDS) {
    const sorted = samples.by_kind[kind].sort((a, b) => a - b);
    all.push(...sorted);
    for (const [status, count] of Object.entries(samples.statuses[kind])) {
      statusTotals[status] = (statusTotals[status] ?? 0) + count;
      if (status === '429') rateLimited += count;
      else if (Number(status) >= 300) errors += count;
    }
    kinds[kind] = { requests: sorted.length, per_second: round(sorted.length / seconds), p50_ms: pct(sorted, 50), p90_ms: pct(sorted, 90), p99_ms: pct(sorted, 99), max_ms: sorted.length ? round(sorted.at(-1)) : null, statuses: samples.statuses[kind] };
  }
  all.sort((a, b) => a - b);
  const non2xx = Object.fromEntries(Object.entries(statusTotals).filter(([s]) => Number(s) >= 300));
  const out = {
    label, connections, seconds, wall_s: round(elapsed),
    requests: all.length, per_second: round(all.length / seconds),
    p50_ms: pct(all, 50), p90_ms: pct(all, 90), p99_ms: pct(all, 99), max_ms: all.length ? round(all.at(-1)) : null,
    errors, rate_limited_429: rateLimited, non_2xx_by_status: non2xx, timeouts: samples.timeouts, connection_errors: samples.connErrors,
    autocannon: { requests_per_second: round(result.requests.average), p99_ms: result.latency.p99, non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts },
    by_kind: kinds,
    // Sent follows the pattern exactly; answered is lower for slow kinds, whose requests are more
    // often the ones still in flight when autocannon stops (they are dropped, not counted).
    sent_by_kind: samples.sent,
    mix_sent_pct: Object.fromEntries(KINDS.map((k) => [k, round((samples.sent[k] / Math.max(1, Object.values(samples.sent).reduce((a, b) => a + b, 0))) * 100)])),
    mix_answered_pct: Object.fromEntries(KINDS.map((k) => [k, all.length ? round((kinds[k].requests / all.length) * 100) : 0])),
    queue_max: {
      render: Math.max(0, ...series.map((s) => s.render.waiting + s.render.active)),
      generation: Math.max(0, ...series.map((s) => s.generation.waiting + s.generation.active)),
    },
    queue_series: series,
    cpu_pct_of_one_core: cpu.roles, machine_busy_pct: cpu.machine_busy_pct, others_pct: cpu.others_pct, cpu_series: cpuSeries,
    loadavg_before: loadBefore, loadavg_after: loadAfter,
    generation_ids: samples.generationIds,
  };
  out.passed = out.errors === 0 && out.p99_ms !== null && out.p99_ms < P99_LIMIT_MS;
  out.drain_ms = await drain();
  fake.requests.length = 0; // the fake records every request; keep its memory flat
  log(`${label}: ${connections} conns, ${out.per_second} req/s, p50 ${out.p50_ms} p90 ${out.p90_ms} p99 ${out.p99_ms} ms, errors ${out.errors}, 429 ${rateLimited}, ` +
    `queue max render ${out.queue_max.render} generation ${out.queue_max.generation}, machine ${out.machine_busy_pct}% (others ${out.others_pct}%), drained in ${out.drain_ms} ms → ${out.passed ? 'pass' : 'MISS'}`);
  return out;
}

/** Polls Postgres until every accepted generation is succeeded or failed (or the limit). */
async function settleGenerations(ids, limitMs = 120_000) {
  const t0 = Date.now();
  for (;;) {
    const { rows } = await db.query(`SELECT status, count(*)::int AS n FROM "${schema}".generations WHERE id = ANY($1) GROUP BY status`, [ids]);
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    const done = (byStatus.succeeded ?? 0) + (byStatus.failed ?? 0);
    if (done === ids.length || Date.now() - t0 > limitMs) {
      const ms = await db.query(`SELECT extract(epoch FROM (completed_at - created_at)) * 1000 AS ms FROM "${schema}".generations WHERE id = ANY($1) AND status = 'succeeded'`, [ids]);
      const sorted = ms.rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
      return { accepted: ids.length, in_database: Object.values(byStatus).reduce((a, b) => a + b, 0), by_status: byStatus, all_completed: (byStatus.succeeded ?? 0) === ids.length, waited_ms: Date.now() - t0, accepted_to_succeeded_p50_ms: pct(sorted, 50), p99_ms: pct(sorted, 99) };
    }
    await sleep(250);
  }
}

async function scenario(name, topology) {
  log(`\n== ${name}: ${topology.gateways} gateway(s), ${topology.renderWorkers} render worker(s), 1 generation worker ==`);
  const url = await deploy(topology);
  // The diagrams the image GETs read, each rendered once in both formats so every GET is a cache hit.
  const imagePaths = [];
  for (let i = 0; i < 20; i++) {
    const response = await fetch(`${url}/api/v1/diagrams`, { method: 'POST', headers: json, body: JSON.stringify({ name: `image ${i}`, source: `flowchart TD\n  A${i}[Image ${i}] --> B{Cached?}\n  B -->|yes| C[Fast]\n  B -->|no| D[Render]` }) });
    const diagram = await response.json();
    if (response.status !== 201) throw new Error(`create diagram: ${response.status} ${JSON.stringify(diagram)}`);
    for (const format of ['svg', 'png']) {
      const path = `/api/v1/diagrams/${diagram.id}/image?format=${format}`;
      const image = await fetch(url + path, { headers: auth });
      await image.arrayBuffer();
      if (image.status !== 200) throw new Error(`warm image: ${image.status}`);
      imagePaths.push(path);
    }
  }
  await runMix(url, imagePaths, 4, 5, `${name} warm-up`);

  const probes = [];
  let lastPass = null;
  let firstMiss = null;
  for (const connections of LADDER) {
    const probe = await runMix(url, imagePaths, connections, PROBE, `${name} probe`);
    probes.push(probe);
    if (probe.passed) lastPass = probe;
    else { firstMiss = probe; break; }
  }
  if (lastPass && firstMiss && firstMiss.connections - lastPass.connections > 1) {
    const probe = await runMix(url, imagePaths, Math.round((lastPass.connections + firstMiss.connections) / 2), PROBE, `${name} probe`);
    probes.push(probe);
  }
  const passing = probes.filter((p) => p.passed).sort((a, b) => b.per_second - a.per_second);
  const best = passing[0]?.connections ?? LADDER[0];
  const run = await runMix(url, imagePaths, best, DURATION, `${name} ${DURATION} s run`);
  run.generations = await settleGenerations(run.generation_ids);
  log(`${name}: generations ${JSON.stringify(run.generations)}`);
  await stopAll();
  const strip = (p) => { const { generation_ids, queue_series, cpu_series, ...rest } = p; void generation_ids; void queue_series; void cpu_series; return rest; };
  const { generation_ids, ...final } = run;
  void generation_ids;
  return { name, topology, probes: probes.map(strip), chosen_connections: best, any_probe_passed: passing.length > 0, run: final };
}

// ---- main -----------------------------------------------------------------------------------------
const results = { meta: { date: new Date().toISOString(), cpus: availableParallelism(), node: process.version, duration_s: DURATION, probe_s: PROBE, ladder: LADDER, p99_limit_ms: P99_LIMIT_MS, mix_pct: { image: 70, beautify: 20, write: 5, generate: 5 }, loadavg_at_start: loadavg() }, scenarios: [] };
let failed = null;
const cleanup = async () => {
  await stopAll();
  await Promise.all(Object.values(queues).map((q) => q.close().catch(() => {})));
  await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
  await db.end().catch(() => {});
  // This run's Redis keys (queues, caches, limits) only: the shared Redis holds everybody's.
  const redis = new Redis(redisUrl);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
  await redis.quit();
  await fake.close();
};
process.once('SIGINT', () => { log('interrupted: cleaning up'); cleanup().finally(() => process.exit(130)); });
try {
  results.scenarios.push(await scenario('single', { gateways: 1, renderWorkers: 1 }));
  if (!SKIP_SCALED) results.scenarios.push(await scenario('scaled', { gateways: 2, renderWorkers: 2 }));
} catch (error) {
  failed = error;
} finally {
  await cleanup();
}
results.meta.loadavg_at_end = loadavg();
if (failed) { console.error(failed); process.exit(1); }

writeFileSync(join(ROOT, 'bench/load/results.json'), JSON.stringify(results, null, 2) + '\n');

// ---- Markdown ---------------------------------------------------------------------------------------
const ms = (v) => (v === null ? '–' : `${v}`);
const statuses = (o) => Object.entries(o).map(([s, n]) => `${s}: ${n}`).join(', ') || 'none';
const lines = [`${results.meta.date}, ${results.meta.cpus} cores, Node ${results.meta.node}; load average at start ${results.meta.loadavg_at_start.join(' ')}, at end ${results.meta.loadavg_at_end.join(' ')}`, ''];
lines.push('Search (closed-loop probes, ' + PROBE + ' s each):', '', '| setup | connections | req/s | p50 ms | p90 ms | p99 ms | errors | 429 | queue max (render / generation) | |', '|---|---|---|---|---|---|---|---|---|---|');
for (const s of results.scenarios) for (const p of s.probes) lines.push(`| ${s.name} | ${p.connections} | ${p.per_second} | ${ms(p.p50_ms)} | ${ms(p.p90_ms)} | ${ms(p.p99_ms)} | ${p.errors} | ${p.rate_limited_429} | ${p.queue_max.render} / ${p.queue_max.generation} | ${p.passed ? 'pass' : 'miss'} |`);
lines.push('', `${DURATION} s runs at the best passing connection count:`, '', '| setup | connections | req/s | p50 ms | p90 ms | p99 ms | p99 < 250 ms, no errors | errors | 429 | non-2xx | generations completed |', '|---|---|---|---|---|---|---|---|---|---|---|');
for (const s of results.scenarios) {
  const r = s.run;
  lines.push(`| ${s.name} (${s.topology.gateways} gw, ${s.topology.renderWorkers} rw)${s.any_probe_passed ? '' : ' (no probe passed)'} | ${r.connections} | **${r.per_second}** | ${ms(r.p50_ms)} | ${ms(r.p90_ms)} | **${ms(r.p99_ms)}** | ${r.passed ? 'met' : 'missed'} | ${r.errors} | ${r.rate_limited_429} | ${statuses(r.non_2xx_by_status)} | ${r.generations.by_status.succeeded ?? 0}/${r.generations.accepted}${r.generations.all_completed ? '' : ' (NOT all)'} within ${round((r.drain_ms + r.generations.waited_ms) / 1000)} s of the end |`);
}
lines.push('', 'Per request kind (the long runs):', '', '| setup | kind | share sent / answered | req/s | p50 ms | p90 ms | p99 ms | max ms | statuses |', '|---|---|---|---|---|---|---|---|---|');
for (const s of results.scenarios) for (const kind of KINDS) {
  const k = s.run.by_kind[kind];
  lines.push(`| ${s.name} | ${kind} | ${s.run.mix_sent_pct[kind]}% / ${s.run.mix_answered_pct[kind]}% | ${k.per_second} | ${ms(k.p50_ms)} | ${ms(k.p90_ms)} | ${ms(k.p99_ms)} | ${ms(k.max_ms)} | ${statuses(k.statuses)} |`);
}
for (const s of results.scenarios) {
  const r = s.run;
  lines.push('', `Queue depths, ${s.name} (waiting+active, every 5 s; max render ${r.queue_max.render}, generation ${r.queue_max.generation}; drained ${r.drain_ms} ms after the end):`, '');
  lines.push('| t (s) | ' + r.queue_series.filter((x) => x.t % 5 === 0).map((x) => x.t).join(' | ') + ' |');
  lines.push('|---|' + r.queue_series.filter((x) => x.t % 5 === 0).map(() => '---').join('|') + '|');
  lines.push('| render | ' + r.queue_series.filter((x) => x.t % 5 === 0).map((x) => `${x.render.waiting}+${x.render.active}`).join(' | ') + ' |');
  lines.push('| generation | ' + r.queue_series.filter((x) => x.t % 5 === 0).map((x) => `${x.generation.waiting}+${x.generation.active}`).join(' | ') + ' |');
  lines.push('', `CPU, ${s.name} (% of one core, mean over the run; the machine has ${results.meta.cpus * 100}%): machine busy ${r.machine_busy_pct}%, of which not this bench's ${r.others_pct}%`, '');
  lines.push('| process | CPU % |', '|---|---|');
  for (const [role, v] of Object.entries(r.cpu_pct_of_one_core).sort((a, b) => b[1] - a[1])) lines.push(`| ${role} | ${v} |`);
}
console.log(lines.join('\n'));
process.exit(0);
