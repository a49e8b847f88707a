// npm run bench:gateway — throughput and latency of the gateway on this machine.
//
// Starts the built gateway as its own process (as in production) against a fresh Postgres schema and
// Redis prefix, creates a key and a diagram, then drives two routes with autocannon from this process
// (so the load generator shares the machine's cores with the gateway, as the issue asks):
//   1. GET /api/v1/diagrams/{id}  auth + scope + rate limit + a Postgres read
//   2. GET /api/v1/me             auth + rate limit only: the gateway's own overhead
// The per-key limit is raised so that every request takes the full rate-limit path and passes.
// BENCH_DURATION, BENCH_CONNECTIONS, BENCH_ROUTES and BENCH_PROFILE adjust a run.
// Writes bench/gateway/results.json and prints a Markdown table for bench/RESULTS.md.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DURATION = Number(process.env.BENCH_DURATION ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const PORT = Number(process.env.BENCH_PORT ?? 3999);
const base = new URL(process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/flowsmith_bench');
const schema = `bench_${Date.now().toString(36)}`;
const redisPrefix = `bench:${schema}:`;

async function admin(sql, database = 'postgres') {
  const client = new pg.Client({ connectionString: new URL(`/${database}`, base).toString() });
  await client.connect();
  try { return await client.query(sql); } finally { await client.end(); }
}

const dbName = base.pathname.slice(1);
const exists = await admin(`SELECT 1 FROM pg_database WHERE datname = '${dbName}'`);
if (!exists.rowCount) await admin(`CREATE DATABASE "${dbName}"`);
const databaseUrl = new URL(base);
databaseUrl.searchParams.set('schema', schema);
const env = {
  ...process.env,
  DATABASE_URL: databaseUrl.toString(),
  REDIS_PREFIX: redisPrefix,
  PORT: String(PORT),
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  NODE_ENV: 'production',
  READY_REQUIRES_WORKERS: 'false',
  RATE_LIMIT_PER_KEY: '1000000000',
};
execFileSync(resolve(ROOT, 'node_modules/.bin/prisma'), ['migrate', 'deploy'], { cwd: ROOT, env, stdio: 'ignore' });
const secret = execFileSync('node', [resolve(ROOT, 'dist/apps/gateway/src/key-command.js'), 'create', '--name', 'bench'], { cwd: ROOT, env })
  .toString().trim().split('\n').pop();

// BENCH_PROFILE=DIR writes the gateway's V8 CPU profile there (summarise it with profile-summary.mjs).
const nodeFlags = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
const gateway = spawn('node', [...nodeFlags, resolve(ROOT, 'dist/apps/gateway/src/main.js')], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
const url = `http://127.0.0.1:${PORT}`;
for (let i = 0; ; i++) {
  try { if ((await fetch(`${url}/healthz`)).ok) break; } catch { /* not yet */ }
  if (i > 100) throw new Error('gateway did not start');
  await new Promise((r) => setTimeout(r, 100));
}
const headers = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
const created = await (await fetch(`${url}/api/v1/diagrams`, { method: 'POST', headers, body: JSON.stringify({ name: 'Bench', source: 'flowchart TD\n A-->B\n B-->C' }) })).json();

function run(title, path) {
  return new Promise((resolvePromise, reject) => {
    autocannon({ url: url + path, headers, connections: CONNECTIONS, duration: DURATION, pipelining: 1 }, (error, result) => {
      if (error) return reject(error);
      resolvePromise({
        title, path,
        requests_per_second: Math.round(result.requests.average),
        p50_ms: result.latency.p50, p90_ms: result.latency.p90, p99_ms: result.latency.p99, max_ms: result.latency.max,
        total: result.requests.total, non_2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts,
      });
    });
  });
}

// Warm up (JIT, key cache, connection pools), then measure.
await run('warm-up', '/api/v1/me');
// BENCH_ROUTES=diagram or =me measures one route only (e.g. for a profile of one).
const only = process.env.BENCH_ROUTES;
const results = [];
if (!only || only === 'diagram') results.push(await run('GET /api/v1/diagrams/{id} (auth, scope, rate limit, Postgres)', `/api/v1/diagrams/${created.id}`));
if (!only || only === 'me') results.push(await run('GET /api/v1/me (auth and rate limit only)', '/api/v1/me'));
const exited = new Promise((r) => gateway.once('exit', r));
gateway.kill('SIGTERM');
await exited;
await admin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`, dbName);

const meta = { date: new Date().toISOString(), cpus: (await import('node:os')).cpus().length, node: process.version, connections: CONNECTIONS, duration_s: DURATION };
writeFileSync(resolve(ROOT, 'bench/gateway/results.json'), JSON.stringify({ meta, results }, null, 2) + '\n');
console.log(`\n${meta.date}, ${meta.cpus} cores, Node ${meta.node}, ${CONNECTIONS} connections, ${DURATION} s per route\n`);
console.log('| route | req/s | p50 ms | p90 ms | p99 ms | non-2xx | errors |');
console.log('|---|---|---|---|---|---|---|');
for (const r of results) console.log(`| ${r.title} | ${r.requests_per_second} | ${r.p50_ms} | ${r.p90_ms} | ${r.p99_ms} | ${r.non_2xx} | ${r.errors + r.timeouts} |`);
process.exit(0);
