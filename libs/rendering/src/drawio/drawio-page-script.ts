import { join } from 'node:path';
import { pageBundleScript, type PageBundle } from '@flowsmith/page-bundle';

/**
 * The draw.io page's scripts (page/), each bundled by esbuild (libs/page-bundle) and
 * injected in this order around mxClient: the prelude (globals mxClient reads as it loads), then
 * mxClient itself, then draw.io's shapes, then the page.
 */
const drawioBundle = (name: string): PageBundle => ({ name, definedIn: __filename, entry: join(__dirname, 'page', `${name}.ts`) });

export const DRAWIO_PRELUDE: PageBundle = drawioBundle('drawio-prelude');
export const DRAWIO_SHAPES: PageBundle = drawioBundle('drawio-shapes');
export const DRAWIO_PAGE: PageBundle = drawioBundle('drawio-page');

/** The three scripts' texts, read once (built once, on first use, when running from the sources). */
export async function drawioPageScripts(): Promise<{ prelude: string; shapes: string; page: string }> {
  const [prelude, shapes, page] = await Promise.all([pageBundleScript(DRAWIO_PRELUDE), pageBundleScript(DRAWIO_SHAPES), pageBundleScript(DRAWIO_PAGE)]);
  return { prelude, shapes, page };
}
