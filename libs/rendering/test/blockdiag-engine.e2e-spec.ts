import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BLOCKDIAG_LANGUAGES, BlockdiagEngine, BlockdiagProcess, type BlockdiagLanguage } from '../src/blockdiag/blockdiag-engine';
import type { EngineSvg } from '../src/engine';
import { assertSafeSvg, finishSvg } from '../src/svg/finish-svg';
import { sanitizeSvg } from '../src/svg/sanitize-svg';
import { THEME_DEFINITIONS, themePalette, type ThemeDefinition } from '../src/themes';

/**
 * The blockdiag family (blockdiag, seqdiag, actdiag, nwdiag, packetdiag, rackdiag) through real
 * Python processes running blockdiag-server.py with Debian's python3-blockdiag packages.
 */

const TIMEOUT_MS = 20_000;

/** What the Renderer does after the engine: the SVG step, the finish and the safety check. */
function finished(value: EngineSvg, theme: ThemeDefinition): string {
  const svg = sanitizeSvg(value.svg, { optimise: false }).svg;
  const done = finishSvg({ ...value, svg }, theme, { watermark: false });
  assertSafeSvg(done.svg);
  return done.svg;
}

const decode = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
/** The SVG's tags (text content is escaped, so markup in labels is not among them). */
const tags = (svg: string) => svg.match(/<[a-z][^>]*>/gi) ?? [];
const texts = (svg: string) => [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((match) => decode(match[1]));
/** blockdiag writes colours as rgb(r,g,b). */
const rgbOf = (hex: string) => `rgb(${[1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join(',')})`;

function corpus(language: BlockdiagLanguage): Array<{ file: string; source: string; labels: string[] }> {
  const dir = join(__dirname, 'corpus', language);
  const labels = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as Record<string, string[]>;
  return readdirSync(dir)
    .filter((file) => file.endsWith(`.${language}`))
    .sort()
    .map((file) => ({ file, source: readFileSync(join(dir, file), 'utf8'), labels: labels[file] ?? [] }));
}

const SYNTAX_ERRORS: Record<BlockdiagLanguage, { source: string; line: number }> = {
  blockdiag: { source: 'blockdiag {\n  A -> B;\n  C -> ;\n}', line: 3 },
  seqdiag: { source: 'seqdiag {\n  A -> B [label = "hi"];\n  A -> B [label = "oops"\n}', line: 4 },
  actdiag: { source: 'actdiag {\n  a -> b;\n  lane x { a; \n  lane y { b; }\n}\n', line: 4 },
  nwdiag: { source: 'nwdiag {\n  network dmz {\n    web01 [address = ];\n  }\n}', line: 3 },
  packetdiag: { source: 'packetdiag {\n  colwidth = 32;\n  0-15 Source Port;\n}', line: 3 },
  rackdiag: { source: 'rackdiag {\n  16U;\n  1: UPS [2U;\n}', line: 3 },
};

/** A layout blockdiag takes over a minute for: forty nodes, each with an edge back into the chain. */
const SLOW_BLOCKDIAG = `blockdiag {\n${Array.from({ length: 40 }, (_, i) => `N${i} -> N${i + 1}; N${i} -> N${(i * 7 + 3) % 40};`).join('\n')}\n}`;

describe('BlockdiagEngine (blockdiag family, Python process)', () => {
  const server = new BlockdiagProcess({ warm: true });
  const engines = Object.fromEntries(BLOCKDIAG_LANGUAGES.map((language) => [language, new BlockdiagEngine(language, server, TIMEOUT_MS)])) as Record<BlockdiagLanguage, BlockdiagEngine>;

  beforeAll(() => engines.blockdiag.start(), 30_000);
  // Each of the six engines closes the process they share: the second close is harmless.
  afterAll(() => Promise.all(Object.values(engines).map((engine) => engine.close())));

  describe.each(BLOCKDIAG_LANGUAGES)('%s', (language) => {
    const files = corpus(language);

    it('has a corpus', () => {
      expect(files.length).toBeGreaterThanOrEqual(2);
    });

    it.each(['light', 'dark'] as const)('draws its corpus in the %s theme, in its colours, with every label as text', async (themeId) => {
      const theme = THEME_DEFINITIONS[themeId];
      const palette = themePalette(theme);
      for (const { file, source, labels } of files) {
        const result = await engines[language].render(source, theme);
        if (!result.ok) throw new Error(`${file}: ${result.error.message}`);
        const { svg, viewBox, diagramType } = result.value;
        expect(diagramType).toBe(language);
        // The root's own size is its viewBox, in px.
        const root = /<svg\b[^>]*>/.exec(svg)![0];
        expect(root).toContain(`viewBox="0 0 ${viewBox[2]} ${viewBox[3]}"`);
        expect(root).toContain(`width="${viewBox[2]}"`);
        expect(viewBox[2]).toBeGreaterThan(50);
        expect(viewBox[3]).toBeGreaterThan(50);
        // The theme's colours, on a transparent canvas.
        expect(svg).toContain(rgbOf(palette.text));
        expect(svg).toContain(rgbOf(language === 'packetdiag' || language === 'rackdiag' ? palette.nodeStroke : palette.line));
        expect(svg).not.toContain('stroke="rgb(0,0,0)"');
        expect(svg).toContain("font-family=\"'Noto Sans', 'Noto Sans CJK SC'");
        const out = finished(result.value, theme);
        const drawn = texts(out).join(' ');
        for (const label of labels) expect({ file, label, found: drawn.includes(label) }).toEqual({ file, label, found: true });
      }
    });

    it('says where a syntax error is', async () => {
      const { source, line } = SYNTAX_ERRORS[language];
      const result = await engines[language].render(source, THEME_DEFINITIONS.light);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.code).toBe('parse_failed');
      expect(result.error.message).toContain(`The source did not parse as ${language}`);
      expect(result.error.line).toBe(line);
    });

    it('parses without drawing', async () => {
      const parsed = await engines[language].parse(files[0].source);
      expect(parsed).toEqual({ ok: true, value: { diagramType: language } });
      const broken = await engines[language].parse(SYNTAX_ERRORS[language].source);
      expect(broken.ok).toBe(false);
    });
  });

  it('draws the monospace themes in a monospace font', async () => {
    const result = await engines.blockdiag.render('blockdiag { A -> B; }', THEME_DEFINITIONS.blueprint);
    expect(result.ok && result.value.svg).toContain("font-family=\"'Noto Sans Mono', 'Noto Sans CJK SC'");
    expect(result.ok && result.value.svg).toMatch(/font-family="[^"]*, monospace"/);
  });

  it('keeps a source’s own colours, with labels that stay legible on them in a dark theme', async () => {
    const source = 'blockdiag {\n  default_linecolor = "#ff0000";\n  A [color = "#fde68a"];\n  B [color = "#1e3a8a", textcolor = "#ffffff"];\n  A -> B;\n}';
    const result = await engines.blockdiag.render(source, THEME_DEFINITIONS.dark);
    if (!result.ok) throw new Error(result.error.message);
    const svg = result.value.svg;
    expect(svg).toContain('fill="rgb(253,230,138)"');
    expect(svg).toContain('stroke="rgb(255,0,0)"');
    // The dark theme's light text would vanish on the pale yellow: it is drawn dark there.
    const label = /<text[^>]*fill="([^"]+)"[^>]*>A<\/text>/.exec(svg)!;
    expect(label[1]).not.toBe(rgbOf(themePalette(THEME_DEFINITIONS.dark).text));
    expect(/<text[^>]*fill="rgb\(255,255,255\)"[^>]*>B<\/text>/.test(svg)).toBe(true);
  });

  it('measures CJK labels one em a character (their glyphs come from a fallback font)', async () => {
    const result = await engines.blockdiag.render('blockdiag {\n  A [label = "配送センター"];\n}', THEME_DEFINITIONS.light);
    expect(result.ok && result.value.svg).toMatch(/textLength="66"[^>]*>配送センター</);
  });

  it('forgets one diagram’s defaults before the next', async () => {
    const first = await engines.seqdiag.render('seqdiag {\n  default_linecolor = "#ff0000";\n  default_node_color = "#00ff00";\n  A -> B;\n  alt { A -> B; }\n}', THEME_DEFINITIONS.light);
    expect(first.ok && first.value.svg).toContain('rgb(255,0,0)');
    const second = await engines.seqdiag.render('seqdiag {\n  A -> B;\n  alt { A -> B; }\n}', THEME_DEFINITIONS.light);
    if (!second.ok) throw new Error(second.error.message);
    expect(second.value.svg).not.toContain('rgb(255,0,0)');
    expect(second.value.svg).not.toContain('rgb(0,255,0)');
    expect(second.value.svg).toContain(rgbOf(themePalette(THEME_DEFINITIONS.light).nodeFill));
  });

  it('draws an nwdiag group whose nodes are on two networks (a Python 3 bug of nwdiag 2.0)', async () => {
    const result = await engines.nwdiag.render('nwdiag {\n  network a { web01; web02; }\n  network b { web01; web02; }\n  group { label = "Web"; web01; web02; }\n}', THEME_DEFINITIONS.light);
    expect(result.ok).toBe(true);
  });

  it('points at the line of an unknown attribute', async () => {
    const result = await engines.blockdiag.render('blockdiag {\n  A -> B;\n  B [colour = "red"];\n}', THEME_DEFINITIONS.light);
    expect(result).toEqual({ ok: false, error: { code: 'parse_failed', message: 'blockdiag: Unknown attribute: DiagramNode.colour', line: 3 } });
  });

  describe('hostile sources', () => {
    it.each([
      ['an icon from a URL', 'blockdiag {\n  A [icon = "http://169.254.169.254/latest/meta-data/"];\n}', /images are not allowed \(`icon`/],
      ['a background from a file', 'blockdiag {\n  A [background = "/etc/passwd"];\n}', /images are not allowed \(`background`/],
      ['an icon through a class', 'blockdiag {\n  class evil [icon = "file:///etc/hostname"];\n  A [class = evil];\n}', /images are not allowed/],
      ['a packet field background', 'packetdiag {\n  0-15: Source [background = "http://example.com/x.png"];\n}', /images are not allowed/],
      ['a plugin', 'blockdiag {\n  plugin autoclass;\n  A;\n}', /plugins are not allowed/],
      ['plugins as an attribute', 'seqdiag {\n  plugins = "attributes";\n  A -> B;\n}', /plugins are not allowed/],
      ['a font file', 'nwdiag {\n  fontpath = "/etc/shadow";\n  network a { b; }\n}', /font files are not allowed/],
      ['a huge font', 'blockdiag {\n  default_fontsize = 100000;\n  A;\n}', /font sizes above/],
    ])('refuses %s', async (_name, source, message) => {
      const language = source.split(' ')[0] as BlockdiagLanguage;
      const result = await engines[language].render(source, THEME_DEFINITIONS.light);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.code).toBe('parse_failed');
      expect(result.error.message).toMatch(message);
      expect(result.error.line).toBe(2);
    });

    it.each(BLOCKDIAG_LANGUAGES)('%s: keeps script and javascript: links in labels as text, and drops links', async (language) => {
      const sources: Record<BlockdiagLanguage, string> = {
        blockdiag: 'blockdiag {\n  A [label = "<script>alert(1)</script>", href = "javascript:alert(1)"];\n  B [label = "javascript:alert(2)"];\n  A -> B [label = "<img src=x onerror=alert(3)>"];\n  group { href = "javascript:alert(4)"; label = "\\"><svg onload=alert(5)>"; B; }\n}',
        seqdiag: 'seqdiag {\n  A [label = "<script>alert(1)</script>", href = "javascript:alert(1)"];\n  A -> B [label = "javascript:alert(2)", note = "<img src=x onerror=alert(3)>"];\n}',
        actdiag: 'actdiag {\n  a -> b;\n  lane x { label = "<script>alert(1)</script>"; href = "javascript:alert(1)"; a [label = "javascript:alert(2)"]; }\n  lane y { b [label = "<img src=x onerror=alert(3)>"]; }\n}',
        nwdiag: 'nwdiag {\n  network n {\n    label = "<script>alert(1)</script>";\n    address = "javascript:alert(2)";\n    a [label = "<img src=x onerror=alert(3)>", href = "javascript:alert(1)"];\n  }\n}',
        packetdiag: 'packetdiag {\n  0-15: <script>alert(1)</script> [href = "javascript:alert(1)"];\n  16-31: "javascript:alert(2)";\n}',
        rackdiag: 'rackdiag {\n  8U;\n  description = "<script>alert(1)</script>";\n  1: javascript:alert(2) [href = "javascript:alert(1)"];\n}',
      };
      const result = await engines[language].render(sources[language], THEME_DEFINITIONS.dark);
      if (!result.ok) throw new Error(result.error.message);
      for (const tag of tags(result.value.svg)) expect(tag).not.toMatch(/^<(script|a|img|foreignObject)\b|\shref=|\son\w+=/i);
      const out = finished(result.value, THEME_DEFINITIONS.dark);
      for (const tag of tags(out)) expect(tag).not.toMatch(/^<(script|a|img|foreignObject)\b|\shref=|\son\w+=/i);
      const drawn = texts(out).join(' ');
      expect(drawn).toMatch(/<script>alert\(1\)<\/script>|javascript:alert\(2\)/);
    });

    it('writes no source into the SVG but its labels (no <desc> of the source)', async () => {
      const result = await engines.blockdiag.render('blockdiag {\n  // secret comment\n  A;\n}', THEME_DEFINITIONS.light);
      expect(result.ok && result.value.svg).not.toContain('secret');
    });
  });

  it('draws diagrams sent at once one after another, each right', async () => {
    const sources = BLOCKDIAG_LANGUAGES.map((language) => [language, corpus(language)[0]] as const);
    const results = await Promise.all(sources.map(([language, { source }]) => engines[language].render(source, THEME_DEFINITIONS.light)));
    results.forEach((result, i) => expect(result.ok && result.value.diagramType).toBe(sources[i][0]));
  });
});

