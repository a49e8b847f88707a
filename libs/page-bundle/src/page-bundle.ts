import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { BuildOptions } from 'esbuild';

/**
 * A script that runs in a browser page: the render engines' Chromium pages (Excalidraw, BPMN,
 * draw.io, mermaid: a TypeScript module under `libs/rendering/src/<engine>/page/`, injected inline)
 * and the gateway's console (apps/gateway/src/console/app/). Type-checked and linted with the rest,
 * bundled by esbuild into one classic script (IIFE).
 */
export interface PageBundle {
  /** The bundle's name: `<name>.bundle.js` in dist/, `<name>-<hash>.js` in node_modules/.cache/flowsmith. */
  name: string;
  /** The module that defines the bundle (its `__filename`): it holds the build's settings, so it is part of the hash, and dist/'s bundle lies beside it. */
  definedIn: string;
  /** The page module: the bundle's entry point. Every `.ts` file of its folder is part of the hash. */
  entry: string;
  /** Packages bundled into the page: their versions are part of the hash (esbuild's always is). */
  packages?: readonly string[];
  /** esbuild settings of this page beyond the common ones (defines, plugins, minify). */
  build?: Partial<BuildOptions>;
}

const MODULES = resolve(__dirname, '../../../node_modules');
const CACHE = join(MODULES, '.cache/flowsmith');

/** The bundle's file name beside the compiled engine in dist/ (npm run build, scripts/build-threads.cjs). */
export function pageBundleFile(bundle: PageBundle): string {
  return `${bundle.name}.bundle.js`;
}

/**
 * The bundle's path: `<name>.bundle.js`, built beside the defining module in dist/; from the
 * sources (Jest runs TypeScript), bundled with esbuild into node_modules/.cache/flowsmith, keyed by
 * a hash of the page's sources, the defining module, this file, and the versions of the bundled
 * packages and esbuild.
 */
export async function pageBundlePath(bundle: PageBundle): Promise<string> {
  const built = join(dirname(bundle.definedIn), pageBundleFile(bundle));
  if (existsSync(built)) return built;
  const hash = createHash('sha256');
  const pageDir = dirname(bundle.entry);
  const pageSources = readdirSync(pageDir)
    .filter((name) => name.endsWith('.ts'))
    .sort()
    .map((name) => join(pageDir, name));
  for (const file of [__filename, bundle.definedIn, ...pageSources]) hash.update(file).update(readFileSync(file));
  for (const pkg of [...(bundle.packages ?? []), 'esbuild']) hash.update(readFileSync(join(MODULES, pkg, 'package.json')));
  const out = join(CACHE, `${bundle.name}-${hash.digest('hex').slice(0, 12)}.js`);
  if (!existsSync(out)) {
    mkdirSync(CACHE, { recursive: true });
    const tmp = `${out}.${process.pid}.js`;
    await buildPageBundle(bundle, tmp);
    renameSync(tmp, out);
  }
  return out;
}

/**
 * esbuild's bundle of a page (`npm run build` runs it for dist/ through scripts/build-threads.cjs,
 * with `entry` the page module in the sources): one classic script (IIFE) for the browser, every
 * package inside it, nothing left to load.
 */
export async function buildPageBundle(bundle: PageBundle, outfile: string, entry: string = bundle.entry): Promise<void> {
  const esbuild = require('esbuild') as typeof import('esbuild');
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    legalComments: 'none',
    logLevel: 'error',
    ...bundle.build,
  });
}

const scripts = new Map<string, Promise<string>>();

/** The bundle's text, read once per process (built once, on first use, when running from the sources); a failed build is tried again by the next call. */
export function pageBundleScript(bundle: PageBundle): Promise<string> {
  let script = scripts.get(bundle.name);
  if (!script) {
    script = pageBundlePath(bundle).then((path) => readFileSync(path, 'utf8'));
    script.catch(() => scripts.delete(bundle.name));
    scripts.set(bundle.name, script);
  }
  return script;
}
