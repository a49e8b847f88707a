// npm run bench:generation — the generation pipeline with the fake model answering at once.
//
// Starts the built gateway, a render worker and one generation worker (then a second) against a
// fresh schema and Redis prefix, with the worker's Claude client pointed at the fake Messages API
// of libs/testing. Measures POST /v1/diagrams/generate → 202 latency, the time from acceptance to
// `succeeded` (created_at → completed_at, as Postgres recorded them), from `succeeded` to its
// generation.succeeded webhook arriving at a receiver on loopback (a webhook worker runs too), the
// same 202 → succeeded for AI edits of one diagram (POST /v1/diagrams/{id}/edits), and
// 200 generations submitted at once with one and with two generation workers (all must succeed, quota exact).
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { benchDatabase } from '../bench-database.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const { FakeAnthropic, emitDiagram } = require(join(ROOT, 'dist/libs/testing/src/fake-anthropic.js'));
const log = (...a) => console.error(...a);
const pct = (values, p) => { const s = [...values].sort((a, b) => a - b); return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10; };

const fake = new FakeAnthropic();
// A distinct 6-node flowchart per prompt, so every generation renders for real.
fake.fallback = (prompt) => {
  const tag = (prompt.match(/bench-(\d+)/) ?? ['', '0'])[1];
  return emitDiagram(`flowchart TD\n${Array.from({ length: 6 }, (_, i) => `  N${i}[Step ${i} of ${tag}]`).join('\n')}\n${Array.from({ length: 5 }, (_, i) => `  N${i} --> N${i + 1}`).join('\n')}`, `Bench ${tag}`);
};
const baseURL = await fake.start();

