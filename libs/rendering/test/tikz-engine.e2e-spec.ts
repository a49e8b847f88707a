import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { assertSafeSvg, finishSvg } from '../src/svg/finish-svg';
import { sanitizeSvg } from '../src/svg/sanitize-svg';
import { THEME_DEFINITIONS, themePalette, type ThemeDefinition } from '../src/themes';
import { TikzEngine } from '../src/tikz/tikz-engine';

/**
 * TikZ through Debian's TeX (latex, dvisvgm): the corpus in light and dark themes, bare pictures
 * and whole documents, TeX's errors with the user's line, and hostile sources, which are refused
 * before TeX runs or meet TeX's own walls (kpathsea's paranoid mode, no shell escape, the deadline).
 */
const CORPUS_DIR = join(__dirname, 'corpus/tikz');
const LABELS: Record<string, string[]> = JSON.parse(readFileSync(join(CORPUS_DIR, 'labels.json'), 'utf8'));
const CORPUS = Object.keys(LABELS).map((file) => ({ file, source: readFileSync(join(CORPUS_DIR, file), 'utf8') }));
const LOOKED_AT = ['light', 'dark', 'blueprint'].map((id) => [id, THEME_DEFINITIONS[id as keyof typeof THEME_DEFINITIONS]] as const);
const LIGHT = THEME_DEFINITIONS.light;
const DARK = THEME_DEFINITIONS.dark;

const PICTURE = '\\begin{tikzpicture}\n  \\node[draw, rounded corners] (a) {Queue};\n  \\node[draw] (b) at (3,0) {Worker};\n  \\draw[->] (a) -- (b);\n\\end{tikzpicture}';
const DOCUMENT = `\\documentclass[tikz, border=2pt]{standalone}\n\\begin{document}\n${PICTURE}\n\\end{document}\n`;

/** What a served SVG goes through after the engine: the finish (size, canvas) and the safety check. */
function served(drawn: { svg: string; diagramType: string; viewBox: [number, number, number, number] }, theme: ThemeDefinition): string {
  const finished = finishSvg({ ...drawn, svg: sanitizeSvg(drawn.svg, { optimise: false }).svg }, theme, { watermark: true });
  assertSafeSvg(finished.svg);
  expect(XMLValidator.validate(finished.svg)).toBe(true);
  return finished.svg;
}

