// The draw.io engine's bench sample (the corpus's order-fulfilment flowchart: 13 shapes, 12
// edges, 2 edge labels) and its cold baseline (a fresh Chromium per diagram, cold-browser.mjs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { coldBrowserRender, ROOT } from './cold-browser.mjs';

export const SAMPLE = readFileSync(join(ROOT, 'libs/rendering/test/corpus/drawio/flowchart.drawio'), 'utf8');

export const coldRender = (source) => coldBrowserRender('drawio', 'DrawioEngine', 'setupDrawioPage', source);