const { base, schema, dbUrl } = await benchDatabase('gen');
const port = 3997;
const env = {
  ...process.env, DATABASE_URL: dbUrl.toString(), REDIS_PREFIX: `bench:${schema}:`, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'production',
  RATE_LIMIT_PER_KEY: '1000000000', RATE_LIMIT_AI_PER_KEY: '1000000000', READY_REQUIRES_WORKERS: 'false', WORKER_HEARTBEAT_SECONDS: '1',
  // The bursts submit 200 at once for one owner.
  GENERATION_IN_FLIGHT_PER_OWNER: '1000',
  PLANS: '{"premium":{"ai_per_month":100000}}', ANTHROPIC_API_KEY: 'sk-ant-bench', ANTHROPIC_BASE_URL: baseURL,
  // The webhook section's receiver listens on loopback.
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
};
execFileSync(join(ROOT, 'node_modules/.bin/prisma'), ['migrate', 'deploy'], { cwd: ROOT, env, stdio: 'ignore' });
const secret = execFileSync('node', [join(ROOT, 'dist/apps/gateway/src/key-command.js'), 'create', '--name', 'bench'], { cwd: ROOT, env }).toString().trim().split('\n').pop();
const start = (app, extra = {}) => spawn('node', [join(ROOT, `dist/apps/${app}/src/main.js`)], { cwd: ROOT, env: { ...env, ...extra }, stdio: ['ignore', 'ignore', 'inherit'] });
const procs = [start('render-worker', { RENDER_PAGES: String(availableParallelism()) }), start('generation-worker', { WORKER_CONCURRENCY: '8' }), start('webhook-worker'), start('gateway')];
const url = `http://127.0.0.1:${port}`;
const headers = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
const db = new pg.Client({ connectionString: base.toString() });
await db.connect();
const results = { meta: { date: new Date().toISOString(), cpus: availableParallelism(), node: process.version } };
let n = 0;
const submit = async () => {
  const started = performance.now();
  const response = await fetch(`${url}/api/v1/diagrams/generate`, { method: 'POST', headers, body: JSON.stringify({ prompt: `bench-${n++}: draw the steps`, format: 'svg' }) });
  const body = await response.json();
  if (response.status !== 202) throw new Error(`submit ${response.status} ${JSON.stringify(body)}`);
  return { id: body.id, ms: performance.now() - started };
};
const settle = async (ids, timeoutMs = 120_000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query(`SELECT status, count(*)::int AS n FROM "${schema}".generations WHERE id = ANY($1) GROUP BY status`, [ids]);
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    if ((byStatus.succeeded ?? 0) + (byStatus.failed ?? 0) === ids.length) return byStatus;
    if (Date.now() > deadline) throw new Error(`not settled: ${JSON.stringify(byStatus)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
const durations = async (ids) => (await db.query(`SELECT id, extract(epoch FROM (completed_at - created_at)) * 1000 AS ms, created_at, completed_at FROM "${schema}".generations WHERE id = ANY($1)`, [ids])).rows;

try {
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${url}/readyz`)).ok && (await (await fetch(`${url}/readyz`)).json()).workers.render > 0) break; } catch { /* not yet */ }
    if (i > 300) throw new Error('not ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 1500)); // both workers registered and warm
  const warm = [];
  for (let i = 0; i < 10; i++) warm.push((await submit()).id);
  await settle(warm);

  // One at a time: POST → 202, and 202 → succeeded.
  const submitMs = [];
  const single = [];
  for (let i = 0; i < 100; i++) {
    const { id, ms } = await submit();
    submitMs.push(ms);
    single.push(id);
    await settle([id]);
  }
  const singleDurations = (await durations(single)).map((r) => Number(r.ms));
  results.one_at_a_time = { submit_202: { p50_ms: pct(submitMs, 50), p99_ms: pct(submitMs, 99) }, accepted_to_succeeded: { p50_ms: pct(singleDurations, 50), p99_ms: pct(singleDurations, 99) }, n: 100 };
  log('one at a time', JSON.stringify(results.one_at_a_time));

  // AI edits of one diagram, one at a time: each makes the next revision (202 → succeeded, as above).
  const edited = await (await fetch(`${url}/api/v1/diagrams`, { method: 'POST', headers, body: JSON.stringify({ name: 'Edited', source: 'flowchart TD\n  A --> B' }) })).json();
  const edits = [];
  for (let i = 0; i < 100; i++) {
    const response = await fetch(`${url}/api/v1/diagrams/${edited.id}/edits`, { method: 'POST', headers, body: JSON.stringify({ instruction: `bench-${n++}: add a step`, format: 'svg' }) });
    const body = await response.json();
    if (response.status !== 202) throw new Error(`edit ${response.status} ${JSON.stringify(body)}`);
    edits.push(body.id);
    const outcome = await settle([body.id]);
    if (!outcome.succeeded) throw new Error(`edit ${body.id} failed`);
  }
  const editDurations = (await durations(edits)).map((r) => Number(r.ms));
  results.edit_one_at_a_time = { accepted_to_succeeded: { p50_ms: pct(editDurations, 50), p99_ms: pct(editDurations, 99) }, of_generation_p50: Math.round((pct(editDurations, 50) / results.one_at_a_time.accepted_to_succeeded.p50_ms) * 100) / 100, n: 100 };
  log('edits one at a time', JSON.stringify(results.edit_one_at_a_time));

  // generation.succeeded → delivered: from the generation's completed_at (set in the transaction
  // that records the event) to the receiver's arrival time, one generation at a time, same clock.
  const arrivals = new Map();
  const receiver = createServer((request, response) => {
    const at = Date.now();
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const event = JSON.parse(body);
      if (event.type === 'generation.succeeded' && !arrivals.has(event.data.object.id)) arrivals.set(event.data.object.id, at);
      response.writeHead(204).end();
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const hook = await (await fetch(`${url}/api/v1/webhook_endpoints`, { method: 'POST', headers, body: JSON.stringify({ url: `http://127.0.0.1:${receiver.address().port}/hook`, events: ['generation.succeeded'] }) })).json();
  const hooked = [];
  for (let i = 0; i < 50; i++) {
    const { id } = await submit();
    hooked.push(id);
    await settle([id]);
    for (let wait = 0; !arrivals.has(id) && wait < 200; wait++) await new Promise((r) => setTimeout(r, 10));
  }
  const deliveredMs = (await durations(hooked)).map((row) => arrivals.get(row.id) - row.completed_at.getTime());
  if (deliveredMs.some((ms) => Number.isNaN(ms))) throw new Error(`webhooks missing: ${hooked.length - arrivals.size} of ${hooked.length}`);
  await fetch(`${url}/api/v1/webhook_endpoints/${hook.id}`, { method: 'DELETE', headers });
  receiver.close();
  results.succeeded_to_webhook_delivered = { p50_ms: pct(deliveredMs, 50), p99_ms: pct(deliveredMs, 99), n: hooked.length };
  log('succeeded → webhook delivered', JSON.stringify(results.succeeded_to_webhook_delivered));

  // A diagram with 1,000 revisions (written in SQL: the route under test is the read), then its
  // first page and a page from the middle, one request at a time.
  const created = await (await fetch(`${url}/api/v1/diagrams`, { method: 'POST', headers, body: JSON.stringify({ name: 'History', source: 'flowchart LR\n  A --> B' }) })).json();
  await db.query(
    `INSERT INTO "${schema}".diagram_revisions (diagram_id, number, name, source, source_format, diagram_type, created_by)
     SELECT $1::uuid, n, 'History ' || n, 'flowchart LR' || chr(10) || '  A --> B' || n, 'mermaid', 'flowchart', $2::uuid FROM generate_series(2, 1000) AS n`,
    [created.id, created.created_by],
  );
  await db.query(`UPDATE "${schema}".diagrams SET revision = 1000 WHERE id = $1::uuid`, [created.id]);
  const timeList = async (query) => {
    const times = [];
    for (let i = 0; i < 500; i++) {
      const t0 = performance.now();
      const response = await fetch(`${url}/api/v1/diagrams/${created.id}/revisions${query}`, { headers });
      const body = await response.json();
      times.push(performance.now() - t0);
      if (response.status !== 200 || body.data.length !== 20) throw new Error(`revisions ${response.status} ${JSON.stringify(body).slice(0, 200)}`);
    }
    return { p50_ms: pct(times, 50), p99_ms: pct(times, 99) };
  };
  const middle = Buffer.from(JSON.stringify(['revisions', 500])).toString('base64url');
  results.revisions_list_1000 = { first_page: await timeList(''), middle_page: await timeList(`?cursor=${middle}`), n: 500, page: 20 };
  log('revision list', JSON.stringify(results.revisions_list_1000));

  const burst = async (label) => {
    const before = Number((await db.query(`SELECT coalesce(sum(ai_used),0)::int AS used FROM "${schema}".usage_counters`)).rows[0].used);
    const t0 = performance.now();
    const ids = (await Promise.all(Array.from({ length: 200 }, () => submit()))).map((s) => s.id);
    const byStatus = await settle(ids);
    const wall = performance.now() - t0;
    const after = Number((await db.query(`SELECT coalesce(sum(ai_used),0)::int AS used FROM "${schema}".usage_counters`)).rows[0].used);
    const d = (await durations(ids)).map((r) => Number(r.ms));
    results[label] = { submitted: 200, succeeded: byStatus.succeeded ?? 0, failed: byStatus.failed ?? 0, quota_spent: after - before, wall_ms: Math.round(wall), per_second: Math.round((200 / wall) * 1000 * 10) / 10, accepted_to_succeeded_p50_ms: pct(d, 50), p99_ms: pct(d, 99) };
    log(label, JSON.stringify(results[label]));
  };
  await burst('burst_one_generation_worker');
  procs.push(start('generation-worker', { WORKER_CONCURRENCY: '8' }));
  await new Promise((r) => setTimeout(r, 3000));
  await burst('burst_two_generation_workers');
} finally {
  for (const p of procs) p.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await db.end();
  await fake.close();
}

writeFileSync(join(ROOT, 'bench/generation/results.json'), JSON.stringify(results, null, 2) + '\n');
const o = results.one_at_a_time;
const w = results.succeeded_to_webhook_delivered;
const r = results.revisions_list_1000;
const b1 = results.burst_one_generation_worker;
const b2 = results.burst_two_generation_workers;
console.log([
  `${results.meta.date}, ${results.meta.cpus} cores, Node ${results.meta.node}, fake model answering at once`,
  '',
  '| measure | result | target |',
  '|---|---|---|',
  `| POST /v1/diagrams/generate → 202 | p50 ${o.submit_202.p50_ms} ms, p99 ${o.submit_202.p99_ms} ms | p50 ≤ 15 ms |`,
  `| 202 → succeeded (pickup, model, parse, save, render) | p50 ${o.accepted_to_succeeded.p50_ms} ms, p99 ${o.accepted_to_succeeded.p99_ms} ms | p50 ≤ 200 ms |`,
  `| AI edit 202 → succeeded (pickup, read the diagram, model, parse, next revision, render) | p50 ${results.edit_one_at_a_time.accepted_to_succeeded.p50_ms} ms, p99 ${results.edit_one_at_a_time.accepted_to_succeeded.p99_ms} ms: ${results.edit_one_at_a_time.of_generation_p50}× a generation's p50 | within 1.2× |`,
  `| succeeded → generation.succeeded webhook received (commit, queue, webhook worker, signed POST) | p50 ${w.p50_ms} ms, p99 ${w.p99_ms} ms | p50 ≤ 100 ms |`,
  `| GET /v1/diagrams/{id}/revisions, 1,000 revisions, 20 a page | first page p50 ${r.first_page.p50_ms} ms, p99 ${r.first_page.p99_ms} ms; page at 500 p50 ${r.middle_page.p50_ms} ms, p99 ${r.middle_page.p99_ms} ms | p99 ≤ 20 ms |`,
  `| 200 at once, one generation worker | ${b1.succeeded}/200 succeeded, quota ${b1.quota_spent}, ${b1.per_second}/s (${b1.wall_ms} ms) | all succeed, quota exact |`,
  `| 200 at once, two generation workers | ${b2.succeeded}/200 succeeded, quota ${b2.quota_spent}, ${b2.per_second}/s (${b2.wall_ms} ms) | |`,
].join('\n'));
process.exit(0);
