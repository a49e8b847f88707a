import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { RenderInput, SourceFormat, THEMES, ThemeId } from '@flowsmith/contracts';
import { Renderer, THEME_DEFINITIONS } from '../src';
import { CORPUS_FORMATS, TEXT_AS_OUTLINES } from './corpus';
import { differingPixels, finishedSvgProblems, drawnByRenderer, withoutText } from './svg-checks';

/**
 * The corpus of every format but mermaid (libs/rendering/test/corpus/<format>/), through the whole
 * Renderer as the worker runs it: engine, SVG step, finish, safety check and rasterizing.
 */
const FORMATS = CORPUS_FORMATS.filter(({ format }) => format !== 'mermaid');

function corpus(format: SourceFormat, extension: RegExp) {
  const dir = join(__dirname, 'corpus', format);
  const labels = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as Record<string, string[]>;
  const files = readdirSync(dir).filter((file) => extension.test(file)).sort();
  return files.map((file) => ({ file, source: readFileSync(join(dir, file), 'utf8'), labels: labels[file] ?? [] }));
}

/** The text a reader sees: every text node, entities decoded, whitespace collapsed. */
function visibleText(svg: string): string {
  const decode = (text: string) =>
    text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;|&apos;/g, "'").replace(/&#(x?)([0-9a-f]+);/gi, (_, hex, code) => String.fromCodePoint(Number.parseInt(code, hex ? 16 : 10))).replace(/&amp;/g, '&');
  return [...svg.matchAll(/<(text|tspan|textPath)\b[^>]*>([^<]*)/g)].map((match) => decode(match[2])).join(' ').replace(/\s+/g, ' ');
}

/** Where contact sheets go: test-artifacts/ at the repository root (git-ignored), kept by CI. */
const ARTIFACTS = join(__dirname, '../../../test-artifacts');
const CELL = 240;

/**
 * A contact sheet of one format: a row per corpus file, a column per theme drawn, each PNG scaled to fit
 * a cell on its theme's background; what a person looks at after any change to rendering.
 */
async function contactSheet(format: string, pngs: Map<string, Buffer>, files: string[]): Promise<void> {
  // The themes drawn here (light and dark); quality-gate.e2e-spec.ts keeps a sheet of every theme.
  const themes = THEMES.map((theme) => theme.id).filter((theme) => files.some((file) => pngs.has(`${file}|${theme}`)));
  const cells = await Promise.all(
    files.flatMap((file, row) =>
      themes.map(async (theme, column) => {
        const png = pngs.get(`${file}|${theme}`);
        if (!png) return null;
        const input = await sharp(png).resize(CELL - 8, CELL - 8, { fit: 'inside', background: THEME_DEFINITIONS[theme].background }).toBuffer();
        return { input, left: column * CELL + 4, top: row * CELL + 4 };
      }),
    ),
  );
  mkdirSync(ARTIFACTS, { recursive: true });
  await sharp({ create: { width: themes.length * CELL, height: files.length * CELL, channels: 3, background: '#808080' } })
    .composite(cells.filter((cell): cell is NonNullable<typeof cell> => cell !== null))
    .png()
    .toFile(join(ARTIFACTS, `corpus-${format}.png`));
}

// One Renderer for every format (its Chromium, JVM and raster processes start once), as in the worker.
const renderer = new Renderer({ chromiumPath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', pages: 2, maxRendersPerPage: 200, maxRendersPerBrowser: 2000, renderTimeoutMs: 8000, rasterWarm: true });
beforeAll(() => renderer.start(), 60_000);
afterAll(() => renderer.close());

describe.each(FORMATS)('$format corpus through the Renderer', ({ format, extension }) => {
  const input = (source: string, theme: ThemeId, output: 'svg' | 'png', extra: Partial<RenderInput> = {}): RenderInput => ({
    source, sourceFormat: format, theme, format: output, scale: 1, watermark: false, ...extra,
  });
  const files = corpus(format, extension);

  const pngs = new Map<string, Buffer>();

  afterAll(() => contactSheet(format, pngs, files.map((f) => f.file)));

  it('has a corpus with labels for every file', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const { file, labels } of files) expect([file, labels.length >= 2 || TEXT_AS_OUTLINES.has(format)]).toEqual([file, true]);
  });

  describe.each(files)('$file', ({ file, source, labels }) => {
    it('parses, naming its diagram type', async () => {
      const parsed = await renderer.parse(source, format);
      if (!parsed.ok) throw new Error(parsed.error.message);
      expect(parsed.diagramType).toMatch(new RegExp(`^${format}`));
    });

    // In one light and one dark theme: quality-gate.e2e-spec.ts renders the corpus in every theme
    // and checks each SVG, and raster-fidelity.e2e-spec.ts compares rasters with Chromium's drawing.
    it.each(['light', 'dark'] as ThemeId[])('renders in %s to a safe SVG and a PNG of its size, its labels drawn', async (theme) => {
      const svg = await renderer.render(input(source, theme, 'svg'));
      if (!svg.ok) throw new Error(svg.error.message);
      const text = svg.output.data.toString();
      expect(finishedSvgProblems(text, theme)).toEqual([]);
      for (const label of labels) expect(visibleText(text)).toContain(label);

      const png = await renderer.render(input(source, theme, 'png'));
      if (!png.ok) throw new Error(png.error.message);
      const meta = await sharp(png.output.data).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', svg.output.width, svg.output.height]);
      pngs.set(`${file}|${theme}`, png.output.data);
      // The labels are drawn: the PNG differs from one made of the same SVG with its text removed.
      const blank = await drawnByRenderer(renderer, withoutText(text), svg.output.width, svg.output.height, 1, THEME_DEFINITIONS[theme].background);
      // (Text drawn as outlines is no text to remove: there the drawing is compared with nothing at all.)
      const against = TEXT_AS_OUTLINES.has(format) ? await drawnByRenderer(renderer, '<svg xmlns="http://www.w3.org/2000/svg"/>', svg.output.width, svg.output.height, 1, THEME_DEFINITIONS[theme].background) : blank;
      expect(await differingPixels(png.output.data, against)).toBeGreaterThan(40 * Math.max(1, labels.length));
    });
  });
});
