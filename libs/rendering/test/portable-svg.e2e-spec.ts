import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { Browser } from 'puppeteer';
import sharp from 'sharp';
import { RenderInput, SourceFormat, ThemeId } from '@flowsmith/contracts';
import { CHROMIUM_ARGS, isSafeSvg, Renderer, THEME_DEFINITIONS } from '../src';
import { clearSubsetCache, embedFonts } from '../src/svg/embed-fonts';

/**
 * Portable SVG (docs/fonts.md): an SVG rendered with embed_fonts looks the same in a Chromium
 * that has no Noto fonts at all (its own fontconfig file lists every font folder but Noto's) as
 * the plain SVG does in a Chromium with them. The same SVG without its fonts does not, so the
 * comparison can fail. Agreement as in the raster checks of issue 14: at most 0.25% of 4×4 pixel
 * blocks may differ by a mean of more than 24 levels.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FONT_ROOTS = ['/usr/share/fonts/truetype', '/usr/share/fonts/opentype', '/usr/share/fonts/type1'];
const BLOCK = 4;
const BLOCK_LEVELS = 24;
const MAX_DIFFERING_BLOCKS = 0.0025;

const SOURCES: Array<{ name: string; sourceFormat: SourceFormat; source: string }> = [
  {
    name: 'mermaid flowchart, 10 nodes',
    sourceFormat: 'mermaid',
    source:
      'flowchart TD\n  A[Customer signs up] --> B{Email verified?}\n  B -->|yes| C[Send welcome pack]\n  B -->|no| D[Send reminder]\n  D --> B\n' +
      '  C --> E[Create workspace] --> F[Invite team]\n  F --> G[(Accounts DB)]\n  E --> H[/Import data/] --> I[Run first report] --> J([Done])',
  },
  { name: 'mermaid bold label', sourceFormat: 'mermaid', source: 'flowchart LR\n  A["`**Bold** start`"] --> B["`plain *italic* end`"]' },
  { name: 'mermaid CJK label', sourceFormat: 'mermaid', source: 'flowchart LR\n  A[注文を受ける] --> B[支付成功] --> C[Ship it]' },
  { name: 'PlantUML sequence', sourceFormat: 'plantuml', source: '@startuml\nAlice -> Bob : hello 你好\nBob --> Alice : **bold** reply\nnote right of Bob : a note\n@enduml' },
  { name: 'draw.io flowchart', sourceFormat: 'drawio', source: readFileSync(join(__dirname, 'corpus/drawio/flowchart.drawio'), 'utf8') },
];
/** A light theme, and blueprint: dark, and the one with its own font list (MONO_STACK, whose Latin text Chromium draws in Noto Sans CJK SC). */
const THEMES: ThemeId[] = ['light', 'blueprint'];

/** A fontconfig file with every font folder of the machine except Noto's. */
function fontconfigWithoutNoto(dir: string): string {
  const dirs = FONT_ROOTS.flatMap((root) => {
    try {
      return readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory() && !/noto/i.test(entry.name)).map((entry) => join(root, entry.name));
    } catch {
      return [];
    }
  });
  const file = join(dir, 'fonts.conf');
  writeFileSync(
    file,
    `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n${dirs.map((d) => `  <dir>${d}</dir>`).join('\n')}\n` +
      `  <cachedir>${join(dir, 'cache')}</cachedir>\n  <include ignore_missing="yes">/etc/fonts/conf.d</include>\n</fontconfig>\n`,
  );
  return file;
}

/**
 * Chromium's drawing of an SVG, inline in a page of its size, once its fonts are loaded, and the
 * system fonts (not @font-face ones) it drew any <text> with, as DevTools reports them.
 */
async function draw(browser: Browser, svg: string, width: number, height: number, background: string): Promise<{ png: Buffer; systemFonts: string[] }> {
  const page = await browser.newPage();
  try {
    await page.setViewport({ width, height, deviceScaleFactor: 1 });
    await page.setContent(`<!doctype html><html><body style="margin:0;background:${background}">${svg}</body></html>`);
    await page.evaluate('document.fonts.ready');
    const failed = await page.evaluate('Promise.all([...document.fonts].map((f) => f.load().then(() => "", () => f.family))).then((r) => r.filter(Boolean))');
    expect(failed).toEqual([]);
    const png = Buffer.from(await page.screenshot({ clip: { x: 0, y: 0, width, height }, type: 'png' }));
    const session = await page.createCDPSession();
    await Promise.all([session.send('DOM.enable'), session.send('CSS.enable')]);
    const { root } = await session.send('DOM.getDocument', { depth: -1 });
    const { nodeIds } = await session.send('DOM.querySelectorAll', { nodeId: root.nodeId, selector: 'text' });
    const systemFonts = new Set<string>();
    for (const nodeId of nodeIds) {
      for (const font of (await session.send('CSS.getPlatformFontsForNode', { nodeId })).fonts) if (!font.isCustomFont) systemFonts.add(font.familyName);
    }
    await session.detach();
    return { png, systemFonts: [...systemFonts].sort() };
  } finally {
    await page.close();
  }
}

/** Share of 4×4 blocks whose mean difference over RGB passes 24 levels. */
async function differingBlocks(a: Buffer, b: Buffer): Promise<number> {
  const [left, right] = await Promise.all([a, b].map((png) => sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true })));
  const { width, height } = left.info;
  expect([right.info.width, right.info.height]).toEqual([width, height]);
  let differing = 0;
  let blocks = 0;
  for (let by = 0; by < height; by += BLOCK) {
    for (let bx = 0; bx < width; bx += BLOCK) {
      let sum = 0;
      let count = 0;
      for (let y = by; y < Math.min(by + BLOCK, height); y++) {
        for (let x = bx; x < Math.min(bx + BLOCK, width); x++) {
          const i = (y * width + x) * 3;
          sum += Math.abs(left.data[i] - right.data[i]) + Math.abs(left.data[i + 1] - right.data[i + 1]) + Math.abs(left.data[i + 2] - right.data[i + 2]);
          count += 3;
        }
      }
      blocks++;
      if (sum / count > BLOCK_LEVELS) differing++;
    }
  }
  return differing / blocks;
}

