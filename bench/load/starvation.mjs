// npm run bench:starvation — issue 13's starvation attack, measured: does a second tenant keep its latency?
//
// Starts the built gateway and one render worker (dist/, two pages) against a fresh schema and
// Redis prefix, with the default limits. A premium key (the victim) renders one small unique
// flowchart at a time, first alone (the unloaded figure), then under each attack:
//   anonymous  the red team's attack: one anonymous IP sending a unique 1,999-edge flowchart every 3 s
//   free       a free key keeping 8 unique ~1,000-edge flowcharts (~3 s of Chromium each) in flight
//   premium    the same from another premium key: the victim's own lane, where only the in-flight
//              cap and the heavy-source priority separate them (libs/contracts/src/fairness.ts)
// For each: the victim's p50/p99 and answers other than 200 (lost), the attacker's answers, and how
// long the render queues take to drain after the attack stops (abandoned jobs are skipped, not run).
// Writes bench/load/starvation.json and prints a Markdown table. Env: STARVATION_SECONDS (30).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { benchDatabase } from '../bench-database.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const { bullPrefix, bullConnection } = require(join(ROOT, 'dist/libs/queue/src/redis.js'));
const SECONDS = Number(process.env.STARVATION_SECONDS ?? 30);
const PORT = Number(process.env.STARVATION_PORT ?? 3950);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (n) => Math.round(n);
const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]) : null;
};
const log = (...a) => console.error(...a);

const { schema, dbUrl } = await benchDatabase('starvation');
const redisPrefix = `bench:${schema}:`;
// Keys' rate buckets far above what the victim sends (one render after another); what holds the
// attackers is what ships: in-flight caps, cost units, lanes, priorities, the anonymous limits.
const env = {
  ...process.env, DATABASE_URL: dbUrl.toString(), REDIS_PREFIX: redisPrefix, HOST: '127.0.0.1', PORT: String(PORT), LOG_LEVEL: 'warn', NODE_ENV: 'production', RENDER_PAGES: '2',
  RATE_LIMIT_PER_KEY: '1000000',
};
const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
execFileSync(join(ROOT, 'node_modules/.bin/prisma'), ['migrate', 'deploy'], { cwd: ROOT, env, stdio: 'ignore' });
const key = (plan) =>
  execFileSync('node', [join(ROOT, 'dist/apps/gateway/src/key-command.js'), 'create', '--plan', plan, '--name', `starvation ${plan}`, '--user', `${plan}-${randomBytes(3).toString('hex')}@bench.localhost`], { cwd: ROOT, env })
    .toString().trim().split('\n').pop();
const victimKey = key('premium');
const attackerKeys = { free: key('free'), premium: key('premium') };

const children = [];
const start = (args) => {
  const child = spawn('node', args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
};
start([join(ROOT, 'dist/apps/render-worker/src/main.js')]);
start([join(ROOT, 'dist/apps/gateway/src/main.js')]);
const url = `http://127.0.0.1:${PORT}`;
for (let i = 0; ; i++) {
  try {
    if (((await (await fetch(`${url}/readyz`)).json()).workers?.render ?? 0) >= 1) break;
  } catch { /* not yet */ }
  if (i > 600) throw new Error('gateway not ready');
  await sleep(100);
}

function chain(edges) {
  const tag = randomBytes(4).toString('hex');
  const lines = ['flowchart LR'];
  for (let i = 0; i < edges; i++) lines.push(`  n${i}_${tag} --> n${i + 1}_${tag}`);
  return lines.join('\n');
}
const small = () => {
  const t = randomBytes(4).toString('hex');
  return `flowchart TD\n  A_${t}[Order placed] --> B_${t}{Paid?}\n  B_${t} -->|yes| C_${t}[Ship]`;
};
async function beautify(secret, source) {
  const headers = { 'content-type': 'application/json', ...(secret ? { authorization: `Bearer ${secret}` } : {}) };
  const started = performance.now();
  const response = await fetch(`${url}/api/v1/beautify`, { method: 'POST', headers, body: JSON.stringify({ source, source_format: 'mermaid' }) });
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}

/** The victim: one small render at a time for `seconds`. */
async function victim(seconds) {
  const ms = [];
  const lost = {};
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    const r = await beautify(victimKey, small());
    if (r.status === 200) ms.push(r.ms);
    else lost[r.status] = (lost[r.status] ?? 0) + 1;
  }
  return { renders: ms.length, p50: pct(ms, 50), p99: pct(ms, 99), max: round(Math.max(...ms)), lost };
}

const attacks = {
  // One anonymous IP, one 1,999-edge flowchart every 3 s (within the default 20/min).
  anonymous: (stop, answers) => (async () => {
    while (!stop.done) {
      beautify(undefined, chain(1999)).then((r) => answers.push(r.status));
      await sleep(3000);
    }
  })(),
  free: (stop, answers) => loops(attackerKeys.free, stop, answers),
  premium: (stop, answers) => loops(attackerKeys.premium, stop, answers),
};
function loops(secret, stop, answers) {
  return Promise.all(Array.from({ length: 8 }, async () => {
    while (!stop.done) {
      const r = await beautify(secret, chain(1000));
      answers.push(r.status);
      if (r.status === 429) await sleep(200);
    }
  }));
}

const queues = ['render', 'render-best-effort'].map((name) => new Queue(name, { connection: bullConnection(redisUrl), prefix: bullPrefix(redisPrefix) }));
async function backlog() {
  let total = 0;
  for (const q of queues) {
    const c = await q.getJobCounts('waiting', 'prioritized', 'active');
    total += c.waiting + c.prioritized + c.active;
  }
  return total;
}

await victim(3); // warm-up
const results = { seconds: SECONDS, unloaded: await victim(SECONDS), attacks: {} };
log('unloaded', results.unloaded);
for (const [name, attack] of Object.entries(attacks)) {
  const stop = { done: false };
  const answers = [];
  const running = attack(stop, answers);
  await sleep(2000);
  const v = await victim(SECONDS);
  stop.done = true;
  await running;
  const stopped = Date.now();
  while ((await backlog()) > 0 && Date.now() - stopped < 120_000) await sleep(100);
  const counts = {};
  for (const s of answers) counts[s] = (counts[s] ?? 0) + 1;
  results.attacks[name] = { victim: v, attacker: counts, drained_ms: Date.now() - stopped };
  log(name, results.attacks[name]);
  await sleep(3000);
}

for (const c of children) c.kill('SIGTERM');
await Promise.all(queues.map((q) => q.close()));
writeFileSync(join(ROOT, 'bench/load/starvation.json'), `${JSON.stringify({ at: new Date().toISOString(), ...results }, null, 2)}\n`);

const u = results.unloaded;
console.log(`| attack | victim p50 | victim p99 | victim lost | attacker answers | queues drained after |`);
console.log(`|---|---:|---:|---:|---|---:|`);
console.log(`| none | ${u.p50} ms | ${u.p99} ms | ${Object.values(u.lost).reduce((a, b) => a + b, 0)} | — | — |`);
for (const [name, r] of Object.entries(results.attacks)) {
  const lost = Object.values(r.victim.lost).reduce((a, b) => a + b, 0);
  console.log(`| ${name} | ${r.victim.p50} ms | ${r.victim.p99} ms | ${lost} | ${Object.entries(r.attacker).map(([s, n]) => `${n}× ${s}`).join(', ')} | ${(r.drained_ms / 1000).toFixed(1)} s |`);
}
process.exit(0);
