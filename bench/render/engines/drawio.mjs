// The draw.io engine's bench sample (the corpus's order-fulfilment flowchart: 13 shapes, 12
// edges, 2 edge labels) and its cold baseline: a fresh Chromium launched for one diagram, its page
// set up with mxGraph, one render, then closed, as a per-file CLI exporter would.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(import.meta.url);

export const SAMPLE = readFileSync(join(ROOT, 'libs/rendering/test/corpus/drawio/flowchart.drawio'), 'utf8');

/** One diagram rendered in a browser started for it; returns the wall time in ms. */
export async function coldRender(source) {
  const { BrowserPool } = require(join(ROOT, 'dist/libs/rendering/src/browser/browser-pool.js'));
  const { DrawioEngine, setupDrawioPage } = require(join(ROOT, 'dist/libs/rendering/src/drawio/drawio-engine.js'));
  const { THEME_DEFINITIONS } = require(join(ROOT, 'dist/libs/rendering/src/themes.js'));
  const start = performance.now();
  const pool = new BrowserPool({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    size: 1,
    maxRendersPerPage: 10,
    maxRendersPerBrowser: 10,
    kinds: { drawio: { setup: setupDrawioPage, eager: true } },
  });
  try {
    await pool.start();
    const result = await new DrawioEngine(pool, 30_000).render(source, THEME_DEFINITIONS.light);
    if (!result.ok) throw new Error(`cold draw.io render failed: ${result.error.message}`);
  } finally {
    await pool.close();
  }
  return performance.now() - start;
}
