// The cold baseline of the browser engines: a fresh Chromium launched for one diagram, its page set
// up with the engine's scripts, one render, then closed, as a per-file exporter would.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(import.meta.url);

/** Renders `source` with the engine in dist/libs/rendering/src/<kind>/<kind>-engine.js; returns the wall time in ms. */
export async function coldBrowserRender(kind, engineName, setupName, source) {
  const { BrowserPool } = require(join(ROOT, 'dist/libs/rendering/src/browser/browser-pool.js'));
  const engineModule = require(join(ROOT, `dist/libs/rendering/src/${kind}/${kind}-engine.js`));
  const { THEME_DEFINITIONS } = require(join(ROOT, 'dist/libs/rendering/src/themes.js'));
  const start = performance.now();
  const pool = new BrowserPool({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    size: 1,
    maxRendersPerPage: 10,
    maxRendersPerBrowser: 10,
    kinds: { [kind]: { setup: engineModule[setupName], eager: true } },
  });
  try {
    await pool.start();
    const result = await new engineModule[engineName](pool, 30_000).render(source, THEME_DEFINITIONS.light);
    if (!result.ok) throw new Error(`cold ${kind} render failed: ${result.error.message}`);
  } finally {
    await pool.close();
  }
  return performance.now() - start;
}
