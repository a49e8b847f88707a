import type { Browser, ConsoleMessage, Page } from 'puppeteer';

/**
 * Debian's Chromium for the specs that drive the gateway's pages (the playground and the console),
 * with the flags the render worker uses (libs/rendering/src/browser/chromium-args.ts; the gateway's
 * specs may not import that lib).
 */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions', '--no-first-run', '--disable-quic', '--mute-audio', '--font-render-hinting=none'];

/** Loaded when asked for, so that the specs without a browser do not load puppeteer. */
export async function launchTestBrowser(): Promise<Browser> {
  const { default: puppeteer } = await import('puppeteer');
  return puppeteer.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

/**
 * Records what goes wrong in a page into `problems`: console errors and warnings (but the failed
 * loads of `expected`: the API's answers a spec provokes on purpose, by status and URL) and
 * uncaught errors; and, from before the page's own script runs and outside its CSP, every CSP
 * violation into `window.__cspViolations`.
 */
export async function recordPageProblems(page: Page, problems: string[], expected: ReadonlyArray<[number, RegExp]>): Promise<void> {
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() !== 'error' && message.type() !== 'warn') return;
    const status = /Failed to load resource: the server responded with a status of (\d+)/.exec(message.text());
    if (status && expected.some(([code, path]) => Number(status[1]) === code && path.test(message.location().url ?? ''))) return;
    problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${String(error)}`));
  await page.evaluateOnNewDocument(`document.addEventListener('securitypolicyviolation', (e) => {
    (window.__cspViolations = window.__cspViolations || []).push(e.violatedDirective + ' ' + e.blockedURI);
  });`);
}
