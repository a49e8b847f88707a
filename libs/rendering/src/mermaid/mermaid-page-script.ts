import { join } from 'node:path';
import { pageBundleScript, type PageBundle } from '@flowsmith/page-bundle';

/**
 * The mermaid page's own script (page/mermaid-page.ts), bundled by esbuild (libs/page-bundle).
 * Mermaid's bundle is not part of it: it is loaded before, patched as before (page-script.ts).
 */
export const MERMAID_PAGE: PageBundle = {
  name: 'mermaid-page',
  definedIn: __filename,
  entry: join(__dirname, 'page', 'mermaid-page.ts'),
};

export function mermaidPageScript(): Promise<string> {
  return pageBundleScript(MERMAID_PAGE);
}
