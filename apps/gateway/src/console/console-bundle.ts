import { join } from 'node:path';
import { pageBundleScript, type PageBundle } from '@flowsmith/page-bundle';

/**
 * The console's script (app/main.ts and the modules beside it), bundled by esbuild
 * (libs/page-bundle): `console.bundle.js` beside this file in dist/ (scripts/build-threads.cjs), or
 * bundled into node_modules/.cache/flowsmith when the gateway runs from its sources (Jest).
 */
export const CONSOLE_BUNDLE: PageBundle = {
  name: 'console',
  definedIn: __filename,
  entry: join(__dirname, 'app', 'main.ts'),
  build: { minify: true },
};

export function consoleScript(): Promise<string> {
  return pageBundleScript(CONSOLE_BUNDLE);
}
