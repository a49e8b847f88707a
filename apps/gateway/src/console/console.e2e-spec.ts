import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'puppeteer';
import { ChildProcess } from 'node:child_process';
import { closeTestPrisma, createTestKey, exited, launchTestBrowser, recordPageProblems, RunningGateway, spawnWorker, startGateway, TestClient, testPrisma, waitForWorkers } from '@flowsmith/testing';
import { createGateway } from '../gateway';
import { consolePage } from './console.page';
import { CONSOLE_STYLE } from './console.style';

const ARTIFACTS = join(__dirname, '../../../../test-artifacts/console');
const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The answers the API gives on purpose in this spec; any other error in the browser's console is a problem. */
const EXPECTED_FAILURES: Array<[number, RegExp]> = [
  [401, /\/api\/v1\/sessions(\/current)?$/], // not signed in yet, a wrong key, signed out
  [400, /\/api\/v1\/beautify$/], // a broken source in the editor
  [422, /\/api\/v1\/ai\/repair$/], // a repair the offline generator cannot make
  [409, /\/api\/v1\/folders\/[^/?]+$/], // deleting a folder that holds a diagram, unforced
];

describe('the console at /console', () => {
  let gateway: RunningGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let key: Awaited<ReturnType<typeof createTestKey>>;
  let api: TestClient;
  const problems: string[] = [];
  // The offline generator (no ANTHROPIC_API_KEY) answers the editor's repair button.
  let generationWorker: ChildProcess;

  beforeAll(async () => {
    generationWorker = spawnWorker('generation-worker', { ANTHROPIC_API_KEY: '' });
    await waitForWorkers('generation', process.env.REDIS_PREFIX!);
    gateway = await startGateway(createGateway, { RATE_LIMIT_ANONYMOUS: '1000', TRUST_PROXY_HOPS: '1' });
    key = await createTestKey({ plan: 'pro' });
    api = new TestClient(gateway.url, key.secret);
    browser = await launchTestBrowser();
    context = await browser.createBrowserContext();
    await context.overridePermissions(gateway.url, ['clipboard-read', 'clipboard-write', 'clipboard-sanitized-write']);
    page = await context.newPage();
    await page.setViewport({ width: 1280, height: 820 });
    await page.setExtraHTTPHeaders({ 'x-forwarded-for': '203.0.113.77' });
    await recordPageProblems(page, problems, EXPECTED_FAILURES);
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 150_000);
  afterAll(async () => {
    generationWorker?.kill('SIGTERM');
    if (generationWorker) await exited(generationWorker);
    await browser?.close();
    await gateway?.close();
    await closeTestPrisma();
  });

  /** A screenshot of the screen as it is, light and dark. */
  async function shot(name: string): Promise<void> {
    await page.$eval('#toast', (toast) => ((toast as HTMLElement).hidden = true));
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
      await page.screenshot({ path: join(ARTIFACTS, `${name}-${scheme}.png`) as `${string}.png`, fullPage: true });
    }
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  }

  const text = (selector: string) => page.$eval(selector, (element) => (element.textContent ?? '').trim());
  const rowNames = () => page.$$eval('tbody tr .name-link', (links) => links.map((link) => link.textContent));

  /** Opens a dialog with `opener`, fills it, submits it and waits for it to close (or to show its receipt). */
  async function submitDialog(fill: () => Promise<void>, receipt = false): Promise<void> {
    await page.waitForSelector('dialog[open]');
    await fill();
    await page.click('dialog[open] button[type="submit"]');
    if (receipt) await page.waitForFunction(() => document.querySelector('dialog[open] button[type="submit"]') === null);
    else await page.waitForSelector('dialog[open]', { hidden: true });
  }

  /** What the browser keeps: nothing of the key anywhere a script could read. */
  async function expectNoKeyStored(secret: string): Promise<void> {
    const stored = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }));
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain('flowsmith_session');
  }

  it('is served under a strict, hash-based CSP that no inline handler could pass', async () => {
    const response = await fetch(`${gateway.url}/console`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    const { html } = await consolePage();
    const script = /<script>([\s\S]*)<\/script>\s*<\/body>/.exec(html)![1];
    expect(csp.split('; ')).toEqual([
      "default-src 'none'",
      `script-src ${sha256(script)}`,
      `style-src ${sha256(CONSOLE_STYLE)}`,
      "img-src 'self' data: blob:",
      "connect-src 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "require-trusted-types-for 'script'",
      "trusted-types 'none'",
    ]);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(await response.text()).not.toMatch(/\son[a-z]+=/i);
  });

  it('refuses a wrong key in place, then signs in without keeping the key', async () => {
    await page.goto(`${gateway.url}/console`, { waitUntil: 'load' });
    await page.waitForSelector('#api-key');
    await shot('sign-in');
    await page.type('#api-key', `fs_test_${'x'.repeat(40)}`);
    await page.keyboard.press('Enter');
    await page.waitForSelector('.signin [role="alert"]');
    expect(await text('.signin [role="alert"]')).toBe('Invalid API key provided.');

    await page.type('#api-key', key.secret);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#tabs:not([hidden])');
    await page.waitForSelector('#new-diagram');
    expect(await text('#who')).toMatch(/^test [0-9a-f]+ · pro$/);
    expect(page.url()).toBe(`${gateway.url}/console#/diagrams`);
    await expectNoKeyStored(key.secret);
    expect(await page.content()).not.toContain(key.secret);
  });

  let diagramId: string;

  it('creates a folder and a diagram in it, edits it with a live preview and saves it', async () => {
    await page.click('aside .panel-head button');
    await submitDialog(() => page.type('#folder-name', 'Architecture'));
    await page.waitForFunction(() => [...document.querySelectorAll('.tree button')].some((b) => b.textContent === 'Architecture'));
    const folder = (await api.get('/api/v1/folders')).body.data[0];
    expect(folder.name).toBe('Architecture');
    await page.evaluate(() => [...document.querySelectorAll<HTMLButtonElement>('.tree button')].find((b) => b.textContent === 'Architecture')!.click());
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Architecture');

    await page.click('#new-diagram');
    await submitDialog(async () => {
      expect(await page.$eval('#new-folder', (select) => (select as HTMLSelectElement).value)).toBe(folder.id);
      await page.type('#new-name', 'Checkout flow');
    });
    await page.waitForSelector('#source');
    diagramId = decodeURIComponent(page.url().split('#/diagrams/')[1]);
    expect((await api.get(`/api/v1/diagrams/${diagramId}`)).body).toMatchObject({ name: 'Checkout flow', folder_id: folder.id, source_format: 'mermaid' });
    await page.waitForSelector('#preview:not([hidden])');
    const first = await page.$eval('#preview', (img) => (img as HTMLImageElement).src);
    expect(first).toMatch(/^blob:/);

    // A broken source: the API's message in place, the save still possible but the preview stale.
    await page.$eval('#source', (area) => {
      (area as HTMLTextAreaElement).value = 'flowchart LR\n  A -->';
      area.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.waitForSelector('#preview-error [role="alert"]');
    expect(await text('#preview-error')).toMatch(/Parse error|parse/i);
    expect(await page.$eval('#stage', (stage) => stage.classList.contains('stale'))).toBe(true);
    // It offers the model's repair (the key has ai:write): the request carries the source, its
    // format, the parser's message and the CSRF token; the offline generator's refusal shows in
    // place and leaves the source alone.
    const repairing = page.waitForResponse((r) => r.url().endsWith('/api/v1/ai/repair'));
    await page.click('#repair');
    const repairAnswer = await repairing;
    expect(JSON.parse(repairAnswer.request().postData()!)).toMatchObject({ source: 'flowchart LR\n  A -->', source_format: 'mermaid', error: expect.stringMatching(/parse|line/i) });
    expect(repairAnswer.request().headers()['x-csrf-token']).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(repairAnswer.status()).toBe(422);
    await page.waitForFunction(() => !document.querySelector('#repair'));
    expect(await text('#preview-error')).toMatch(/offline generator/);
    expect(await page.$eval('#source', (area) => (area as HTMLTextAreaElement).value)).toBe('flowchart LR\n  A -->');

    await page.$eval('#source', (area) => {
      (area as HTMLTextAreaElement).value = 'flowchart LR\n  Cart --> Pay';
    });
    await page.type('#source', ' --> Done');
    expect(await text('#save-status')).toBe('Unsaved changes');
    await page.waitForFunction((before) => {
      const img = document.getElementById('preview') as HTMLImageElement;
      return img.src !== before && !document.querySelector('#preview-error [role="alert"]');
    }, {}, first);
    await shot('editor');
    await page.click('#save');
    await page.waitForFunction(() => document.getElementById('save-status')?.textContent === 'Saved');
    expect((await api.get(`/api/v1/diagrams/${diagramId}`)).body.source).toBe('flowchart LR\n  Cart --> Pay --> Done');
  });

  it('shares the diagram and copies its embed snippet', async () => {
    await page.click('#share');
    await submitDialog(async () => undefined, true);
    const url = await text('#share-url');
    expect(url).toMatch(new RegExp(`^${gateway.url}/api/v1/share/[A-Za-z0-9]+\\.svg$`));
    await page.click('button[aria-label="Copy embed snippet"]');
    await page.waitForSelector('#toast:not([hidden])');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`<img src="${url}" alt="Checkout flow">`);
    expect((await fetch(url)).status).toBe(200);
    await page.click('dialog[open] .buttons button');
    await page.waitForSelector('dialog[open]', { hidden: true });
  });

  it('renames, moves and, after confirming, deletes diagrams; Escape closes a dialog', async () => {
    await page.evaluate(() => (location.hash = '#/diagrams'));
    await page.waitForSelector(`tr[data-id="${diagramId}"]`);
    const other = (await api.post('/api/v1/diagrams', { name: 'Billing', source: 'flowchart TD\n A-->B' })).body;
    await page.reload();
    await page.waitForSelector(`tr[data-id="${other.id}"]`);
    // Search by name, and sort by name or by last update.
    await page.type('#diagram-search', 'check');
    expect(await rowNames()).toEqual(['Checkout flow']);
    await page.$eval('#diagram-search', (input) => {
      (input as HTMLInputElement).value = '';
      input.dispatchEvent(new Event('input'));
    });
    expect(await rowNames()).toEqual(['Billing', 'Checkout flow']);
    await page.select('#diagram-sort', 'name');
    expect(await rowNames()).toEqual(['Billing', 'Checkout flow']);
    await shot('diagrams');

    await page.click('button[aria-label="Rename Checkout flow"]');
    await page.waitForSelector('dialog[open]');
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog[open]', { hidden: true });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Rename Checkout flow');

    await page.click('button[aria-label="Rename Checkout flow"]');
    await submitDialog(async () => {
      await page.$eval('#rename-name', (input) => ((input as HTMLInputElement).value = ''));
      await page.type('#rename-name', 'Checkout, v2');
    });
    await page.waitForSelector('button[aria-label="Move Checkout, v2"]');
    await page.click('button[aria-label="Move Checkout, v2"]');
    await submitDialog(() => page.select('#move-folder', '').then(() => undefined));
    await page.waitForFunction((id) => document.querySelector(`tr[data-id="${id}"] td:nth-child(3)`)?.textContent === '—', {}, diagramId);
    expect((await api.get(`/api/v1/diagrams/${diagramId}`)).body).toMatchObject({ name: 'Checkout, v2', folder_id: null });

    await page.click('button[aria-label="Delete Billing"]');
    await submitDialog(async () => undefined);
    await page.waitForSelector(`tr[data-id="${other.id}"]`, { hidden: true });
    expect((await api.get(`/api/v1/diagrams/${other.id}`)).status).toBe(404);
  });

  it('renames and moves a folder, and deletes it: refused while it holds a diagram, then with its contents moved up', async () => {
    const architecture = (await api.get('/api/v1/folders')).body.data.find((f: { name: string }) => f.name === 'Architecture');
    const drafts = (await api.post('/api/v1/folders', { name: 'Drafts' })).body;
    const sketch = (await api.post('/api/v1/diagrams', { name: 'Sketch', source: 'flowchart TD\n A-->B', folder_id: drafts.id })).body;
    await page.evaluate((id) => (location.hash = `#/diagrams?folder=${id}`), drafts.id);
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Drafts');
    await page.waitForSelector(`tr[data-id="${sketch.id}"]`);

    await page.click('#edit-folder');
    await submitDialog(async () => {
      // A folder cannot move under itself: it is not among the places offered.
      expect(await page.$$eval('#folder-move option', (options) => options.map((o) => (o as HTMLOptionElement).value))).toEqual(['', architecture.id]);
      await page.$eval('#folder-rename', (input) => ((input as HTMLInputElement).value = ''));
      await page.type('#folder-rename', 'Old drafts');
      await page.select('#folder-move', architecture.id);
    });
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Old drafts');
    expect((await api.get(`/api/v1/folders/${drafts.id}`)).body).toMatchObject({ name: 'Old drafts', parent_id: architecture.id });
    await shot('folder');

    // Not empty, box not ticked: the API's refusal shows in the dialog, which stays open; nothing changes.
    await page.click('#delete-folder');
    await page.waitForSelector('dialog[open]');
    await page.click('dialog[open] button[type="submit"]');
    await page.waitForSelector('dialog[open] [role="alert"]');
    expect(await page.$eval('dialog[open] [role="alert"]', (alert) => alert.textContent)).toMatch(/holds diagrams or folders/);
    expect((await api.get(`/api/v1/folders/${drafts.id}`)).status).toBe(200);
    // Ticked: deleted, its diagram moved to its parent, and the console shows that parent.
    await page.click('#folder-force');
    await page.click('dialog[open] button[type="submit"]');
    await page.waitForSelector('dialog[open]', { hidden: true });
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Architecture');
    await page.waitForSelector(`tr[data-id="${sketch.id}"]`);
    expect((await api.get(`/api/v1/folders/${drafts.id}`)).status).toBe(404);
    expect((await api.get(`/api/v1/diagrams/${sketch.id}`)).body).toMatchObject({ folder_id: architecture.id });
    expect(await page.$$eval('.tree button', (buttons) => buttons.map((b) => b.textContent))).not.toContain('Old drafts');
  });

  it('searches past the 1,000 diagrams it lists, through the API, which looks at all of them', async () => {
    // 1,000 newer diagrams: 'Sketch' is no longer among the newest 1,000 the list reads.
    const filler = (i: number) => ({ ownerId: key.ownerId, createdBy: key.userId, name: `Filler ${i}`, source: 'flowchart TD\n  A --> B', sourceFormat: 'mermaid', diagramType: 'flowchart' });
    await testPrisma().diagram.createMany({ data: Array.from({ length: 1000 }, (_, i) => filler(i)) });
    try {
      // The API's q: any case, its LIKE wildcards taken literally.
      expect((await api.get('/api/v1/diagrams?q=FILLER%2099&limit=100')).body.data.map((d: { name: string }) => d.name).sort()).toEqual(['Filler 99', ...Array.from({ length: 10 }, (_, i) => `Filler 99${i}`)].sort());
      for (const wildcard of ['%25', '_', 'Fill_r']) expect((await api.get(`/api/v1/diagrams?q=${wildcard}`)).body.data).toEqual([]);
      expect((await api.get(`/api/v1/diagrams?q=${'x'.repeat(201)}`)).body.error).toMatchObject({ code: 'invalid_parameter', param: 'q' });

      await page.evaluate(() => (location.hash = '#/diagrams'));
      await page.reload();
      await page.waitForSelector('#list-note:not([hidden])');
      expect((await rowNames()).length).toBe(1000);
      expect(await text('#diagram-count')).toBe('1,000+ diagrams');
      expect(await rowNames()).not.toContain('Sketch');
      await page.type('#diagram-search', 'sketch');
      await page.waitForFunction(() => [...document.querySelectorAll('tbody tr .name-link')].map((link) => link.textContent).join('|') === 'Sketch');
      await shot('search-all');
    } finally {
      await testPrisma().diagram.deleteMany({ where: { ownerId: key.ownerId, name: { startsWith: 'Filler ' } } });
      await page.$eval('#diagram-search', (input) => {
        (input as HTMLInputElement).value = '';
        input.dispatchEvent(new Event('input'));
      });
    }
  });

  it('lists shares, copies a link and revokes one', async () => {
    await page.click('#tabs a[data-view="shares"]');
    // The diagrams' table until the shares' replaces it: wait for the shares' own rows.
    await page.waitForFunction(() => document.querySelector('#tabs a[aria-current="page"]')?.textContent === 'Shares' && /^[0-9A-Za-z]{22}$/.test(document.querySelector('tbody tr[data-id]')?.getAttribute('data-id') ?? ''));
    const shareId = await page.$eval('tbody tr[data-id]', (row) => row.getAttribute('data-id')!);
    expect(await page.$eval('#tabs a[aria-current="page"]', (link) => link.textContent)).toBe('Shares');
    await shot('shares');
    await page.click('button[aria-label="Copy link"]');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${gateway.url}/api/v1/share/${shareId}.svg`);
    await page.click('button[aria-label^="Revoke the share"]');
    await submitDialog(async () => undefined);
    await page.waitForSelector('.empty');
    expect((await fetch(`${gateway.url}/api/v1/share/${shareId}.svg`)).status).toBe(404);
  });

  it('creates a key with chosen scopes, shows its secret once, and revokes it', async () => {
    await page.click('#tabs a[data-view="keys"]');
    await page.waitForSelector('#new-key');
    await page.click('#new-key');
    await page.waitForSelector('dialog[open] #key-name');
    // Reads are ticked by default; this key also writes diagrams and nothing else.
    await page.$$eval('dialog[open] input[name="scope"]', (boxes) => boxes.forEach((box) => ((box as HTMLInputElement).checked = false)));
    await page.click('#scope-diagrams-read');
    await page.click('#scope-diagrams-write');
    await shot('key-create');
    await submitDialog(() => page.type('#key-name', 'CI pipeline'), true);
    const secret = await text('#key-secret');
    expect(secret).toMatch(/^fs_test_[0-9A-Za-z]{40}$/);
    await shot('key-secret');
    await page.click('button[aria-label="Copy secret"]');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await page.click('dialog[open] .buttons button');
    await page.waitForSelector('dialog[open]', { hidden: true });
    await page.waitForFunction(() => [...document.querySelectorAll('tbody strong')].some((s) => s.textContent === 'CI pipeline'));
    expect(await page.content()).not.toContain(secret);
    await expectNoKeyStored(secret);
    const created = await testPrisma().apiKey.findFirst({ where: { ownerId: key.ownerId, name: 'CI pipeline' } });
    expect(created!.scopes).toEqual(['diagrams:read', 'diagrams:write']);
    expect((await new TestClient(gateway.url, secret).get('/api/v1/diagrams')).status).toBe(200);
    await shot('keys');

    await page.click('button[aria-label="Revoke CI pipeline"]');
    await submitDialog(async () => undefined);
    await page.waitForFunction((id) => document.querySelector(`tr[data-id="${id}"] .chip.off`)?.textContent === 'Revoked', {}, created!.id);
    expect((await new TestClient(gateway.url, secret).get('/api/v1/diagrams')).status).toBe(401);
  });

  it('shows usage against the plan', async () => {
    await page.click('#tabs a[data-view="usage"]');
    await page.waitForSelector('#usage-cards');
    expect(await text('#plan')).toBe('pro plan');
    const figures = await page.$$eval('#usage-cards .figure', (cells) => cells.map((cell) => cell.textContent));
    expect(figures).toEqual(['0 / 100', '0 / 100', '0 / 100']);
    expect(await page.$eval('dl.facts', (list) => list.textContent)).toContain(key.id);
    await shot('usage');
  });

  it('signs out, and leaves no key, no readable cookie and no CSP violation behind', async () => {
    await page.click('#sign-out');
    await page.waitForSelector('#api-key');
    expect(await text('.signin [role="status"]')).toBe('You are signed out.');
    expect(await page.evaluate(() => fetch('/api/v1/sessions/current').then((response) => response.status))).toBe(401);
    await page.goto(`${gateway.url}/console#/keys`);
    await page.waitForSelector('#api-key');
    await expectNoKeyStored(key.secret);
    expect(await page.evaluate('window.__cspViolations || []')).toEqual([]);
    expect(problems).toEqual([]);
  });
});