/** An attribute with a colour as dvisvgm writes it: `#fff` for `#ffffff`, in lower case. */
function colour(attribute: string, hex: string): RegExp {
  const long = hex.toLowerCase();
  const short = /^#(.)\1(.)\2(.)\3$/.exec(long);
  return new RegExp(`${attribute}="(${long}${short ? `|#${short[1]}${short[2]}${short[3]}` : ''})"`);
}

async function renderOk(engine: TikzEngine, source: string, theme = LIGHT) {
  const result = await engine.render(source, theme);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

async function failure(engine: TikzEngine, source: string, theme = LIGHT) {
  const result = await engine.render(source, theme);
  if (result.ok) throw new Error('expected the render to fail');
  return result.error;
}

describe('TikzEngine (Debian TeX)', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'tikz-spec-'));
  const engine = new TikzEngine({ timeoutMs: 20_000, workDir });

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('has labels.json for every corpus file', () => {
    expect(Object.keys(LABELS).sort()).toEqual(readdirSync(CORPUS_DIR).filter((file) => file.endsWith('.tex')).sort());
    expect(CORPUS.length).toBeGreaterThanOrEqual(3);
  });

  describe.each(CORPUS)('$file', ({ source }) => {
    it.each(LOOKED_AT)('renders in %s: glyphs as paths, in the theme, safe', async (_id, theme) => {
      const drawn = await renderOk(engine, source, theme);
      expect(drawn.diagramType).toMatch(/^(tikzpicture|pgfplots)$/);
      expect(drawn.viewBox[2]).toBeGreaterThan(100);
      expect(drawn.viewBox[3]).toBeGreaterThan(100);
      // Text is drawn as glyph outlines: <use> of <path>s, no <text> and no fonts to fetch.
      expect(drawn.svg).toMatch(/<use\b[^>]*href="#tikz-[0-9a-f]{8}-/);
      expect(drawn.svg).not.toMatch(/<text\b|@font-face/);
      const palette = themePalette(theme);
      expect(drawn.svg).toMatch(colour('fill', palette.text));
      expect(drawn.svg).toMatch(colour('stroke', palette.line));
      const svg = served(drawn, theme);
      if (theme.tone === 'dark') expect(svg).toContain(`fill="${theme.background}"`);
    });
  });

  it('draws a bare picture as the same picture in a whole document', async () => {
    const bare = await renderOk(engine, PICTURE);
    const whole = await renderOk(engine, DOCUMENT);
    expect(bare.diagramType).toBe('tikzpicture');
    expect(whole.diagramType).toBe('tikzpicture');
    // The default border is 4pt a side, the document asks for 2pt: 4pt (5.33 px) less in each direction.
    expect(bare.viewBox[2] - whole.viewBox[2]).toBeCloseTo(16 / 3, 0);
    expect(bare.viewBox[3] - whole.viewBox[3]).toBeCloseTo(16 / 3, 0);
    served(bare, LIGHT);
  });

  it('sizes the picture as TeX measured it, in CSS pixels', async () => {
    // A 3cm line plus its 4pt borders: 3cm = 113.39px, 8pt = 10.67px.
    const drawn = await renderOk(engine, '\\begin{tikzpicture}\\draw (0,0) -- (3,0);\\end{tikzpicture}');
    // The line's own width (0.4pt) shows at its ends: within a pixel.
    expect(Math.abs(drawn.viewBox[2] - (113.39 + 10.67))).toBeLessThan(1);
  });

  it('keeps the colours a source names, and translates paper colours in dark themes', async () => {
    const source = '\\begin{tikzpicture}\n\\draw[red] (0,0) -- (1,0);\n\\node[fill=white, draw=black] at (0,1) {Label};\n\\fill[blue!20] (2,0) rectangle (3,1);\n\\end{tikzpicture}';
    const light = (await renderOk(engine, source, LIGHT)).svg;
    expect(light).toMatch(/stroke="#(f00|ff0000)"/);
    expect(light).toMatch(/fill="#(fff|ffffff)"/);
    expect(light).toMatch(/fill="#(ccf|ccccff)"/);
    const dark = (await renderOk(engine, source, DARK)).svg.toLowerCase();
    expect(dark).toMatch(colour('fill', DARK.background)); // white paper is the canvas
    expect(dark).toMatch(colour('stroke', themePalette(DARK).text)); // black ink is the theme's text
    expect(dark).not.toMatch(/fill="#(ccf|ccccff)"/); // the tint mixes with the canvas, not white
    expect(dark).not.toMatch(/stroke="#(f00|ff0000)"/); // red lightened to read on the canvas
  });

  it('draws a whole article document with text and maths', async () => {
    const drawn = await renderOk(engine, '\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\nEuler: $e^{i\\pi} + 1 = 0$\n\\end{document}');
    expect(drawn.diagramType).toBe('document');
    served(drawn, DARK);
  });

  it('gives two pictures ids of their own, so both can be inlined in one page', async () => {
    const a = await renderOk(engine, '\\tikz \\node {A};');
    const b = await renderOk(engine, '\\tikz \\node {B};');
    const ids = (svg: string) => [...svg.matchAll(/\sid="([^"]+)"/g)].map((match) => match[1]);
    expect(ids(a.svg).length).toBeGreaterThan(0);
    expect(ids(a.svg).filter((id) => ids(b.svg).includes(id))).toEqual([]);
  });

  describe("TeX's errors, with the user's line", () => {
    it.each([
      ['an undefined command', '\\begin{tikzpicture}\n\\draw (0,0) -- (1,1);\n\\draw (0,0) \\foo (1,1);\n\\end{tikzpicture}', 3, /Undefined control sequence.*\\foo/],
      ['an unknown key', '\\begin{tikzpicture}\n\\draw[colr=red] (0,0) -- (1,1);\n\\end{tikzpicture}', 2, /I do not know the key '\/tikz\/colr'/],
      ['a missing semicolon', '\\begin{tikzpicture}\n\\draw (0,0) -- (1,1)\n\\end{tikzpicture}', 3, /Did you forget a semicolon\?$/],
      ['an error in a whole document', '\\documentclass{article}\n\\usepackage{tikz}\n\\begin{document}\n\\begin{tikzpicture}\n\\node[draw] at (0,0) {A}\n\\end{tikzpicture}\n\\end{document}', 6, /semicolon/],
      ['CR LF line ends', '\\begin{tikzpicture}\r\n\r\n\\draw (0,0) \\foo (1,1);\r\n\\end{tikzpicture}', 3, /Undefined control sequence/],
    ])('%s', async (_name, source, line, message) => {
      for (const result of [await engine.parse(source), await engine.render(source, DARK)]) {
        if (result.ok) throw new Error('expected a TeX error');
        expect(result.error).toEqual({ code: 'parse_failed', line, message: expect.stringMatching(message) });
        expect(result.error.message).toMatch(new RegExp(`^TikZ \\(line ${line}\\): `));
      }
    });

    it('reports an environment left open, without a line of ours', async () => {
      expect(await failure(engine, '\\begin{tikzpicture}\n\\draw (0,0) -- (1,1);\n')).toEqual({ code: 'parse_failed', message: expect.stringMatching(/^TikZ: .*\\begin\{tikzpicture\} on input line 1 ended by \\end\{document\}/) });
    });

    it('reports a source that draws nothing', async () => {
      expect(await failure(engine, '\\documentclass{article}\n\\begin{document}\n\\end{document}')).toEqual({ code: 'parse_failed', message: expect.stringMatching(/drew nothing/) });
    });

    it("answers TeX's capacity as too large", async () => {
      expect((await failure(engine, '\\def\\x{\\x\\x}\\x')).code).toBe('output_too_large');
    });

    it('parses a good source to its diagram type', async () => {
      expect(await engine.parse(PICTURE)).toEqual({ ok: true, value: { diagramType: 'tikzpicture' } });
    });
  });

  describe('hostile sources', () => {
    it.each([
      ['\\input of /etc/passwd', '\\input{/etc/passwd}', /\\input is not allowed/],
      ['\\write18', '\\begin{tikzpicture}\\immediate\\write18{touch /tmp/tikz-pwned}\\end{tikzpicture}', /\\write is not allowed/],
      ['\\openin', '\\newread\\r\\openin\\r=/etc/hostname', /is not allowed: it reads files/],
      ['\\directlua', '\\directlua{os.execute("id")}', /\\directlua is not allowed/],
      ['\\usepackage{shellesc}', '\\usepackage{shellesc}\n\\begin{tikzpicture}\\end{tikzpicture}', /the package shellesc is not available/],
      ['\\csname input\\endcsname', '\\csname input\\endcsname{/etc/passwd}', /\\csname is not allowed/],
      ['a catcode trick', '\\catcode`\\|=0\n|input{/etc/passwd}', /\\catcode is not allowed/],
      ['^^ notation', '\\inp^^75t{/etc/passwd}', /\^\^ character notation/],
      ['\\special with script', '\\tikz\\node{x\\special{dvisvgm:raw <script>alert(1)</script>}};', /\\special is not allowed/],
    ])('refuses %s before TeX runs', async (_name, source, message) => {
      const started = Date.now();
      expect(await failure(engine, source)).toEqual({ code: 'parse_failed', line: expect.any(Number), column: expect.any(Number), message: expect.stringMatching(message) });
      expect(Date.now() - started).toBeLessThan(100);
    });

    it.each([
      ['an absolute path', '/etc/passwd'],
      ['a path up and out of the job folder', '../../../../../etc/passwd'],
    ])("meets TeX's own wall when a table is read from %s", async (_name, path) => {
      const error = await failure(engine, `\\begin{tikzpicture}\\begin{axis}\\addplot table {${path}};\\end{axis}\\end{tikzpicture}`);
      expect(error).toEqual({ code: 'parse_failed', line: 1, message: expect.stringMatching(/Could not read table file/) });
      expect(error.message).not.toMatch(/root:|nologin/);
    });

    it('draws script in labels as glyphs, never as markup', async () => {
      const drawn = await renderOk(engine, '\\tikz \\node[draw] {<script>alert(1)</script> javascript:alert(1) <img src=x onerror=alert(2)>};');
      const svg = served(drawn, LIGHT);
      expect(svg).not.toMatch(/<script|javascript:|onerror|<img/i);
    });

    it('stops an endless loop at the deadline, kills TeX and leaves no folder behind', async () => {
      const quick = new TikzEngine({ timeoutMs: 1500, workDir });
      const started = Date.now();
      expect(await failure(quick, '\\def\\x{\\x}\\x')).toEqual({ code: 'render_timeout', message: expect.stringMatching(/1500 ms/) });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(readdirSync(workDir).filter((name) => name.startsWith('flowsmith-tikz-'))).toEqual([]);
    });

    it("stops at the caller's deadline", async () => {
      expect((await engine.render(PICTURE, LIGHT, { deadline: Date.now() - 1 })).ok).toBe(false);
    });
  });

  it('draws pictures side by side, at most `concurrency` at once', async () => {
    const sources = Array.from({ length: 4 }, (_, i) => `\\tikz \\node[draw] {Picture ${i + 1}};`);
    const results = await Promise.all(sources.map((source) => engine.render(source, LIGHT)));
    expect(results.every((result) => result.ok)).toBe(true);
  });
});
