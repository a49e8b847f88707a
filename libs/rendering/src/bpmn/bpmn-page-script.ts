import { join } from 'node:path';
import { pageBundleScript, type PageBundle } from '@flowsmith/page-bundle';

/** The BPMN page's script (page/bpmn-page.ts), bundled by esbuild (libs/page-bundle). bpmn-js itself is loaded before it, from its own bundle. */
export const BPMN_PAGE: PageBundle = {
  name: 'bpmn-page',
  definedIn: __filename,
  entry: join(__dirname, 'page', 'bpmn-page.ts'),
};

export function bpmnPageScript(): Promise<string> {
  return pageBundleScript(BPMN_PAGE);
}
