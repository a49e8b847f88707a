#!/usr/bin/env node
// Says which of Flowsmith's patches to mermaid's minified bundle no longer match a mermaid bundle,
// and which of its diagram detectors libs/rendering/src/mermaid/diagram-types.ts does not name.
// Checks only: it renders nothing and runs no spec (docs/mermaid.md, "Upgrading mermaid").
//
//   npm run check:mermaid                       the installed mermaid (node_modules)
//   npm run check:mermaid -- path/to/mermaid.min.js
//
// Exit status 0 when every patch matches and every detector is named, 1 otherwise.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const bundlePath = process.argv[2] ?? require.resolve('mermaid/dist/mermaid.min.js');

// The patches are TypeScript (libs/rendering/src/mermaid/page-script.ts): compiled here in memory,
// so the check needs no build of the project.
const compiled = await build({
  entryPoints: [join(root, 'libs/rendering/src/mermaid/bundle-check.ts')],
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'node',
  logLevel: 'error',
});
const { checkMermaidBundle } = await import(`data:text/javascript;base64,${Buffer.from(compiled.outputFiles[0].text).toString('base64')}`);

const bundle = readFileSync(bundlePath, 'utf8');
const version = /\{version:"(\d+\.\d+\.\d+[^"]*)"\}/.exec(bundle);
const result = checkMermaidBundle(bundle);
console.log(`mermaid bundle ${bundlePath}${version ? ` (${version[1]})` : ''}`);
for (const patch of result.patches) {
  console.log(`${patch.ok ? 'ok      ' : 'MISMATCH'}  ${patch.kind.padEnd(5)}  ${patch.name}${patch.ok ? '' : `\n          ${patch.message}`}`);
}
console.log(`${result.detectors.length} diagram detectors${result.unnamedDetectors.length ? `; not named in diagram-types.ts: ${result.unnamedDetectors.join(', ')}` : ', all named in diagram-types.ts'}`);
process.exitCode = result.patches.every((patch) => patch.ok) && result.unnamedDetectors.length === 0 ? 0 : 1;
