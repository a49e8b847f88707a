// The mermaid.ink route (`/ink`, apps/gateway/src/compat/) against mermaid.ink itself
// (github jihchi/mermaid.ink: Koa + Puppeteer, one page per render) run on the same machine, on the
// same 50 diagrams (MIXED_50), to SVG and to PNG, one request at a time, cache missed on both sides;
// and, for Flowsmith only, a cached `GET /kroki/mermaid/svg/{encoded}` and `GET /ink/svg/{encoded}`
// (and the API's image route, given a key) one at a time and under load (autocannon).
//
// Used by run.mjs (BENCH_ONLY=ink), or on its own against servers already running:
//   FLOWSMITH_URL=http://127.0.0.1:3000 MERMAID_INK_URL=http://127.0.0.1:3900 node bench/render/ink.mjs
//
// mermaid.ink is not part of this repository. To run it here (Node 20, Debian's Chromium):
//   fetch the repository into /tmp/mermaid-ink, then
//   cd /tmp/mermaid-ink && PUPPETEER_SKIP_DOWNLOAD=1 npm install --omit=dev --engine-strict=false
//   PORT=3900 CI=true PUPPETEER_EXECUTABLE_PATH=/usr/bin/chromium QUEUE_ADD_TIMEOUT=30000 node src/index.js
// (its package.json asks for Node 22 and pnpm; npm and Node 20 run it. CI=true is what makes it
// pass --no-sandbox to Chromium, which root needs. Stop it with SIGINT: on SIGTERM it relaunches
// Chromium and keeps running. startMermaidInk() below does the last line.)
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import autocannon from 'autocannon';
import { flowchart10, MIXED_50 } from './diagrams.mjs';

const pct = (values, p) => {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 10) / 10;
};
const ratio = (a, b) => (a == null || b == null || !b ? null : Math.round((a / b) * 100) / 100);

/** What mermaid's live editor writes into a mermaid.ink link: `pako:` + base64url of the deflated JSON state. */
export function inkEncode(code, theme = 'default') {
  const state = JSON.stringify({ code, mermaid: JSON.stringify({ theme }, null, 2), autoSync: true, updateDiagram: true });
  return `pako:${deflateSync(Buffer.from(state, 'utf8'), { level: 9 }).toString('base64url')}`;
}

/** Kroki's GET: the source zlib-deflated, base64url. */
export function krokiEncode(source) {
  return deflateSync(Buffer.from(source, 'utf8'), { level: 9 }).toString('base64url');
}

