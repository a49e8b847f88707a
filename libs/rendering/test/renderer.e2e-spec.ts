import { XMLValidator } from 'fast-xml-parser';
import sharp from 'sharp';
import { RenderInput, THEMES, ThemeId } from '@flowsmith/contracts';
import puppeteer from 'puppeteer';
import { CHROMIUM_ARGS, isSafeSvg, mermaidConfig, Renderer, setupMermaidPage, THEME_DEFINITIONS } from '../src';
import { CORPUS, HOSTILE } from './corpus';
import { differingPixels, pixelsChangedByPruning, structuralFindings, withoutText } from './svg-checks';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('Renderer (real Chromium, mermaid, sharp)', () => {
  const renderer = new Renderer({ chromiumPath: CHROMIUM, pages: 2, maxRendersPerPage: 200, maxRendersPerBrowser: 2000, renderTimeoutMs: 5000 });
  const input = (source: string, theme: ThemeId, format: 'svg' | 'png', extra: Partial<RenderInput> = {}): RenderInput => ({
    source, sourceFormat: 'mermaid', theme, format, scale: 1, watermark: false, ...extra,
  });

  beforeAll(() => renderer.start(), 30_000);
  afterAll(() => renderer.close());

  describe.each(CORPUS)('$type', ({ type, source, labels }) => {
    it.each(THEMES.map((t) => t.id))('renders in %s to a valid, safe SVG and a PNG with its labels drawn', async (theme) => {
      const svg = await renderer.render(input(source, theme, 'svg'));
      if (!svg.ok) throw new Error(svg.error.message);
      const text = svg.output.data.toString();
      expect(svg.output.diagramType).toBe(type);
      expect(XMLValidator.validate(text)).toBe(true);
      expect(isSafeSvg(text)).toBe(true);
      expect(structuralFindings(text)).toEqual([]);
      expect(text).not.toContain('<foreignObject');
      for (const label of labels) expect(text).toContain(label);
      if (THEME_DEFINITIONS[theme].tone === 'dark') expect(text).toContain(`fill="${THEME_DEFINITIONS[theme].background}"`);

      const png = await renderer.render(input(source, theme, 'png', { scale: 2 }));
      if (!png.ok) throw new Error(png.error.message);
      const meta = await sharp(png.output.data).metadata();
      expect(meta.format).toBe('png');
      expect([meta.width, meta.height]).toEqual([svg.output.width * 2, svg.output.height * 2]);
      expect([png.output.width, png.output.height]).toEqual([meta.width, meta.height]);
      expect(await pixelsChangedByPruning(png.output.data, text, 2, THEME_DEFINITIONS[theme].background)).toBe(0);
      // The labels are drawn: the PNG differs from one made of the same SVG with its text removed.
      const blank = await sharp(Buffer.from(withoutText(text)), { density: 144 }).flatten({ background: THEME_DEFINITIONS[theme].background }).png().toBuffer();
      expect(await differingPixels(png.output.data, blank)).toBeGreaterThan(200 * labels.length);
    });
  });

  it('draws Latin, CJK and emoji labels in both formats', async () => {
    const source = 'flowchart LR\n  A[Grüße 🚀] --> B[日本語のラベル] --> C[한국어 中文]';
    const svg = await renderer.render(input(source, 'light', 'svg'));
    if (!svg.ok) throw new Error(svg.error.message);
    for (const label of ['Grüße', '🚀', '日本語のラベル', '한국어', '中文']) expect(svg.output.data.toString()).toContain(label);
    const png = await renderer.render(input(source, 'light', 'png'));
    if (!png.ok) throw new Error(png.error.message);
    const blank = await sharp(Buffer.from(withoutText(svg.output.data.toString()))).flatten({ background: '#ffffff' }).png().toBuffer();
    expect(await differingPixels(png.output.data, blank)).toBeGreaterThan(1000);
  });

  it('watermarks only when asked, in SVG and PNG', async () => {
    const source = CORPUS[0].source;
    const plain = await renderer.render(input(source, 'modern', 'svg'));
    const marked = await renderer.render(input(source, 'modern', 'svg', { watermark: true }));
    if (!plain.ok || !marked.ok) throw new Error('render failed');
    expect(plain.output.data.toString()).not.toContain('Made with Flowsmith');
    expect(marked.output.data.toString()).toContain('Made with Flowsmith');
    expect(marked.output.height).toBeGreaterThan(plain.output.height);
    const markedPng = await renderer.render(input(source, 'modern', 'png', { watermark: true }));
    if (!markedPng.ok) throw new Error('render failed');
    const unmarked = await sharp(Buffer.from(marked.output.data.toString().replace(/<text[^>]*flowsmith-watermark[^>]*>[^<]*<\/text>/, ''))).flatten({ background: '#ffffff' }).png().toBuffer();
    expect(await differingPixels(markedPng.output.data, unmarked)).toBeGreaterThan(50);
  });

  it('fails a source that does not parse with the parser\'s message, line and column', async () => {
    const result = await renderer.render(input('flowchart TD\n  A --> B\n  B -->', 'light', 'svg'));
    expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed', line: 3, message: expect.stringMatching(/line 3.*Expecting/) } });
    const parsed = await renderer.parse('sequenceDiagram\n  A->>B hi', 'mermaid');
    expect(parsed).toMatchObject({ ok: false, error: { code: 'parse_failed', line: 2 } });
    expect(await renderer.parse('erDiagram\n  A ||--o{ B : has', 'mermaid')).toEqual({ ok: true, diagramType: 'er' });
  });

  it('refuses a PNG over 8192 px a side with output_too_large', async () => {
    const wide = 'flowchart LR\n' + Array.from({ length: 60 }, (_, i) => `  N${i}[Step number ${i}] --> N${i + 1}`).join('\n');
    const result = await renderer.render(input(wide, 'light', 'png', { scale: 4 }));
    expect(result).toMatchObject({ ok: false, error: { code: 'output_too_large' } });
  });

  describe('hostile sources: a safe SVG or a clear error, and the renderer healthy after', () => {
    it.each(HOSTILE)('$name', async ({ source }) => {
      const result = await renderer.render(input(source, 'light', 'svg'));
      if (result.ok) {
        const svg = result.output.data.toString();
        expect(XMLValidator.validate(svg)).toBe(true);
        expect(isSafeSvg(svg)).toBe(true);
        expect(structuralFindings(svg)).toEqual([]);
      } else {
        expect(result.error.code).toBe('parse_failed');
        expect(result.error.message.length).toBeGreaterThan(10);
      }
      const next = await renderer.render(input(CORPUS[1].source, 'light', 'svg'));
      expect(next.ok).toBe(true);
    });

    it('makes no network request, whatever the source asks for', async () => {
      const requests: string[] = [];
      const server = await import('node:http').then(({ createServer }) => createServer((req, res) => { requests.push(req.url ?? ''); res.end(); }));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      try {
        const source = `%%{init: {'themeVariables': {'fontFamily': 'x'}, 'themeCSS': '@import url(http://127.0.0.1:${port}/css); .node{background:url(http://127.0.0.1:${port}/img)}'}}%%\nflowchart TD\n  A["<img src='http://127.0.0.1:${port}/label'>"] --> B\n  click B href "http://127.0.0.1:${port}/click"`;
        const result = await renderer.render(input(source, 'light', 'png'));
        expect(result.ok).toBe(true);
        await new Promise((r) => setTimeout(r, 300));
        expect(requests).toEqual([]);
      } finally {
        server.close();
      }
    });

    it('answers 100 KB of nodes within budget with a safe SVG or a clear error', async () => {
      const lines = ['flowchart TD'];
      for (let i = 0; Buffer.byteLength(lines.join('\n')) < 99 * 1024; i++) lines.push(`  n${i}[Node ${i}] --> n${i + 1}`);
      const huge = lines.join('\n');
      const started = Date.now();
      const result = await renderer.render(input(huge, 'light', 'svg'));
      expect(Date.now() - started).toBeLessThan(10_000);
      if (result.ok) expect(structuralFindings(result.output.data.toString())).toEqual([]);
      else expect(['parse_failed', 'render_timeout']).toContain(result.error.code);
      expect((await renderer.render(input(CORPUS[0].source, 'dark', 'svg'))).ok).toBe(true);
    }, 20_000);

    it('stops a render that exceeds its time and replaces the page', async () => {
      const short = new Renderer({ chromiumPath: CHROMIUM, pages: 1, maxRendersPerPage: 100, maxRendersPerBrowser: 1000, renderTimeoutMs: 400 });
      await short.start();
      try {
        // A dense graph whose layout takes far longer than 400 ms.
        const dense = 'flowchart TD\n' + Array.from({ length: 700 }, (_, i) => `  a${i % 90} --> b${(i * 7) % 97}`).join('\n');
        const result = await short.render(input(dense, 'light', 'svg'));
        expect(result).toMatchObject({ ok: false, error: { code: 'render_timeout' } });
        const after = await short.render(input('flowchart LR\n  A --> B', 'light', 'svg'));
        expect(after.ok).toBe(true);
      } finally {
        await short.close();
      }
    }, 30_000);
  });

  it('recycles pages and the browser after their render counts, without failing a render', async () => {
    const small = new Renderer({ chromiumPath: CHROMIUM, pages: 2, maxRendersPerPage: 3, maxRendersPerBrowser: 10, renderTimeoutMs: 5000 });
    await small.start();
    try {
      const results = await Promise.all(Array.from({ length: 25 }, (_, i) => small.render(input(`graph TD\n  R${i} --> S${i}`, 'light', 'svg'))));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(small.pool.restarts).toBeGreaterThanOrEqual(2);
    } finally {
      await small.close();
    }
  }, 120_000);

  it('produces byte-identical SVGs with and without the speed patches to mermaid, for every diagram type, theme and hostile source', async () => {
    const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    try {
      const sources = [...CORPUS.map((c) => c.source), ...HOSTILE.map((h) => h.source)];
      const render = async (stockMermaid: boolean) => {
        const page = await browser.newPage();
        await setupMermaidPage(page, { stockMermaid });
        const out: Array<{ svg: string; stockPass: string }> = [];
        for (const source of sources) {
          for (const theme of ['light', 'midnight'] as const) {
            // Some shapes jitter with Math.random (rough.js): seed it the same way in both pages.
            const result: any = await page.evaluate(async (text, config) => {
              let seed = 42;
              Math.random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
              const rendered = await (globalThis as any).__flowsmith.render(text, config);
              if (!rendered.ok) return { svg: `error: ${rendered.message}`, stockPass: '' };
              // The patched page skips mermaid's last DOMPurify pass over an SVG that holds nothing
              // it could remove. The same pass, by a fresh DOMPurify without the page's hooks:
              const purify = (globalThis as any).DOMPurify(globalThis);
              const stockPass = purify.sanitize(rendered.svg, { ADD_TAGS: ['foreignobject'], ADD_ATTR: ['dominant-baseline'], HTML_INTEGRATION_POINTS: { foreignobject: true } });
              return { svg: rendered.svg, stockPass };
            }, source, mermaidConfig(THEME_DEFINITIONS[theme]) as any);
            out.push(result);
          }
        }
        await page.close();
        return out;
      };
      const [patched, stock] = [await render(false), await render(true)];
      expect(patched.length).toBe(sources.length * 2);
      let skipped = 0;
      patched.forEach(({ svg, stockPass }, i) => {
        if (svg === stock[i].svg) return;
        // Only where the pass was skipped: what is left between the two is exactly that pass.
        skipped++;
        expect(stockPass).toBe(stock[i].svg);
      });
      // The gate did skip the pass (the point of it), and the hostile sources kept it.
      expect(skipped).toBeGreaterThan(CORPUS.length);
    } finally {
      await browser.close();
    }
  }, 90_000);

  it("copies mermaid's configuration exactly as mermaid's own merge does, into fresh objects every time", async () => {
    const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await setupMermaidPage(page);
      for (const theme of THEMES.map((t) => t.id)) {
        const findings: string[] = await page.evaluate(async (config) => {
          const g = globalThis as any;
          g.mermaid.initialize(config);
          await g.mermaid.render('probe', 'flowchart TD\n  A --> B');
          const current = g.mermaid.mermaidAPI.getConfig();
          const problems: string[] = [];
          // Compare structure, key order, values, prototypes and which objects are shared.
          const compare = (a: any, b: any, path: string, depth: number) => {
            if (typeof a !== 'object' || a === null) {
              if (!Object.is(a, b)) problems.push(`${path}: ${String(a)} vs ${String(b)}`);
              return;
            }
            if (typeof b !== 'object' || b === null) return void problems.push(`${path}: object vs ${String(b)}`);
            if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) problems.push(`${path}: prototypes differ`);
            if (Array.isArray(a) !== Array.isArray(b)) problems.push(`${path}: array vs object`);
            const [ka, kb] = [Object.keys(a), Object.keys(b)];
            if (ka.join('\u0000') !== kb.join('\u0000')) problems.push(`${path}: keys ${ka.length} vs ${kb.length}`);
            if (depth >= 3) {
              if (a !== b) problems.push(`${path}: mermaid shares this object, the copy does not`);
              return;
            }
            for (const key of ka) compare(a[key], b[key], `${path}.${key}`, depth + 1);
          };
          const fast = g.__fsGetConfig(current);
          const slow = g.__fsAssign({}, current, 2);
          compare(fast, slow, 'config', 0);
          compare(g.__fsCopy(current), slow, 'config (copy)', 0);
          // The site configuration, which updateCurrentConfig copies, is its own shape.
          const site = g.mermaid.mermaidAPI.getSiteConfig();
          compare(g.__fsCopy(site), g.__fsAssign({}, site, 2), 'site config', 0);
          // Two copies share nothing a caller may change (arrays and the first three levels).
          const again = g.__fsGetConfig(current);
          const shared = (a: any, b: any, path: string, depth: number): void => {
            if (typeof a !== 'object' || a === null || depth >= 3) return;
            if (a === b) problems.push(`${path}: the same object in two copies`);
            for (const key of Object.keys(a)) shared(a[key], b[key], `${path}.${key}`, depth + 1);
          };
          shared(fast, again, 'config', 0);
          fast.themeVariables.primaryColor = 'changed';
          fast.flowchart.nodeSpacing = -1;
          if (g.__fsGetConfig(current).themeVariables.primaryColor === 'changed') problems.push('a change to a copy reached the next copy');
          return problems;
        }, mermaidConfig(THEME_DEFINITIONS[theme]) as any);
        expect({ theme, findings }).toEqual({ theme, findings: [] });
      }
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('relaunches Chromium killed from outside, and the next render succeeds', async () => {
    const pid = renderer.pool.browserPid();
    expect(pid).toBeDefined();
    const restarts = renderer.pool.restarts;
    process.kill(pid!, 'SIGKILL');
    let result;
    for (let i = 0; i < 20; i++) {
      try {
        result = await renderer.render(input(CORPUS[3].source, 'print', 'svg'));
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 250)); // the render in flight fails; its job would be retried
      }
    }
    expect(result?.ok).toBe(true);
    expect(renderer.pool.restarts).toBe(restarts + 1);
    expect(renderer.pool.browserPid()).not.toBe(pid);
  }, 30_000);
});
