// node bench/gateway/hostile.mjs — what hostile bodies and connections cost the gateway (issue 13, items 3 and 4).
//
// Starts the built gateway as its own process against a fresh Postgres schema and Redis prefix and measures:
//   A. a 940 KB body with 60,000 keys sent anonymously to POST /api/v1/beautify: the time to the refusal,
//      five in a row (one connection each), then /healthz latency polled every 25 ms while five are sent
//      within a second (the attack of the issue: "five in five seconds made /healthz take 5.3 s");
//   B. a POST that promises 1000 bytes and sends 8: how long the gateway holds it (capped at BENCH_SLOW_CAP_S);
//   C. 400 idle connections opened at once from one address: how many the gateway keeps open.
// BENCH_ROOT runs another build (e.g. an export of the old commit, for a before/after); BENCH_PROFILE=DIR
// writes the gateway's V8 CPU profile (summarise it with bench/gateway/profile-summary.mjs).
// Writes bench/gateway/hostile-results.json (or BENCH_OUT) and prints Markdown rows for bench/RESULTS.md.
import { execFileSync, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { benchDatabase } from '../bench-database.mjs';

const HERE = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ROOT = resolve(process.env.BENCH_ROOT ?? HERE);
const PORT = Number(process.env.BENCH_PORT ?? 3998);
const SLOW_CAP_S = Number(process.env.BENCH_SLOW_CAP_S ?? 90);
// The gateway's own default unless the caller's environment sets it (GatewayEnv).
const PER_IP = process.env.HTTP_MAX_CONNECTIONS_PER_IP ?? '256';
const OUT = process.env.BENCH_OUT ?? resolve(HERE, 'bench/gateway/hostile-results.json');

const { base, schema, dbUrl } = await benchDatabase('hostile');
const env = {
  ...process.env,
  DATABASE_URL: dbUrl.toString(),
  REDIS_PREFIX: `bench:${schema}:`,
  PORT: String(PORT),
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  NODE_ENV: 'production',
  READY_REQUIRES_WORKERS: 'false',
  // The attack stays within the default 20/min; raised so that repeated runs never meet 429 instead of the parser.
  RATE_LIMIT_ANONYMOUS: '1000000',
};
execFileSync(resolve(ROOT, 'node_modules/.bin/prisma'), ['migrate', 'deploy'], { cwd: ROOT, env, stdio: 'ignore' });
const nodeFlags = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
let stderrLines = 0;
const gateway = spawn('node', [...nodeFlags, resolve(ROOT, 'dist/apps/gateway/src/main.js')], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
gateway.stderr.on('data', (chunk) => { stderrLines += String(chunk).split('\n').length - 1; });
const url = `http://127.0.0.1:${PORT}`;
for (let i = 0; ; i++) {
  try { if ((await fetch(`${url}/healthz`)).ok) break; } catch { /* not yet */ }
  if (i > 150) throw new Error('gateway did not start');
  await new Promise((r) => setTimeout(r, 100));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (values, p) => { const s = [...values].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]; };
const round = (ms) => Math.round(ms * 10) / 10;

/** 60,000 keys of 16 bytes each ("k_000000":"ab",) around a valid beautify body: 940 KB. */
function manyKeysBody() {
  const parts = ['{"source":"flowchart TD\\n A-->B","source_format":"mermaid"'];
  for (let i = 0; i < 60_000; i++) parts.push(`,"k_${String(i).padStart(6, '0')}":"ab"`);
  return Buffer.from(parts.join('') + '}');
}
const BODY = manyKeysBody();

/** One request on its own connection; resolves with the status, the error code and the time to the full answer. */
function post(body, path = '/api/v1/beautify') {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const req = request(`${url}${path}`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        let code = null;
        try { code = JSON.parse(Buffer.concat(chunks).toString()).error?.code ?? null; } catch { /* not JSON */ }
        resolvePromise({ status: res.statusCode, code, ms: performance.now() - started });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function healthz() {
  const started = performance.now();
  const res = await fetch(`${url}/healthz`);
  await res.arrayBuffer();
  return performance.now() - started;
}

// ---- A. the many-keys body ----
await post(BODY); // warm-up: JIT and the route's first use
const refusals = [];
for (let i = 0; i < 5; i++) refusals.push(await post(BODY));
const quiet = [];
for (let i = 0; i < 20; i++) { quiet.push(await healthz()); await sleep(10); }

const during = [];
let polling = true;
const poller = (async () => {
  while (polling) { during.push(await healthz()); await sleep(25); }
})();
const attackStarted = performance.now();
const attack = [];
for (let i = 0; i < 5; i++) { attack.push(post(BODY)); await sleep(200); }
const attackResults = await Promise.all(attack);
const attackMs = performance.now() - attackStarted;
await sleep(100);
polling = false;
await poller;

const many = {
  body_bytes: BODY.length,
  keys: 60_000,
  answer: `${refusals[0].status} ${refusals[0].code}`,
  refusal_p50_ms: round(percentile(refusals.map((r) => r.ms), 50)),
  refusal_max_ms: round(Math.max(...refusals.map((r) => r.ms))),
  healthz_quiet_p50_ms: round(percentile(quiet, 50)),
  attack_refusals_max_ms: round(Math.max(...attackResults.map((r) => r.ms))),
  attack_total_ms: round(attackMs),
  healthz_during_p50_ms: round(percentile(during, 50)),
  healthz_during_p99_ms: round(percentile(during, 99)),
  healthz_during_max_ms: round(Math.max(...during)),
  healthz_samples: during.length,
};

// ---- B. the slow body ----
const slow = await new Promise((resolvePromise) => {
  const started = performance.now();
  const socket = connect(PORT, '127.0.0.1');
  let answer = '';
  const cap = setTimeout(() => { socket.destroy(); resolvePromise({ held_s: null, capped_at_s: SLOW_CAP_S, answer: null }); }, SLOW_CAP_S * 1000);
  socket.on('data', (c) => { answer += c; });
  socket.on('error', () => {});
  socket.on('close', () => {
    clearTimeout(cap);
    resolvePromise({ held_s: round((performance.now() - started) / 1000), answer: answer.split('\r\n')[0] || '(closed without an answer)' });
  });
  socket.write('POST /api/v1/beautify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"sourc');
});

// ---- C. many idle connections from one address ----
const sockets = [];
let closedByServer = 0;
for (let i = 0; i < 400; i++) {
  await new Promise((resolvePromise) => {
    const socket = connect(PORT, '127.0.0.1', resolvePromise);
    socket.on('error', () => {});
    // Read what the server writes (a 429 over the cap): a paused socket never sees the server's close.
    socket.resume();
    socket.on('close', () => { closedByServer++; });
    sockets.push(socket);
  });
}
await sleep(1000);
const openAfter1s = sockets.length - closedByServer;
const healthzWhileHeld = await healthz().catch(() => null);
for (const socket of sockets) socket.destroy();

const exited = new Promise((r) => gateway.once('exit', r));
gateway.kill('SIGTERM');
await exited;
const admin = new pg.Client({ connectionString: base.toString() });
await admin.connect();
await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
await admin.end();

const meta = { date: new Date().toISOString(), cpus: cpus().length, node: process.version, root: ROOT };
const results = { many_keys: many, slow_body: slow, idle_connections: { opened: 400, open_after_1s: openAfter1s, healthz_ms_while_held: healthzWhileHeld && round(healthzWhileHeld) }, stderr_lines: stderrLines };
writeFileSync(OUT, JSON.stringify({ meta, results }, null, 2) + '\n');
console.log(`\n${meta.date}, ${meta.cpus} cores, Node ${meta.node}, ${ROOT}\n`);
console.log('| measure | value |\n|---|---|');
console.log(`| 60,000-key body (${Math.round(BODY.length / 1024)} KB): answer | ${many.answer} |`);
console.log(`| 60,000-key body: time to the refusal, p50 / max of 5 (target ≤ 50 ms) | ${many.refusal_p50_ms} / ${many.refusal_max_ms} ms |`);
console.log(`| /healthz p50, quiet | ${many.healthz_quiet_p50_ms} ms |`);
console.log(`| /healthz p50 / p99 / max while five are sent within 1 s (${many.healthz_samples} probes) | ${many.healthz_during_p50_ms} / ${many.healthz_during_p99_ms} / ${many.healthz_during_max_ms} ms |`);
console.log(`| POST promising 1000 bytes, sending 8 (HTTP_REQUEST_TIMEOUT_SECONDS ${process.env.HTTP_REQUEST_TIMEOUT_SECONDS ?? 30}): held for | ${slow.held_s === null ? `> ${SLOW_CAP_S} s (still open)` : `${slow.held_s} s, then ${slow.answer}`} |`);
console.log(`| 400 idle connections from one address: open after 1 s (HTTP_MAX_CONNECTIONS_PER_IP ${PER_IP}) | ${openAfter1s} |`);
console.log(`| gateway stderr lines during the run | ${stderrLines} |`);
process.exit(0);