/** One GET over `agent`: status, body, content type and the wall time in ms. */
function get(url, agent, headers = {}, timeoutMs = 60_000) {
  return new Promise((ok, fail) => {
    const start = performance.now();
    const req = httpRequest(url, { agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => ok({ status: res.statusCode, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks), ms: performance.now() - start }));
      res.on('error', fail);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', fail).end();
  });
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

/** Why an answer is not the picture asked for, or null when it is. */
function wrongAnswer(answer, format) {
  if (answer.status !== 200) return `${answer.status}: ${answer.body.toString('utf8').slice(0, 200).replace(/\s+/g, ' ')}`;
  if (format === 'svg' && !answer.body.subarray(0, 4096).toString('utf8').includes('<svg')) return `200 but not SVG (${answer.type})`;
  if (format === 'png' && !answer.body.subarray(0, 4).equals(PNG_MAGIC)) return `200 but not PNG (${answer.type})`;
  return null;
}

/** Strip a trailing `/ink` (or `/`) so that both `http://host:3000` and `http://host:3000/ink` name the gateway. */
function gatewayBase(url) {
  return url.replace(/\/+$/, '').replace(/\/ink$/, '');
}

/**
 * Measures the two servers and returns the figures.
 * - `flowsmithUrl`: the gateway (`http://host:port`; `/ink` at its end is accepted), its compat routes open.
 * - `mermaidInkUrl`: mermaid.ink's root (`/svg/...`, `/img/...`).
 * - `diagrams` (first n of MIXED_50, default 50), `rounds` over them (default 1), `warm` renders per
 *   side and format before timing (default 3).
 * - `connections`, `loadSeconds`: autocannon on the cached routes (64, 10 s); `hitWarm`, `hitSequential`:
 *   requests of a cached route before timing (500, as api() warms its route) and timed one at a time (300).
 * - `apiKey`: when given, the API's image route of a stored diagram is measured the same way, alongside.
 * - `mermaidInkVersion`: a label for the table (the server does not tell its version).
 */
export async function inkVsMermaidInk({
  flowsmithUrl,
  mermaidInkUrl,
  diagrams = 50,
  rounds = 1,
  warm = 3,
  connections = 64,
  loadSeconds = 10,
  hitWarm = 500,
  hitSequential = 300,
  apiKey,
  mermaidInkVersion,
  log = (...args) => console.error(...args),
} = {}) {
  if (!flowsmithUrl || !mermaidInkUrl) throw new Error('inkVsMermaidInk needs flowsmithUrl and mermaidInkUrl');
  const base = gatewayBase(flowsmithUrl);
  const inkBase = mermaidInkUrl.replace(/\/+$/, '');
  const sides = {
    flowsmith: { agent: new Agent({ keepAlive: true, maxSockets: 1 }), path: (format, encoded) => `${base}/ink/${format === 'svg' ? 'svg' : 'img'}/${encoded}${format === 'svg' ? '' : `?type=${format}`}` },
    mermaid_ink: { agent: new Agent({ keepAlive: true, maxSockets: 1 }), path: (format, encoded) => `${inkBase}/${format === 'svg' ? 'svg' : 'img'}/${encoded}${format === 'svg' ? '' : `?type=${format}`}` },
  };
  const names = Object.keys(sides);
  // Distinct per run (and per format), so that no cache on either side answers: Flowsmith's render
  // cache outlives a gateway, and the picture of a source is cached per format.
  const runId = Date.now().toString(36);
  const count = Math.max(1, Math.min(MIXED_50.length, diagrams));
  const results = {
    meta: { run: runId, diagrams: count, rounds, flowsmith: base, mermaid_ink: inkBase, mermaid_ink_version: mermaidInkVersion ?? null },
    cache_missed: {},
    failures: [],
  };

  try {
    for (const format of ['svg', 'png']) {
      for (let i = 0; i < warm; i++) {
        const encoded = inkEncode(flowchart10(`ink-warm-${runId}-${format}-${i}`));
        for (const name of names) {
          const answer = await get(sides[name].path(format, encoded), sides[name].agent);
          const wrong = wrongAnswer(answer, format);
          if (wrong) throw new Error(`${name} ${format} warm-up render failed: ${wrong}`);
        }
      }
      // One request at a time, the two sides interleaved diagram by diagram, so that whatever else the
      // machine does falls on both alike. A diagram that fails on either side is left out of both.
      const samples = [];
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < count; i++) {
          const encoded = inkEncode(`${MIXED_50[i]}\n%% run ${runId} ${format} ${r}`);
          const sample = {};
          for (const name of names) {
            let answer;
            try {
              answer = await get(sides[name].path(format, encoded), sides[name].agent);
            } catch (error) {
              answer = { status: 0, type: '', body: Buffer.from(String(error.message)), ms: 0 };
            }
            const wrong = wrongAnswer(answer, format);
            if (wrong) results.failures.push({ side: name, format, diagram: i, round: r, error: wrong });
            else sample[name] = { ms: answer.ms, bytes: answer.body.length };
          }
          if (names.every((name) => sample[name])) samples.push(sample);
        }
      }
      const times = Object.fromEntries(names.map((name) => [name, samples.map((s) => s[name].ms)]));
      const bytes = Object.fromEntries(names.map((name) => [name, samples.map((s) => s[name].bytes)]));
      const row = {};
      for (const name of names) {
        const t = times[name];
        row[name] = {
          p50_ms: pct(t, 50),
          p95_ms: pct(t, 95),
          mean_ms: t.length ? Math.round((t.reduce((a, b) => a + b, 0) / t.length) * 10) / 10 : null,
          total_ms: Math.round(t.reduce((a, b) => a + b, 0)),
          n: t.length,
          bytes_p50: pct(bytes[name], 50),
        };
      }
      // How many times longer mermaid.ink takes than Flowsmith (> 1: Flowsmith is faster).
      row.mermaid_ink_over_flowsmith = { p50: ratio(row.mermaid_ink.p50_ms, row.flowsmith.p50_ms), p95: ratio(row.mermaid_ink.p95_ms, row.flowsmith.p95_ms) };
      results.cache_missed[format] = row;
      log(`ink ${format}`, JSON.stringify(row));
    }
  } finally {
    for (const side of Object.values(sides)) side.agent.destroy();
  }
  if (results.failures.length) log('ink failures', JSON.stringify(results.failures.slice(0, 10)));

  // Cached routes, Flowsmith only: the same 10-node flowchart (the api() section's hit diagram) by
  // Kroki's GET and by mermaid.ink's (both render it as light/svg, so they share one cache entry),
  // and the API's own image route when a key is given.
  const hitSource = flowchart10(`hit-${runId}`);
  const routes = {
    kroki_svg: { url: `${base}/kroki/mermaid/svg/${krokiEncode(hitSource)}`, headers: {} },
    ink_svg: { url: `${base}/ink/svg/${inkEncode(hitSource)}`, headers: {} },
  };
  if (apiKey) {
    const headers = { authorization: `Bearer ${apiKey}` };
    const created = await fetch(`${base}/api/v1/diagrams`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench ink', source: hitSource }) });
    if (created.status !== 201 && created.status !== 200) throw new Error(`creating the image route's diagram: ${created.status} ${await created.text()}`);
    const diagram = await created.json();
    routes.image_svg = { url: `${base}/api/v1/diagrams/${diagram.id}/image?format=svg`, headers };
  }
  results.cache_hit = {};
  for (const [name, route] of Object.entries(routes)) results.cache_hit[name] = await cachedRoute(route, { hitWarm, hitSequential, connections, loadSeconds, log: (row) => log(`ink cache hit ${name}`, JSON.stringify(row)) });
  return results;
}

