import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { Browser, ConsoleMessage, Page } from 'puppeteer';
import sharp from 'sharp';
import { closeTestPrisma, RunningGateway, startGateway } from '@flowsmith/testing';
import { createGateway } from '../gateway';
import { PLAYGROUND_SAMPLES } from './playground.samples';

/** The flags the render worker launches Debian's Chromium with (libs/rendering's CHROMIUM_ARGS; the gateway may not import that lib). */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions', '--no-first-run', '--disable-quic', '--mute-audio', '--font-render-hinting=none'];
const ARTIFACTS = join(__dirname, '../../../../test-artifacts');
const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Waits for a finished download (Chromium writes `.crdownload` until then) and returns its name. */
async function downloaded(dir: string, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const file = readdirSync(dir).find((name) => pattern.test(name));
    if (file) return file;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no download matching ${pattern} in ${readdirSync(dir).join(', ') || 'an empty directory'}`);
}

/** Mean luminance (0..1) of a screenshot of one element. */
async function luminance(page: Page, selector: string): Promise<number> {
  const shot = await (await page.$(selector))!.screenshot({ type: 'png' });
  const { channels } = await sharp(Buffer.from(shot)).removeAlpha().stats();
  return (0.2126 * channels[0].mean + 0.7152 * channels[1].mean + 0.0722 * channels[2].mean) / 255;
}

describe('the playground at /', () => {
  let gateway: RunningGateway;
  let browser: Browser;

  beforeAll(async () => {
    // One proxy hop is trusted so that the browser's anonymous calls count for their own address, not
    // for 127.0.0.1, whose one anonymous export other specs of the run spend.
    gateway = await startGateway(createGateway, { RATE_LIMIT_ANONYMOUS: '1000', TRUST_PROXY_HOPS: '1' });
    browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await closeTestPrisma();
  });

  it('serves one HTML page with a strict, hash-based CSP, no framing, no sniffing and no rate limit', async () => {
    const response = await fetch(`${gateway.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cache-control')).toMatch(/max-age=\d{1,4}\b/);
    expect(response.headers.get('ratelimit-limit')).toBeNull();
    expect(response.headers.get('access-control-allow-origin')).toBeNull();

    const csp = response.headers.get('content-security-policy')!;
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['img-src']).toEqual(["'self'", 'data:', 'blob:']);
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(directives['base-uri']).toEqual(["'none'"]);
    expect(directives['form-action']).toEqual(["'none'"]);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');

    // Exactly the page's one inline script and one stylesheet are allowed, by their hashes.
    const html = await response.text();
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    expect(directives['script-src']).toEqual([sha256(scripts[0])]);
    expect(directives['style-src']).toEqual([sha256(styles[0])]);
    const markup = html.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/g, '');
    expect(markup).not.toMatch(/\sstyle=|\son[a-z]+=|(src|href)="https?:/i); // no inline handlers or styles, nothing loaded from elsewhere
    expect(html).toContain('href="/api/docs"');

    expect((await fetch(`${gateway.url}/api`)).status).toBe(404);
    const openapi = await fetch(`${gateway.url}/api/openapi.json`);
    if (openapi.ok) expect(Object.keys(((await openapi.json()) as { paths: object }).paths)).not.toContain('/');
  });

  it('opens with a sample per format that renders', async () => {
    const rendered = await Promise.all(
      Object.entries(PLAYGROUND_SAMPLES).map(async ([format, source]) => {
        const response = await fetch(`${gateway.url}/api/v1/beautify`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.251' },
          body: JSON.stringify({ source, source_format: format }),
        });
        return { format, status: response.status, type: ((await response.json()) as { diagram_type?: string }).diagram_type };
      }),
    );
    for (const { format, status, type } of rendered) expect({ format, status, type }).toEqual({ format, status: 200, type: expect.stringMatching(format === 'mermaid' ? /^flowchart/ : new RegExp(`^${format}`)) });
  });

  it('renders what is typed, follows the theme picker, shows parse errors with their line, all within its CSP', async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    await page.setExtraHTTPHeaders({ 'x-forwarded-for': `203.0.113.${1 + Math.floor(Math.random() * 250)}` });
    const downloads = mkdtempSync(join(tmpdir(), 'playground-downloads-'));
    await (await page.createCDPSession()).send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    const problems: string[] = [];
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() !== 'error' && message.type() !== 'warn') return;
      // The broken source's 400 is the API answering as it should; anything else is a problem.
      if (/Failed to load resource: the server responded with a status of 400/.test(message.text()) && /\/api\/v1\/beautify$/.test(message.location().url ?? '')) return;
      if (/Failed to load resource: the server responded with a status of 429/.test(message.text()) && /\/api\/v1\/export$/.test(message.location().url ?? '')) return;
      problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${String(error)}`));
    // Runs before the page's own script, outside its CSP: records every violation the page causes.
    await page.evaluateOnNewDocument(`document.addEventListener('securitypolicyviolation', (e) => {
      (window.__cspViolations = window.__cspViolations || []).push(e.violatedDirective + ' ' + e.blockedURI);
    });`);

    await page.goto(`${gateway.url}/`, { waitUntil: 'load' });
    await page.waitForSelector('html[data-ready="true"]');
    expect(await page.$$eval('#theme option', (options) => options.map((o: any) => o.value))).toEqual(expect.arrayContaining(['modern', 'midnight', 'dark']));
    await page.waitForSelector('#preview[data-state="ready"]'); // the sample renders on load

    // Type a diagram: the preview shows an image of exactly what the API rendered for it.
    const typed = 'flowchart LR\n  A[Quokka] --> B[Wombat]\n  B --> C[Platypus]';
    await page.click('#source');
    await page.keyboard.down('Control');
    await page.keyboard.press('KeyA');
    await page.keyboard.up('Control');
    await page.keyboard.press('Backspace');
    const rendered = page.waitForResponse((r) => r.url().endsWith('/api/v1/beautify') && (r.request().postData() ?? '').includes('Platypus'));
    await page.type('#source', typed);
    const light = await (await rendered).json();
    expect(light).toMatchObject({ object: 'render', diagram_type: 'flowchart', meta: { theme: 'modern' } });
    for (const label of ['Quokka', 'Wombat', 'Platypus']) expect(light.svg).toContain(label);
    await page.waitForSelector(`#preview[data-state="ready"][data-svg-length="${light.svg.length}"]`);
    const image = await page.$eval('#preview', (img: any) => ({ src: img.src, width: img.naturalWidth, hidden: img.hidden }));
    expect(image).toMatchObject({ src: expect.stringMatching(/^blob:/), hidden: false });
    expect(image.width).toBeGreaterThan(100);
    expect(await page.$eval('#diagram-type', (el) => el.textContent)).toBe('flowchart');
    expect(await page.$eval('#diagram-size', (el) => el.textContent)).toMatch(/^\d+ × \d+ px$/);
    expect(await page.$eval('#preview', (el) => el.closest('.stage')!.querySelectorAll('svg').length)).toBe(0); // never inlined
    expect(await luminance(page, '#preview')).toBeGreaterThan(0.7);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'playground.png') });

    // Switch the diagram theme: another SVG, on a dark canvas.
    const themed = page.waitForResponse((r) => r.url().endsWith('/api/v1/beautify') && (r.request().postData() ?? '').includes('"theme":"midnight"'));
    await page.select('#theme', 'midnight');
    const dark = await (await themed).json();
    expect(dark.meta.theme).toBe('midnight');
    expect(dark.svg).not.toBe(light.svg);
    expect(dark.svg).toContain('#0f172a');
    await page.waitForSelector('#preview[data-state="ready"][data-theme="midnight"]');
    expect(await luminance(page, '#preview')).toBeLessThan(0.35);

    // Download SVG saves exactly the SVG on show; Download PNG exports once, then explains the spent trial.
    await page.click('#download-svg');
    const svgFile = await downloaded(downloads, /^diagram-flowchart-midnight\.svg$/);
    expect(readFileSync(join(downloads, svgFile), 'utf8')).toBe(dark.svg);
    const exported = page.waitForResponse((r) => r.url().endsWith('/api/v1/export'));
    await page.click('#download-png');
    expect((await exported).status()).toBe(200);
    const pngFile = await downloaded(downloads, /^diagram-flowchart-[0-9a-f]{6}\.png$/);
    expect((await sharp(readFileSync(join(downloads, pngFile))).metadata()).format).toBe('png');
    await page.waitForSelector('#download-png:not([disabled])');
    await page.click('#download-png');
    await page.waitForSelector('#error:not([hidden])[data-code="quota_exhausted"]');
    expect(await page.$eval('#error-message', (el) => el.textContent)).toMatch(/^Anonymous callers may export once per 24 hours/);
    expect(await page.$$eval('#error .hints a', (links) => links.map((a) => a.textContent))).toEqual(['Get an API key', 'Read the docs']);

    // The page's own dark mode.
    const background = () => page.evaluate('getComputedStyle(document.body).backgroundColor');
    const before = await background();
    await page.click('#scheme');
    expect(await page.$eval('html', (el) => el.getAttribute('data-scheme'))).toBe('dark');
    expect(await page.$eval('#scheme', (el) => el.getAttribute('aria-pressed'))).toBe('true');
    expect(await background()).not.toBe(before);
    await page.screenshot({ path: join(ARTIFACTS, 'playground-dark.png') });

    // The format picker loads that format's sample, and gives back the draft on the way back.
    const svgRendered = page.waitForResponse((r) => r.url().endsWith('/api/v1/beautify') && (r.request().postData() ?? '').includes('"source_format":"svg"'));
    await page.select('#format', 'svg');
    expect(await page.$eval('#source', (el: any) => el.value)).toBe(PLAYGROUND_SAMPLES.svg);
    expect((await svgRendered).status()).toBe(200);
    await page.waitForSelector('#preview[data-state="ready"][data-diagram-type^="svg"]');
    await page.select('#format', 'mermaid');
    expect(await page.$eval('#source', (el: any) => el.value)).toBe(typed);
    await page.waitForSelector('#preview[data-state="ready"][data-diagram-type="flowchart"]');

    // A source that does not parse: the error panel, with its line, and the line marked in the gutter.
    await page.click('#source');
    await page.keyboard.down('Control');
    await page.keyboard.press('KeyA');
    await page.keyboard.up('Control');
    await page.keyboard.press('Backspace');
    await page.type('#source', 'sequenceDiagram\n  Alice->>Bob hello');
    await page.waitForSelector('#error:not([hidden]) #error-line');
    expect(await page.$eval('#error-line', (el) => el.textContent)).toBe('Line 2');
    expect(await page.$eval('#error-message', (el) => el.textContent)).toMatch(/line 2, column \d+/);
    expect(await page.$eval('#error', (el) => el.getAttribute('data-code'))).toBe('parse_failed');
    expect(await page.$$eval('#gutter span.error', (spans) => spans.map((s) => s.textContent))).toEqual(['2']);

    await page.screenshot({ path: join(ARTIFACTS, 'playground-error.png') });

    expect(await page.evaluate('window.__cspViolations || []')).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
