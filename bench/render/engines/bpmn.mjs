// The BPMN engine's bench sample (the corpus's order process: 14 shapes, 14 flows, with DI) and
// its cold baseline (a fresh Chromium per diagram, cold-browser.mjs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { coldBrowserRender, ROOT } from './cold-browser.mjs';

export const SAMPLE = readFileSync(join(ROOT, 'libs/rendering/test/corpus/bpmn/order-process.bpmn'), 'utf8');

export const coldRender = (source) => coldBrowserRender('bpmn', 'BpmnEngine', 'setupBpmnPage', source);