describe('BlockdiagProcess limits and recovery', () => {
  it('stops a diagram at its deadline, kills its process and draws the next one in a new one', async () => {
    const server = new BlockdiagProcess({ warm: true });
    const engine = new BlockdiagEngine('blockdiag', server, 1500);
    try {
      await engine.start();
      const [pid] = server.pids;
      const started = Date.now();
      const slow = await engine.render(SLOW_BLOCKDIAG, THEME_DEFINITIONS.light);
      expect(slow).toEqual({ ok: false, error: { code: 'render_timeout', message: expect.stringContaining('1500 ms') } });
      expect(Date.now() - started).toBeLessThan(5000);
      const next = await engine.render('blockdiag { A -> B; }', THEME_DEFINITIONS.light);
      expect(next.ok).toBe(true);
      expect(server.pids).not.toContain(pid);
      expect(server.restarts).toBe(1);
    } finally {
      await engine.close();
    }
  }, 30_000);

  it('answers a queued diagram whose caller has gone without drawing it', async () => {
    const server = new BlockdiagProcess({ warm: true });
    const engine = new BlockdiagEngine('blockdiag', server, 2000);
    try {
      await engine.start();
      const slow = engine.render(SLOW_BLOCKDIAG, THEME_DEFINITIONS.light);
      const started = Date.now();
      const queued = await engine.render('blockdiag { A -> B; }', THEME_DEFINITIONS.light, { deadline: Date.now() + 300 });
      expect(queued.ok ? 'ok' : queued.error.code).toBe('render_timeout');
      expect(Date.now() - started).toBeLessThan(1500);
      expect((await slow).ok).toBe(false);
    } finally {
      await engine.close();
    }
  }, 30_000);

  it('replaces a process killed from outside, idle or under a diagram', async () => {
    const server = new BlockdiagProcess({ warm: true });
    const engine = new BlockdiagEngine('seqdiag', server, 20_000);
    try {
      await engine.start();
      // Idle: the next diagram gets a new process.
      const [first] = server.pids;
      process.kill(first, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const after = await engine.render('seqdiag { A -> B; }', THEME_DEFINITIONS.light);
      expect(after.ok).toBe(true);
      const [second] = server.pids;
      expect(second).not.toBe(first);
      // Under a diagram: that render fails as an error (its job is retried), the next one is drawn.
      const slow = new BlockdiagEngine('blockdiag', server, 20_000).render(SLOW_BLOCKDIAG, THEME_DEFINITIONS.light);
      await new Promise((resolve) => setTimeout(resolve, 300));
      process.kill(second, 'SIGKILL');
      await expect(slow).rejects.toThrow(/blockdiag process exited with SIGKILL/);
      const again = await engine.render('seqdiag { A -> B; }', THEME_DEFINITIONS.dark);
      expect(again.ok).toBe(true);
      expect(server.restarts).toBe(2);
    } finally {
      await engine.close();
    }
  }, 30_000);

  it('refuses an SVG past the size cap', async () => {
    const server = new BlockdiagProcess({ maxOutputBytes: 4096 });
    const engine = new BlockdiagEngine('blockdiag', server, 20_000);
    try {
      const source = `blockdiag {\n${Array.from({ length: 30 }, (_, i) => `N${i} -> N${i + 1};`).join('\n')}\n}`;
      const result = await engine.render(source, THEME_DEFINITIONS.light);
      expect(result.ok ? 'ok' : result.error.code).toBe('output_too_large');
      expect((await engine.render('blockdiag { A; }', THEME_DEFINITIONS.light)).ok).toBe(true);
    } finally {
      await engine.close();
    }
  });

  it('runs several processes when asked', async () => {
    const server = new BlockdiagProcess({ processes: 2, warm: true });
    const engine = new BlockdiagEngine('rackdiag', server, 20_000);
    try {
      await engine.start();
      expect(server.pids).toHaveLength(2);
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => engine.render(`rackdiag {\n  8U;\n  1: Server ${i};\n}`, THEME_DEFINITIONS.light)));
      results.forEach((result, i) => expect(result.ok && result.value.svg).toContain(`Server ${i}`));
    } finally {
      await engine.close();
    }
  });

  it('fails clearly when Python cannot run the server', async () => {
    const server = new BlockdiagProcess({ pythonPath: '/nonexistent/python3', warm: true });
    await expect(server.start()).rejects.toThrow(/No blockdiag process could start/);
    const engine = new BlockdiagEngine('blockdiag', server, 20_000);
    await expect(engine.render('blockdiag { A; }', THEME_DEFINITIONS.light)).rejects.toThrow(/is python3-blockdiag installed/);
    await server.close();
  });
});
