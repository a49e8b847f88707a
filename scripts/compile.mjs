// Compiles TypeScript to dist/ with SWC: `node scripts/compile.mjs apps libs` (or one app's
// folders, as its Nx build target does). The settings come from scripts/swc-options.cjs, written
// to a generated .swcrc because the SWC CLI reads its settings from a file.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { root, swcOptions } = require('./swc-options.cjs');

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error('usage: node scripts/compile.mjs <dir>...');
  process.exit(2);
}
const cache = join(root, 'node_modules/.cache/flowsmith');
mkdirSync(cache, { recursive: true });
const configFile = join(cache, 'swcrc.json');
writeFileSync(configFile, JSON.stringify({ $schema: 'https://swc.rs/schema.json', ...swcOptions({ aliases: true }) }, null, 2));
const swc = join(root, 'node_modules/.bin/swc');
const args = [...dirs, '-d', 'dist', '--config-file', configFile, '--ignore', '**/*.spec.ts', '--ignore', '**/*.e2e-spec.ts', '--ignore', '**/dist/**', '--quiet'];
const result = spawnSync(swc, args, { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
