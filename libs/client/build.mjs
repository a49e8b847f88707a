// Builds the installable @flowsmith/client in libs/client/dist (git-ignored): index.mjs (ES module)
// and index.cjs (CommonJS) bundled by esbuild, and the declarations by tsc (tsconfig.lib.json);
// libs/client/package.json points at them, so `npm pack ./libs/client` makes the tarball. Nothing of
// the repository's path aliases reaches it: tsconfig.lib.json has none, so an `@flowsmith/...` import
// fails this build.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const out = join(here, 'dist');
const tsconfig = join(here, 'tsconfig.lib.json');

function fail(message) {
  console.error(`libs/client/build.mjs: ${message}`);
  process.exit(1);
}

const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const manifest = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
if (manifest.version !== version) fail(`libs/client/package.json has version ${manifest.version}, the repository ${version}: they move together.`);

rmSync(out, { recursive: true, force: true });
mkdirSync(out);
for (const [format, file] of [['esm', 'index.mjs'], ['cjs', 'index.cjs']]) {
  await build({
    entryPoints: [join(here, 'src/index.ts')],
    outfile: join(out, file),
    bundle: true,
    // No Node built-ins and no packages: the same files run in Node 20+, Deno, Bun and browsers.
    platform: 'neutral',
    format,
    target: 'es2022',
    tsconfig,
    legalComments: 'none',
    logLevel: 'warning',
  });
}
const tsc = spawnSync(join(root, 'node_modules/.bin/tsc'), ['-p', tsconfig, '--outDir', out], { cwd: root, stdio: 'inherit' });
if (tsc.status !== 0) fail('tsc could not declare the types.');
// The declarations are CommonJS (the package's `type`); ES-module importers get them through this file.
writeFileSync(join(out, 'index.d.mts'), "export * from './index.js';\n");

const built = createRequire(import.meta.url)(join(out, 'index.cjs'));
if (built.CLIENT_VERSION !== version) fail(`CLIENT_VERSION (libs/client/src/client.ts) is ${built.CLIENT_VERSION}, the repository ${version}.`);
