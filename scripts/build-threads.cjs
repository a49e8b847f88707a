// `npm run build`'s last step: the script pool's thread (libs/rendering/src/thread/thread-pool.ts)
// is an ES module bundled by esbuild, written beside the compiled pool in dist/.
const { dirname, join, relative } = require('node:path');

const root = join(__dirname, '..');
const dist = join(root, 'dist');
const { buildThreadScript } = require(join(dist, 'libs/rendering/src/thread/thread-pool.js'));
buildThreadScript(join(root, 'libs/rendering/src/thread/thread-worker.ts'), join(dist, 'libs/rendering/src/thread/thread-worker.mjs'));

// The scripts that run inside a browser page (libs/page-bundle): one IIFE
// each, bundled from the page module in the sources and written beside the compiled module that
// defines it (`<name>.bundle.js`), where pageBundlePath looks first.
const { buildPageBundle, pageBundleFile } = require(join(dist, 'libs/page-bundle/src/page-bundle.js'));
const pages = [
  ['libs/rendering/src/excalidraw/excalidraw-page-script.js', 'EXCALIDRAW_PAGE'],
  ['libs/rendering/src/bpmn/bpmn-page-script.js', 'BPMN_PAGE'],
  ['libs/rendering/src/drawio/drawio-page-script.js', 'DRAWIO_PRELUDE'],
  ['libs/rendering/src/drawio/drawio-page-script.js', 'DRAWIO_SHAPES'],
  ['libs/rendering/src/drawio/drawio-page-script.js', 'DRAWIO_PAGE'],
  ['libs/rendering/src/mermaid/mermaid-page-script.js', 'MERMAID_PAGE'],
  ['apps/gateway/src/console/console-bundle.js', 'CONSOLE_BUNDLE'],
];
Promise.all(
  pages.map(([file, name]) => {
    const bundle = require(join(dist, file))[name];
    const entry = join(root, relative(dist, bundle.entry));
    return buildPageBundle(bundle, join(dirname(bundle.definedIn), pageBundleFile(bundle)), entry);
  }),
).catch((error) => {
  console.error(error);
  process.exit(1);
});
