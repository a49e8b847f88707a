import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { XMLValidator } from 'fast-xml-parser';
import sharp from 'sharp';
import { ImageFormat, MermaidLayout, MermaidLook, RenderInput, THEMES, ThemeId } from '@flowsmith/contracts';
import puppeteer from 'puppeteer';
import { CHROMIUM_ARGS, isSafeSvg, mermaidConfig, Renderer, setupMermaidPage, THEME_DEFINITIONS } from '../src';
import { checkMermaidBundle } from '../src/mermaid/bundle-check';
import { DEFAULT_MERMAID_LAYOUT, DEFAULT_MERMAID_LOOK, HAND_DRAWN_SEED, LAYOUT_SECTIONS } from '../src/mermaid/mermaid-engine';
import { CORPUS, HOSTILE, LABEL_MARKUP, MERMAID_12_CORPUS } from './corpus';
import { differingPixels, finishedSvgProblems, drawnByRenderer, structuralFindings, withoutText } from './svg-checks';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The themes the per-type checks run in; quality-gate.e2e-spec.ts covers every theme. */
const CHECKED_THEMES: ThemeId[] = ['light', 'dark'];

describe('Renderer (real Chromium, mermaid, sharp)', () => {
  const renderer = new Renderer({ chromiumPath: CHROMIUM, pages: 2, maxRendersPerPage: 200, maxRendersPerBrowser: 2000, renderTimeoutMs: 15_000, rasterWarm: true });
  const input = (source: string, theme: ThemeId, format: ImageFormat, extra: Partial<RenderInput> = {}): RenderInput => ({
    source, sourceFormat: 'mermaid', theme, format, scale: 1, watermark: false, ...extra,
  });

  beforeAll(() => renderer.start(), 90_000);
  afterAll(() => renderer.close());

  describe.each(CORPUS)('$type', ({ type, source, labels }) => {
    // In one light and one dark theme: quality-gate.e2e-spec.ts renders the corpus in every theme
    // and checks each SVG (well-formed, safe, its labels as text, the theme's canvas), and
    // raster-fidelity.e2e-spec.ts compares rasters with Chromium's drawing in every theme.
    it.each(CHECKED_THEMES)('renders in %s to a valid, safe SVG and a PNG with its labels drawn', async (theme) => {
      const svg = await renderer.render(input(source, theme, 'svg'));
      if (!svg.ok) throw new Error(svg.error.message);
      const text = svg.output.data.toString();
      expect(svg.output.diagramType).toBe(type);
      expect(finishedSvgProblems(text, theme)).toEqual([]);
      for (const label of labels) expect(text).toContain(label);

      const png = await renderer.render(input(source, theme, 'png', { scale: 2 }));
      if (!png.ok) throw new Error(png.error.message);
      const meta = await sharp(png.output.data).metadata();
      expect(meta.format).toBe('png');
      expect([meta.width, meta.height]).toEqual([svg.output.width * 2, svg.output.height * 2]);
      expect([png.output.width, png.output.height]).toEqual([meta.width, meta.height]);
      // The labels are drawn: the PNG differs from one made of the same SVG with its text removed.
      const blank = await drawnByRenderer(renderer, withoutText(text), svg.output.width, svg.output.height, 2, THEME_DEFINITIONS[theme].background);
      expect(await differingPixels(png.output.data, blank)).toBeGreaterThan(200 * labels.length);
    });
  });

  describe('Mermaid 12 diagram types', () => {
    // The words of the SVG's <text> elements, as a reader sees them (tspans joined).
    const textOf = (svg: string) => [...svg.matchAll(/<text\b[^>]*>([\s\S]*?)<\/text>/g)].map((m) => m[1].replace(/<[^>]+>/g, '')).join(' | ');

    it.each(MERMAID_12_CORPUS)('$name renders in light and dark as type $type, its labels drawn as SVG text', async ({ type, source, labels }) => {
      for (const theme of CHECKED_THEMES) {
        const svg = await renderer.render(input(source, theme, 'svg'));
        if (!svg.ok) throw new Error(`${theme}: ${svg.error.message}`);
        const text = svg.output.data.toString();
        expect({ theme, type: svg.output.diagramType }).toEqual({ theme, type });
        expect(XMLValidator.validate(text)).toBe(true);
        expect(isSafeSvg(text)).toBe(true);
        expect(text).not.toContain('<foreignObject');
        const words = textOf(text);
        for (const label of labels) expect({ theme, label, drawn: words.includes(label) }).toEqual({ theme, label, drawn: true });
        // Drawn where they can be seen: the PNG differs from one of the same SVG without its text.
        const png = await renderer.render(input(source, theme, 'png'));
        if (!png.ok) throw new Error(`${theme} png: ${png.error.message}`);
        const blank = await drawnByRenderer(renderer, withoutText(text), svg.output.width, svg.output.height, 1, THEME_DEFINITIONS[theme].background);
        expect({ theme, visible: (await differingPixels(png.output.data, blank)) > 40 * labels.length }).toEqual({ theme, visible: true });
      }
    });
  });

  describe('layout and look', () => {
    const flowchart = CORPUS[0].source;
    const svgOf = async (source: string, extra: Partial<RenderInput> = {}) => {
      const result = await renderer.render(input(source, 'light', 'svg', extra));
      if (!result.ok) throw new Error(result.error.message);
      // Without the render's own id (fs<n>), which every render changes.
      return result.output.data.toString().replace(/\bfs\d+(?!\d)/g, 'fsN');
    };
    // The looks the elements were drawn with (the style sheet names them all in its selectors).
    const looks = (svg: string) => [...new Set([...svg.replace(/<style\b[\s\S]*?<\/style>/g, '').matchAll(/data-look="(\w+)"/g)].map((m) => m[1]))];

    it('has dagre and classic as its defaults, for every type that lays out with them, and a fixed hand-drawn seed', () => {
      expect([DEFAULT_MERMAID_LAYOUT, DEFAULT_MERMAID_LOOK]).toEqual(['dagre', 'classic']);
      const config = mermaidConfig(THEME_DEFINITIONS.light) as Record<string, any>;
      expect(config.look).toBe('classic');
      for (const section of LAYOUT_SECTIONS) expect({ section, layout: config[section].layout }).toEqual({ section, layout: 'dagre' });
      // Not a top-level layout: mindmap would take it as its own instead of cose-bilkent.
      expect(config.layout).toBeUndefined();
      expect(config.handDrawnSeed).toBe(HAND_DRAWN_SEED);
      expect(config.handDrawnSeed).not.toBe(0);
      expect(config.secure).toContain('handDrawnSeed');
      expect(config.secure).not.toContain('look');
      expect((mermaidConfig(null, { look: 'neo', layout: 'elk' }) as any).secure).toEqual(expect.arrayContaining(['look', 'layout']));
    });

    it('draws each look and layout the caller asks for', async () => {
      const classic = await svgOf(flowchart);
      expect(looks(classic)).toEqual(['classic']);
      expect(looks(await svgOf(flowchart, { look: 'neo' }))).toEqual(['neo']);
      const hand = await svgOf(flowchart, { look: 'handDrawn' });
      expect(looks(hand)).toEqual(['handDrawn']);
      const elk = await svgOf(flowchart, { layout: 'elk' });
      expect(elk === classic).toBe(false);
      expect((await svgOf(flowchart, { layout: 'dagre' })) === classic).toBe(true);
      for (const { type, source } of [CORPUS[2], CORPUS[3], CORPUS[4], MERMAID_12_CORPUS[0]]) {
        expect({ type, differs: (await svgOf(source, { layout: 'elk' })) !== (await svgOf(source, { layout: 'dagre' })) }).toEqual({ type, differs: true });
      }
    });

    it('draws the hand-drawn look the same every time, on any page', async () => {
      const sources = [flowchart, CORPUS[3].source];
      const first = await Promise.all(sources.map((source) => svgOf(source, { look: 'handDrawn' })));
      const again = await Promise.all(sources.map((source) => svgOf(source, { look: 'handDrawn' })));
      expect(again.map((svg, i) => svg === first[i])).toEqual([true, true]);
      // A diagram cannot ask for rough.js's random seed (0) back.
      expect((await svgOf(`%%{init: {"handDrawnSeed": 0}}%%\n${flowchart}`, { look: 'handDrawn' })) === first[0]).toBe(true);
    });

    it('lays out a flowchart-elk source with ELK unless the caller names a layout', async () => {
      const box = (svg: string) => /viewBox="([^"]*)"/.exec(svg)?.[1];
      const elkKeyword = `%% a comment\n${flowchart.replace(/^flowchart/, 'flowchart-elk')}`;
      expect(box(await svgOf(elkKeyword))).toBe(box(await svgOf(flowchart, { layout: 'elk' })));
      expect(box(await svgOf(elkKeyword, { layout: 'dagre' }))).toBe(box(await svgOf(flowchart)));
      expect(box(await svgOf(flowchart, { layout: 'elk' }))).not.toBe(box(await svgOf(flowchart)));
    });

    it("lets a diagram's own config choose only what the caller left open", async () => {
      const initLook = `%%{init: {"look": "neo", "flowchart": {"look": "neo"}}}%%\n${flowchart}`;
      const frontmatter = `---\nconfig:\n  look: handDrawn\n  layout: elk\n---\n${flowchart}`;
      expect(looks(await svgOf(initLook))).toEqual(['neo']);
      expect(looks(await svgOf(initLook, { look: 'classic' }))).toEqual(['classic']);
      expect(looks(await svgOf(frontmatter))).toEqual(['handDrawn']);
      expect(looks(await svgOf(frontmatter, { look: 'classic' }))).toEqual(['classic']);
      // The layout the caller names beats the frontmatter's; left open, the frontmatter's wins.
      expect((await svgOf(frontmatter, { look: 'classic', layout: 'dagre' })) === (await svgOf(flowchart))).toBe(true);
      expect((await svgOf(frontmatter, { look: 'classic' })) === (await svgOf(flowchart, { layout: 'elk' }))).toBe(true);
    });
  });

  describe('<b>, <i> and <br> in labels', () => {
    it.each(LABEL_MARKUP)('$type: bold and italic tspans, line breaks, no literal tags', async ({ source, bold, italic }) => {
      const result = await renderer.render(input(source, 'light', 'svg'));
      if (!result.ok) throw new Error(result.error.message);
      const svg = result.output.data.toString();
      expect(svg).not.toMatch(/&lt;\/?(b|i|strong|em|br)\b/i);
      for (const word of bold) expect({ word, bold: new RegExp(`<tspan[^>]*font-weight="bold"[^>]*>\\s?${word}\\b`).test(svg) }).toEqual({ word, bold: true });
      for (const word of italic) expect({ word, italic: new RegExp(`<tspan[^>]*font-style="italic"[^>]*>\\s?${word}\\b`).test(svg) }).toEqual({ word, italic: true });
      if (source.includes('<br>')) expect(svg).toMatch(/>\s?(second|two)\b/);
      expect(isSafeSvg(svg)).toBe(true);
    });

    it('measures a bold label as drawn: its node as wide as the words, not the tags', async () => {
      const width = async (label: string) => {
        const result = await renderer.render(input(`flowchart LR\n  A["${label}"]`, 'light', 'svg'));
        if (!result.ok) throw new Error(result.error.message);
        return result.output.width;
      };
      const [plain, bold] = [await width('Quarterly revenue'), await width('<b>Quarterly revenue</b>')];
      // Bold is a little wider than regular; the tags as text would add ~50 px.
      expect(bold).toBeGreaterThanOrEqual(plain);
      expect(bold - plain).toBeLessThan(15);
    });

    it('keeps tags other than b, strong, i, em and br out, and handlers off the bold ones', async () => {
      const source = 'flowchart LR\n  A["<b onmouseover=alert(1)>x</b> <img src=x onerror=alert(2)><script>alert(3)</script>"] --> B["<i style=\'fill:url(http://attacker.test/)\'>y</i>"]';
      const result = await renderer.render(input(source, 'light', 'svg'));
      if (!result.ok) throw new Error(result.error.message);
      const svg = result.output.data.toString();
      expect(isSafeSvg(svg)).toBe(true);
      expect(structuralFindings(svg)).toEqual([]);
      // What is left of other tags is text (an escaped "<img>" label), and b and i carry no attributes.
      expect(svg).not.toMatch(/<(img|script|b|i)\b|\son\w+=/i);
      expect(svg).toMatch(/font-weight="bold"[^>]*>x</);
      expect(svg).toMatch(/font-style="italic"[^>]*>y</);
    });
  });

  describe('check:mermaid (scripts/check-mermaid-patches.mjs)', () => {
    const bundle = readFileSync(require.resolve('mermaid/dist/mermaid.min.js'), 'utf8');

    it('passes the installed mermaid: every patch matches, every detector is named', () => {
      const result = checkMermaidBundle(bundle);
      expect(result.patches.filter((patch) => !patch.ok)).toEqual([]);
      expect(result.unnamedDetectors).toEqual([]);
      expect(result.detectors).toEqual(expect.arrayContaining(['usecase', 'agentflow', 'venn', 'ishikawa', 'treeView', 'wardley', 'swimlane', 'er', 'pie', 'c4']));
    });

    it('names the patch whose site an upgrade mangled, and a detector it does not know', async () => {
      const mangled = bundle.replace('"sanitizeText")', '"sanitizeTxt")').replace('.replace("<br>","<br/>")', '.replace("<br>","<br />")').replace('{id:"er",detector:', '{id:"erd",detector:');
      const result = checkMermaidBundle(mangled);
      expect(result.patches.filter((patch) => !patch.ok).map((patch) => patch.name)).toEqual(['sanitizeText', 'createText tags']);
      expect(result.unnamedDetectors).toEqual(['erd']);
      // The script says the same, and fails.
      const file = join(tmpdir(), `mangled-mermaid-${process.pid}.js`);
      writeFileSync(file, mangled);
      const run = await promisify(execFile)('node', [join(__dirname, '../../../scripts/check-mermaid-patches.mjs'), file]).then(
        () => ({ code: 0, stdout: '' }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
      );
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/MISMATCH\s+speed\s+sanitizeText/);
      expect(run.stdout).toMatch(/MISMATCH\s+label\s+createText tags/);
      expect(run.stdout).toMatch(/not named in diagram-types.ts: erd/);
    }, 90_000);
  });

  it('draws Latin, CJK and emoji labels in both formats', async () => {
    const source = 'flowchart LR\n  A[Grüße 🚀] --> B[日本語のラベル] --> C[한국어 中文]';
    const svg = await renderer.render(input(source, 'light', 'svg'));
    if (!svg.ok) throw new Error(svg.error.message);
    for (const label of ['Grüße', '🚀', '日本語のラベル', '한국어', '中文']) expect(svg.output.data.toString()).toContain(label);
    const png = await renderer.render(input(source, 'light', 'png'));
    if (!png.ok) throw new Error(png.error.message);
    const blank = await drawnByRenderer(renderer, withoutText(svg.output.data.toString()), svg.output.width, svg.output.height, 1, '#ffffff');
    expect(await differingPixels(png.output.data, blank)).toBeGreaterThan(1000);
  });

  it('draws a PDF of one page the size of the drawing: vector, its fonts embedded, in light and dark', async () => {
    const source = 'flowchart LR\n  A[Grüße Start] --> B{Ok?} --> C[日本語]';
    for (const theme of ['light', 'dark'] as const) {
      const svg = await renderer.render(input(source, theme, 'svg'));
      // A scale asked for is ignored: a PDF is vector.
      const pdf = await renderer.render(input(source, theme, 'pdf', { scale: 2 }));
      if (!svg.ok || !pdf.ok) throw new Error('render failed');
      expect(pdf.output.contentType).toBe('application/pdf');
      expect([pdf.output.width, pdf.output.height]).toEqual([svg.output.width, svg.output.height]);
      const text = pdf.output.data.toString('latin1');
      expect(text.startsWith('%PDF-')).toBe(true);
      expect(text.match(/\/Type\s*\/Page\b/g)).toHaveLength(1);
      // The page is the drawing's size: CSS pixels at 96 per inch, in points.
      const [, , , w, h] = /\/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)/.exec(text)!.map(Number);
      expect(Math.abs(w - svg.output.width * 0.75)).toBeLessThan(1);
      expect(Math.abs(h - svg.output.height * 0.75)).toBeLessThan(1);
      // Text as embedded fonts (Latin and CJK), not a picture.
      expect(text).toMatch(/\/FontFile[23]?/);
      expect(text).not.toMatch(/\/Subtype\s*\/Image/);
    }
  });

  it('draws on the canvas asked for: none (transparent), a colour, or the theme\'s', async () => {
    const source = 'flowchart LR\n  A[Canvas] --> B[Test]';
    const corner = async (data: Buffer) => Array.from((await sharp(data).ensureAlpha().extract({ left: 0, top: 0, width: 1, height: 1 }).raw().toBuffer()).values());
    const transparent = await renderer.render(input(source, 'dark', 'png', { background: 'transparent' }));
    const red = await renderer.render(input(source, 'light', 'webp', { background: '#ff0000' }));
    const jpeg = await renderer.render(input(source, 'dark', 'jpeg', { background: 'transparent' }));
    const themed = await renderer.render(input(source, 'dark', 'png'));
    const svg = await renderer.render(input(source, 'dark', 'svg', { background: 'transparent' }));
    const coloured = await renderer.render(input(source, 'light', 'svg', { background: '#123456' }));
    if (!transparent.ok || !red.ok || !jpeg.ok || !themed.ok || !svg.ok || !coloured.ok) throw new Error('render failed');
    expect((await corner(transparent.output.data))[3]).toBe(0);
    const [r, g, b] = await corner(red.output.data);
    expect(r).toBeGreaterThan(240);
    expect(g + b).toBeLessThan(20);
    // A JPEG has no alpha: the theme's canvas (within JPEG's few levels).
    const [jpegCorner, themedCorner] = [await corner(jpeg.output.data), await corner(themed.output.data)];
    expect(jpegCorner.every((value, channel) => Math.abs(value - themedCorner[channel]) <= 6)).toBe(true);
    // The dark theme's canvas is not painted into a transparent SVG; a colour is, in any theme.
    expect(svg.output.data.toString()).not.toContain(`fill="${THEME_DEFINITIONS.dark.background}"/>`);
    expect(coloured.output.data.toString()).toContain('fill="#123456"/>');
    // The labels are drawn on it.
    expect(await differingPixels(transparent.output.data, themed.output.data)).toBeGreaterThan(100);
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
    const unmarked = await drawnByRenderer(renderer, marked.output.data.toString().replace(/<text[^>]*flowsmith-watermark[^>]*>[^<]*<\/text>/, ''), marked.output.width, marked.output.height, 1, THEME_DEFINITIONS.modern.background);
    expect(await differingPixels(markedPng.output.data, unmarked)).toBeGreaterThan(50);
  });

  it('writes text (txt, utxt) with the watermark as its last line only when asked', async () => {
    const source = 'flowchart LR\n  Docs[Write docs] --> Ship[Ship them]';
    const plain = await renderer.render(input(source, 'light', 'utxt'));
    const marked = await renderer.render(input(source, 'light', 'txt', { watermark: true }));
    if (!plain.ok || !marked.ok) throw new Error('render failed');
    expect(plain.output.contentType).toBe('text/plain; charset=utf-8');
    expect(plain.output.data.toString()).toContain('Write docs');
    expect(plain.output.data.toString()).not.toContain('Flowsmith');
    expect(marked.output.data.toString().trimEnd()).toMatch(/\n-- Made with Flowsmith$/);
    expect(marked.output.data.toString()).not.toMatch(/[\u0080-\uffff]/);
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
      // 1.5 s: the replacement page's first render must fit in it on a busy machine (400 ms did not).
      const short = new Renderer({ chromiumPath: CHROMIUM, pages: 1, maxRendersPerPage: 100, maxRendersPerBrowser: 1000, renderTimeoutMs: 1500 });
      await short.start();
      try {
        // A dense graph whose layout takes far longer than 1.5 s.
        const dense = 'flowchart TD\n' + Array.from({ length: 1800 }, (_, i) => `  a${i % 120} --> b${(i * 7) % 131}`).join('\n');
        const result = await short.render(input(dense, 'light', 'svg'));
        expect(result).toMatchObject({ ok: false, error: { code: 'render_timeout' } });
        const after = await short.render(input('flowchart LR\n  A --> B', 'light', 'svg'));
        expect(after.ok).toBe(true);
      } finally {
        await short.close();
      }
    }, 90_000);
  });

  it('recycles pages and the browser after their render counts, without failing a render', async () => {
    const small = new Renderer({ chromiumPath: CHROMIUM, pages: 1, maxRendersPerPage: 2, maxRendersPerBrowser: 4, renderTimeoutMs: 5000 });
    await small.start();
    try {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => small.render(input(`graph TD\n  R${i} --> S${i}`, 'light', 'svg'))));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(small.pool.restarts).toBeGreaterThanOrEqual(2);
    } finally {
      await small.close();
    }
  }, 120_000);

  it('produces byte-identical SVGs with and without the speed patches to mermaid, for every diagram type, theme, layout, look and hostile source', async () => {
    const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    try {
      const cases: Array<{ source: string; choices?: { layout?: MermaidLayout; look?: MermaidLook } }> = [
        ...[...CORPUS, ...MERMAID_12_CORPUS, ...LABEL_MARKUP, ...HOSTILE].map(({ source }) => ({ source })),
        ...(['neo', 'handDrawn'] as const).map((look) => ({ source: CORPUS[0].source, choices: { look } })),
        ...[CORPUS[0], CORPUS[2], CORPUS[3], CORPUS[4]].map(({ source }) => ({ source, choices: { layout: 'elk' as const, look: 'neo' as const } })),
      ];
      const render = async (withoutSpeedPatches: boolean) => {
        const page = await browser.newPage();
        await setupMermaidPage(page, { withoutSpeedPatches });
        const out: Array<{ svg: string; stockPass: string }> = [];
        for (const { source, choices } of cases) {
          for (const theme of ['light', 'midnight'] as const) {
            // Some shapes jitter with Math.random (rough.js): seed it the same way in both pages.
            const result: any = await page.evaluate(async (text, config) => {
              let seed = 42;
              Math.random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
              const rendered = await (globalThis as any).__flowsmith.render(text, config, true);
              if (!rendered.ok) return { svg: `error: ${rendered.message}`, stockPass: '' };
              // The patched page skips mermaid's last DOMPurify pass over an SVG that holds nothing
              // it could remove. The same pass, by a fresh DOMPurify without the page's hooks:
              const purify = (globalThis as any).DOMPurify(globalThis);
              const stockPass = purify.sanitize(rendered.mermaidSvg, { ADD_TAGS: ['foreignobject'], ADD_ATTR: ['dominant-baseline'], HTML_INTEGRATION_POINTS: { foreignobject: true } });
              return { svg: rendered.mermaidSvg, stockPass };
            }, source, mermaidConfig(THEME_DEFINITIONS[theme], choices) as any);
            out.push(result);
          }
        }
        await page.close();
        return out;
      };
      const [patched, stock] = [await render(false), await render(true)];
      expect(patched.length).toBe(cases.length * 2);
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
  }, 120_000);

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
  }, 90_000);
});
