// The BPMN engine's bench sample (the corpus's order process: 14 shapes, 14 flows, with DI) and
// its cold baseline: a fresh Chromium launched for one diagram, its page set up with bpmn-js, one
// render, then closed, as a per-file CLI tool would.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(import.meta.url);

export const SAMPLE = readFileSync(join(ROOT, 'libs/rendering/test/corpus/bpmn/order-process.bpmn'), 'utf8');

/** One diagram rendered in a browser started for it; returns the wall time in ms. */
export async function coldRender(source) {
  const { BrowserPool } = require(join(ROOT, 'dist/libs/rendering/src/browser/browser-pool.js'));
  const { BpmnEngine, setupBpmnPage } = require(join(ROOT, 'dist/libs/rendering/src/bpmn/bpmn-engine.js'));
  const { THEME_DEFINITIONS } = require(join(ROOT, 'dist/libs/rendering/src/themes.js'));
  const start = performance.now();
  const pool = new BrowserPool({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    size: 1,
    maxRendersPerPage: 10,
    maxRendersPerBrowser: 10,
    kinds: { bpmn: { setup: setupBpmnPage, eager: true } },
  });
  try {
    await pool.start();
    const result = await new BpmnEngine(pool, 30_000).render(source, THEME_DEFINITIONS.light);
    if (!result.ok) throw new Error(`cold BPMN render failed: ${result.error.message}`);
  } finally {
    await pool.close();
  }
  return performance.now() - start;
}