/** A cached GET: one first request (the render), `hitWarm` more, `hitSequential` timed over one kept-alive socket, then autocannon. */
async function cachedRoute({ url, headers }, { hitWarm, hitSequential, connections, loadSeconds, log }) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const times = [];
  try {
    const first = await get(url, agent, headers);
    const wrong = wrongAnswer(first, 'svg');
    if (wrong) throw new Error(`${url.slice(0, 80)}...: ${wrong}`);
    for (let i = 0; i < hitWarm; i++) await get(url, agent, headers);
    for (let i = 0; i < hitSequential; i++) {
      const answer = await get(url, agent, headers);
      if (answer.status !== 200) throw new Error(`cached ${url.slice(0, 80)}... answered ${answer.status}`);
      times.push(answer.ms);
    }
  } finally {
    agent.destroy();
  }
  const load = await new Promise((ok, fail) => autocannon({ url, headers, connections, duration: loadSeconds }, (e, r) => (e ? fail(e) : ok(r))));
  const row = {
    sequential_node_http: { p50_ms: pct(times, 50), p99_ms: pct(times, 99), n: times.length },
    load: { connections, seconds: loadSeconds, requests_per_second: Math.round(load.requests.average), p50_ms: load.latency.p50, p99_ms: load.latency.p99, non_2xx: load.non2xx, errors: load.errors },
  };
  log(row);
  return row;
}

/**
 * Starts mermaid.ink from an installed copy (`dir`: its repository with node_modules) on `port`,
 * with Debian's Chromium, and waits until it renders. Returns { url, version, mermaid, close }.
 */
