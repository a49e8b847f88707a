// Bundles the CLI into one file with no runtime dependencies: dist/cli/flowsmith.js.
import { chmodSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outfile = join(root, 'dist/cli/flowsmith.js');
await build({
  entryPoints: [join(root, 'apps/cli/src/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  // The bundle is CommonJS; a bundled ES module that asks for import.meta.url gets this file's URL.
  banner: { js: "#!/usr/bin/env node\nconst __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { FLOWSMITH_VERSION: JSON.stringify(version), 'import.meta.url': '__importMetaUrl' },
  tsconfig: join(root, 'tsconfig.base.json'),
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
