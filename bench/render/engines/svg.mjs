// The SVG engine's bench sample (about 20 elements) and its cold baseline: a fresh Node process
// that loads the engine (svgo) and renders one drawing, as a per-file CLI tool would.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const boxes = ['Browser', 'CDN', 'Gateway', 'Render worker', 'Generation worker', 'Postgres', 'Redis'];
export const SAMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Exported by a drawing tool -->
<svg xmlns="http://www.w3.org/2000/svg" width="760" height="220" viewBox="0 0 760 220">
  <defs><marker id="a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#334155"/></marker></defs>
  <rect x="0" y="0" width="760" height="220" fill="#ffffff"/>
${boxes.map((label, i) => `  <g><rect x="${10 + i * 106}" y="80" width="92" height="44" rx="8" fill="#e0f2fe" stroke="#0369a1"/><text x="${56 + i * 106}" y="106" font-family="Noto Sans" font-size="11" text-anchor="middle">${label}</text></g>`).join('\n')}
${boxes.slice(1).map((_, i) => `  <line x1="${102 + i * 106}" y1="102" x2="${114 + i * 106}" y2="102" stroke="#334155" marker-end="url(#a)"/>`).join('\n')}
  <text x="380" y="40" font-family="Noto Sans" font-size="16" text-anchor="middle">Request path</text>
</svg>`;

const SCRIPT = `
const { SvgEngine } = require(${JSON.stringify(join(ROOT, 'dist/libs/rendering/src/svg/svg-engine.js'))});
const { THEME_DEFINITIONS } = require(${JSON.stringify(join(ROOT, 'dist/libs/rendering/src/themes.js'))});
let source = '';
process.stdin.on('data', (chunk) => (source += chunk)).on('end', async () => {
  const result = await new SvgEngine().render(source, THEME_DEFINITIONS.light);
  if (!result.ok) { console.error(result.error.message); process.exit(1); }
  process.stdout.write(result.value.svg);
});`;

/** One drawing rendered by a process started for it; returns the wall time in ms. */
export async function coldRender(source) {
  const start = performance.now();
  const run = spawnSync(process.execPath, ['-e', SCRIPT], { input: source });
  if (run.status !== 0) throw new Error(`cold SVG render failed: ${run.stderr}`);
  return performance.now() - start;
}