export async function startMermaidInk(dir, { port = 3900, chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', log = (...args) => console.error(...args) } = {}) {
  const root = resolve(dir);
  if (!existsSync(join(root, 'node_modules/puppeteer/package.json'))) {
    throw new Error(`no installed mermaid.ink in ${root}: fetch its repository there, then PUPPETEER_SKIP_DOWNLOAD=1 npm install --omit=dev --engine-strict=false (bench/render/ink.mjs)`);
  }
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const mermaidVersion = JSON.parse(readFileSync(join(root, 'node_modules/mermaid/package.json'), 'utf8')).version;
  const entry = join(root, pkg.main ?? 'src/index.js');
  const child = spawn(process.execPath, [entry], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      // Its puppeteer.launch() names no executable: puppeteer takes it from here.
      PUPPETEER_EXECUTABLE_PATH: chromiumPath,
      PUPPETEER_SKIP_DOWNLOAD: '1',
      // app.js adds --no-sandbox, --no-zygote and --disable-setuid-sandbox only under CI (root needs them).
      CI: 'true',
      // Its queue refuses (503) a render that waits or runs over 3 s; one at a time none should, but a
      // busy machine must not turn a slow render into a failure.
      QUEUE_ADD_TIMEOUT: '30000',
      ENABLE_DATABASE: 'false',
      DEBUG: '',
    },
    // It launches Chromium with dumpio: Chromium's stderr comes through its own; kept for errors only.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-4000); });
  let exited = null;
  child.once('exit', (code, signal) => { exited = `exited with ${code ?? signal}`; });
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (exited) return;
    // SIGINT: puppeteer's handler kills Chromium and exits. On SIGTERM it only closes the browser,
    // and mermaid.ink's 'disconnected' handler launches a new one: the server never stops.
    child.kill('SIGINT');
    await new Promise((r) => { const t = setTimeout(() => { child.kill('SIGKILL'); r(); }, 5000); child.once('exit', () => { clearTimeout(t); r(); }); });
  };
  try {
    // It listens only once Chromium is up.
    for (let i = 0; ; i++) {
      if (exited) throw new Error(`mermaid.ink ${exited}: ${stderr.slice(-1500)}`);
      try { if ((await fetch(`${url}/`)).ok) break; } catch { /* not yet */ }
      if (i > 600) throw new Error(`mermaid.ink not listening on ${port} after 60 s: ${stderr.slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const probe = await get(`${url}/svg/${inkEncode('graph TD\n  Warm --> Up')}`, undefined);
    const wrong = wrongAnswer(probe, 'svg');
    if (wrong) throw new Error(`mermaid.ink does not render: ${wrong}; ${stderr.slice(-1500)}`);
  } catch (error) {
    await close();
    throw error;
  }
  log(`mermaid.ink ${pkg.version} (mermaid ${mermaidVersion}) on ${url}, pid ${child.pid}`);
  return { url, version: pkg.version, mermaid: mermaidVersion, pid: child.pid, close };
}

/** Table rows in run.mjs's style. */
export function inkRows(r) {
  const lines = [];
  const m = r.meta;
  for (const [format, label] of [['svg', 'SVG'], ['png', 'PNG']]) {
    const row = r.cache_missed?.[format];
    if (!row) continue;
    const f = row.flowsmith;
    const k = row.mermaid_ink;
    lines.push(
      `| mermaid.ink route, ${m.diagrams} mixed diagrams${m.rounds > 1 ? ` × ${m.rounds}` : ''} → ${label}, one at a time, cache missed: Flowsmith \`/ink\` / mermaid.ink ${m.mermaid_ink_version ?? ''} | p50 ${f.p50_ms} / ${k.p50_ms} ms (${row.mermaid_ink_over_flowsmith.p50}×), p95 ${f.p95_ms} / ${k.p95_ms} ms (${row.mermaid_ink_over_flowsmith.p95}×) | side by side |`,
    );
  }
  if (r.failures?.length) lines.push(`| mermaid.ink comparison: failed requests (not timed) | ${r.failures.length}: ${[...new Set(r.failures.map((x) => `${x.side} ${x.format}`))].join(', ')} | 0 |`);
  const names = { kroki_svg: '`GET /kroki/mermaid/svg/…`', ink_svg: '`GET /ink/svg/…`', image_svg: 'API image route (`GET /api/v1/diagrams/{id}/image`, with a key)' };
  for (const [name, hit] of Object.entries(r.cache_hit ?? {})) {
    lines.push(
      `| ${names[name] ?? name}, cache hit, one at a time (node:http) | p50 ${hit.sequential_node_http.p50_ms} ms, p99 ${hit.sequential_node_http.p99_ms} ms | p50 ≤ 5 ms |`,
      `| ${names[name] ?? name}, cache hit under load (${hit.load.connections} connections, ${hit.load.seconds} s) | ${hit.load.requests_per_second} req/s, p50 ${hit.load.p50_ms} ms, p99 ${hit.load.p99_ms} ms${hit.load.non_2xx || hit.load.errors ? `, ${hit.load.non_2xx} non-2xx, ${hit.load.errors} errors` : ''} | ≥ 1,500 req/s |`,
    );
  }
  return lines;
}

// On its own: FLOWSMITH_URL and MERMAID_INK_URL (or MERMAID_INK_DIR to start it), the same BENCH_INK_* counts as run.mjs.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let started;
  try {
    let mermaidInkUrl = process.env.MERMAID_INK_URL;
    if (!mermaidInkUrl && process.env.MERMAID_INK_DIR) {
      started = await startMermaidInk(process.env.MERMAID_INK_DIR, { port: Number(process.env.MERMAID_INK_PORT ?? 3900) });
      mermaidInkUrl = started.url;
    }
    const results = await inkVsMermaidInk({ flowsmithUrl: process.env.FLOWSMITH_URL ?? 'http://127.0.0.1:3000', mermaidInkUrl, ...inkOptionsFromEnv(), apiKey: process.env.FLOWSMITH_API_KEY, mermaidInkVersion: started && `${started.version} (mermaid ${started.mermaid})` });
    console.log(JSON.stringify(results, null, 2));
    console.log(inkRows(results).join('\n'));
  } finally {
    await started?.close();
  }
}

/** BENCH_INK_DIAGRAMS, BENCH_INK_ROUNDS, BENCH_INK_SECONDS, BENCH_INK_CONNECTIONS, BENCH_INK_HIT_WARM, BENCH_INK_HITS. */
export function inkOptionsFromEnv(env = process.env) {
  const options = {};
  for (const [name, key] of [['BENCH_INK_DIAGRAMS', 'diagrams'], ['BENCH_INK_ROUNDS', 'rounds'], ['BENCH_INK_SECONDS', 'loadSeconds'], ['BENCH_INK_CONNECTIONS', 'connections'], ['BENCH_INK_HIT_WARM', 'hitWarm'], ['BENCH_INK_HITS', 'hitSequential']]) {
    if (env[name]) options[key] = Number(env[name]);
  }
  return options;
}
