import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pageBundleScript, type PageBundle } from '@flowsmith/page-bundle';

/**
 * The Excalidraw page's script (page/excalidraw-page.ts with @excalidraw/utils), bundled by
 * esbuild (libs/page-bundle): `excalidraw-page.bundle.js` beside this file in dist/, or
 * node_modules/.cache/flowsmith when running from the sources.
 */
export const EXCALIDRAW_PAGE: PageBundle = {
  name: 'excalidraw-page',
  definedIn: __filename,
  entry: join(__dirname, 'page', 'excalidraw-page.ts'),
  packages: ['@excalidraw/utils'],
  build: {
    minify: true,
    // Excalidraw reads import.meta.env and process.env.NODE_ENV; neither exists in a page.
    define: { 'process.env.NODE_ENV': '"production"', 'process.env.IS_PREACT': '"false"' },
    plugins: [
      /**
       * @excalidraw/utils carries its fonts inline (17 MB of base64 WOFF2) for exports that embed them.
       * This export does not (`skipInliningFonts`: the SVG step would remove data: URLs from a style
       * sheet, and the text is drawn in installed faces), and the page may load no font, so the font
       * data is left out of the bundle: 2 MB to parse when a page is set up instead of 19 MB.
       */
      {
        name: 'flowsmith-excalidraw-without-fonts',
        setup(build) {
          build.onLoad({ filter: /[\\/]@excalidraw[\\/]utils[\\/].*\.js$/ }, (args) => ({
            contents: readFileSync(args.path, 'utf8').replace(/data:font\/woff2;base64,[A-Za-z0-9+/=]+/g, 'data:font/woff2;base64,'),
            loader: 'js',
          }));
        },
      },
    ],
  },
};

/** The bundled page's text, read once (built once, on first use, when running from the sources). */
export function excalidrawPageScript(): Promise<string> {
  return pageBundleScript(EXCALIDRAW_PAGE);
}
