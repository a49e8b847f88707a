// node bench/render/filter-bomb.mjs — what issue 13's filter bomb costs another tenant, at the
// worker's Renderer (dist/, run `npm run build` first): a second tenant renders distinct 10-node
// flowcharts to PNG one after another, alone and then while an attacker keeps one bomb in flight
// at all times (the red-team's 4000 and 8000 px feTurbulence bombs, refused before drawing, and a
// variant under the static limits that draws until its raster process is killed at the deadline).
// Env: BENCH_RENDERS (default 60 per phase), BENCH_PAGES (default 2), BENCH_DEADLINE_MS (default 4000).
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flowchart10 } from './diagrams.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const { Renderer } = require(join(ROOT, 'dist/libs/rendering/src/index.js'));
const RENDERS = Number(process.env.BENCH_RENDERS ?? 60);
const PAGES = Number(process.env.BENCH_PAGES ?? 2);
const DEADLINE_MS = Number(process.env.BENCH_DEADLINE_MS ?? 4000);

const bomb = (side) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}"><filter id="t"><feTurbulence baseFrequency="0.05" numOctaves="200"/></filter><rect width="100%" height="100%" filter="url(#t)"/></svg>`;
const slowBomb = (seed) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="1000"><!-- ${seed} --><filter id="t"><feTurbulence baseFrequency="0.05" numOctaves="4"/></filter>${'<rect width="100%" height="100%" filter="url(#t)"/>'.repeat(150)}</svg>`;
const png = (source, sourceFormat) => ({ source, sourceFormat, theme: 'light', format: 'png', scale: 1, watermark: false });
const pct = (values, q) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];

async function tenant(renderer, phase) {
  const times = [];
  let failed = 0;
  for (let i = 0; i < RENDERS; i++) {
    const started = performance.now();
    const outcome = await renderer.render(png(flowchart10(`${phase}-${i}-${Date.now()}`), 'mermaid'));
    times.push(performance.now() - started);
    if (!outcome.ok) failed++;
  }
  return { renders: RENDERS, failed, p50: Math.round(pct(times, 0.5)), p99: Math.round(pct(times, 0.99)), max: Math.round(Math.max(...times)) };
}

const renderer = new Renderer({ chromiumPath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', pages: PAGES, maxRendersPerPage: 500, maxRendersPerBrowser: 5000, renderTimeoutMs: 8000 });
await renderer.start();
for (let i = 0; i < 10; i++) await renderer.render(png(flowchart10(`warm-${i}`), 'mermaid'));

const alone = await tenant(renderer, 'alone');
let attacking = true;
const bombs = { refused: 0, timedOut: 0, other: 0, refusedMs: [], timedOutMs: [] };
const attacker = (async () => {
  for (let i = 0; attacking; i++) {
    const source = i % 3 === 2 ? slowBomb(i) : bomb(i % 3 === 0 ? 4000 : 8000);
    const started = performance.now();
    // A free key's image route: the best-effort lane, as the gateway routes it.
    const outcome = await renderer.render(png(source, 'svg'), { deadline: Date.now() + DEADLINE_MS, bestEffort: true });
    const ms = performance.now() - started;
    if (!outcome.ok && outcome.error.code === 'output_too_large') (bombs.refused++, bombs.refusedMs.push(ms));
    else if (!outcome.ok && outcome.error.code === 'render_timeout') (bombs.timedOut++, bombs.timedOutMs.push(ms));
    else bombs.other++;
  }
})();
const attacked = await tenant(renderer, 'attacked');
attacking = false;
await attacker;
await renderer.close();

const result = {
  date: new Date().toISOString(),
  pages: PAGES,
  deadlineMs: DEADLINE_MS,
  alone,
  attacked,
  bombs: { refused: bombs.refused, refusedP50Ms: Math.round(pct(bombs.refusedMs, 0.5)), timedOut: bombs.timedOut, timedOutP50Ms: Math.round(pct(bombs.timedOutMs, 0.5)), other: bombs.other, rasterKills: renderer.rasterBestEffort.kills },
};
console.log(JSON.stringify(result, null, 2));