describe('Portable SVG: embedded fonts draw the same without Noto', () => {
  const renderer = new Renderer({ chromiumPath: CHROMIUM, pages: 1, maxRendersPerPage: 200, maxRendersPerBrowser: 2000, renderTimeoutMs: 15_000 });
  const temp = mkdtempSync(join(tmpdir(), 'flowsmith-portable-svg-'));
  let withNoto: Browser;
  let withoutNoto: Browser;

  beforeAll(async () => {
    const env = { ...process.env, FONTCONFIG_FILE: fontconfigWithoutNoto(temp) };
    [withNoto, withoutNoto] = await Promise.all([
      puppeteer.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
      puppeteer.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, env }),
      renderer.start(),
    ]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([withNoto?.close(), withoutNoto?.close(), renderer.close()]);
    rmSync(temp, { recursive: true, force: true });
  });

  const render = async (input: Omit<RenderInput, 'format' | 'scale' | 'watermark'>, embedFonts: boolean) => {
    const result = await renderer.render({ ...input, format: 'svg', scale: 1, watermark: true, embedFonts });
    if (!result.ok) throw new Error(result.error.message);
    return { svg: result.output.data.toString(), width: result.output.width, height: result.output.height };
  };

  it('the test Chromium really has no Noto: a plain Noto label draws differently there', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><text x="4" y="28" font-family="Noto Sans" font-size="20">Quick brown fox</text></svg>';
    const [there, missing] = [await draw(withNoto, svg, 200, 40, '#ffffff'), await draw(withoutNoto, svg, 200, 40, '#ffffff')];
    expect(there.systemFonts).toEqual(['Noto Sans']);
    expect(missing.systemFonts).not.toContain('Noto Sans');
    expect(await differingBlocks(there.png, missing.png)).toBeGreaterThan(MAX_DIFFERING_BLOCKS);
  });

  describe.each(THEMES)('%s theme', (theme) => {
    it.each(SOURCES)('$name', async ({ name, sourceFormat, source }) => {
      const background = THEME_DEFINITIONS[theme].background;
      const input = { source, sourceFormat, theme };
      const [plain, portable] = await Promise.all([render(input, false), render(input, true)]);
      expect(isSafeSvg(portable.svg)).toBe(true);
      expect(portable.svg).toContain('<style class="flowsmith-fonts">@font-face');
      expect([portable.width, portable.height]).toEqual([plain.width, plain.height]);

      const reference = await draw(withNoto, plain.svg, plain.width, plain.height, background);
      const embedded = await draw(withoutNoto, portable.svg, plain.width, plain.height, background);
      const unembedded = await draw(withoutNoto, plain.svg, plain.width, plain.height, background);
      // Every glyph comes from the embedded faces: no system font drew any text.
      expect(embedded.systemFonts).toEqual([]);
      const [withFonts, withoutFonts] = [await differingBlocks(reference.png, embedded.png), await differingBlocks(reference.png, unembedded.png)];
      if (process.env.PORTABLE_SVG_ARTIFACTS) {
        const base = join(process.env.PORTABLE_SVG_ARTIFACTS, `${theme}-${name.replace(/\W+/g, '-')}`);
        writeFileSync(`${base}-reference.png`, reference.png);
        writeFileSync(`${base}-embedded.png`, embedded.png);
        writeFileSync(`${base}-unembedded.png`, unembedded.png);
        writeFileSync(`${base}.svg`, portable.svg);
      }
      // The figures are in the message when it fails.
      expect({ withFonts, agrees: withFonts <= MAX_DIFFERING_BLOCKS }).toEqual({ withFonts, agrees: true });
      expect({ withoutFonts, differs: withoutFonts > MAX_DIFFERING_BLOCKS }).toEqual({ withoutFonts, differs: true });
    });
  });

  it('measures what embedding costs: a 10-node flowchart and a CJK label (medians of 5)', async () => {
    const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1];
    const lines: string[] = [];
    for (const { name, sourceFormat, source } of [SOURCES[0], SOURCES[2]]) {
      const { svg } = await render({ source, sourceFormat, theme: 'light' }, false);
      const misses: number[] = [];
      const hits: number[] = [];
      let result = await embedFonts(svg);
      for (let i = 0; i < 5; i++) {
        clearSubsetCache(); // a miss: the subsets are cut again (the font files stay loaded, as in a running worker)
        let started = performance.now();
        result = await embedFonts(svg);
        misses.push(performance.now() - started);
        started = performance.now();
        await embedFonts(svg);
        hits.push(performance.now() - started);
      }
      const faces = result.faces.map((face) => `${face.source.family} ${face.weight}: ${face.characters} chars, ${(face.bytes / 1024).toFixed(1)} KB`).join('; ');
      lines.push(`${name}: +${(result.addedBytes / 1024).toFixed(1)} KB on ${(Buffer.byteLength(svg) / 1024).toFixed(1)} KB (${faces}); ${median(misses).toFixed(1)} ms cut, ${median(hits).toFixed(1)} ms cached`);
      expect(result.addedBytes).toBeLessThan(20 * 1024);
    }
    process.stdout.write(`portable SVG cost:\n  ${lines.join('\n  ')}\n`);
  });
});
