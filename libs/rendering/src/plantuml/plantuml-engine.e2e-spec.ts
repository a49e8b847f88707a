import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { MAX_SOURCE_BYTES } from '@flowsmith/contracts';
import { RenderTimeoutError } from '../browser/browser-pool';
import { assertSafeSvg, finishSvg } from '../svg/finish-svg';
import { sanitizeSvg } from '../svg/sanitize-svg';
import { THEME_DEFINITIONS, themePalette } from '../themes';
import { PlantumlEngine } from './plantuml-engine';

const CORPUS_DIR = join(__dirname, '../../test/corpus/plantuml');
const LABELS: Record<string, string[]> = JSON.parse(readFileSync(join(CORPUS_DIR, 'labels.json'), 'utf8'));
const CORPUS = Object.entries(LABELS).map(([file, labels]) => ({
  file,
  labels,
  type: `plantuml:${file.replace(/\.puml$/, '')}`,
  source: readFileSync(join(CORPUS_DIR, file), 'utf8'),
}));
const THEMES = Object.values(THEME_DEFINITIONS).map((theme) => [theme.id, theme] as const);
const LIGHT = THEME_DEFINITIONS.light;
const GOOD = 'Alice -> Bob: still fine';
/** Runs for days: 2^40 calls, 40 deep (PlantUML guards loops and the stack, not the number of calls). */
const ENDLESS = '!function $f($n)\n!if $n == 0\n!return 1\n!endif\n!return $f($n - 1) + $f($n - 1)\n!endfunction\nAlice -> Bob : $f(40)';
/** Throws inside PlantUML 1.2025.8's git diagram (which took the old pipe loop, and so the JVM, down). */
const CRASHING = '@startgit\n* main\n** feature\n@endgit';

const decode = (text: string) =>
  text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** What the SVG's <text> elements say. */
const textOf = (svg: string) => [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((match) => decode(match[1])).join('\n');

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

async function renderOk(engine: PlantumlEngine, source: string, theme = LIGHT) {
  const result = await engine.render(source, theme);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

/** The JVM that takes the engine's new diagrams. */
const jvmOf = (engine: PlantumlEngine) => engine.pool.process!;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Until the pool is down to one JVM again (a replaced one is killed once it holds nobody's diagram). */
async function oneJvm(engine: PlantumlEngine): Promise<void> {
  for (let i = 0; engine.pool.pids.length !== 1 && i < 400; i++) await sleep(25);
  expect(engine.pool.pids).toHaveLength(1);
}

/** Until the engine has noticed that its JVM is gone. */
async function jvmGone(engine: PlantumlEngine, pid: number): Promise<void> {
  while (engine.pool.pids.includes(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('PlantumlEngine (real JVM)', () => {
  const engine = new PlantumlEngine({ timeoutMs: 10_000, warm: true });

  beforeAll(() => engine.start());
  afterAll(() => engine.close());

  it('has labels for every corpus file', () => {
    const files = readdirSync(CORPUS_DIR).filter((file) => file.endsWith('.puml'));
    expect(Object.keys(LABELS).sort()).toEqual(files.sort());
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  describe.each(CORPUS)('$file', ({ source, labels, type }) => {
    it.each(THEMES)('renders in %s: well-formed, labels as SVG text, in the theme, through the shared SVG step', async (_id, theme) => {
      const drawn = await renderOk(engine, source, theme);
      const { svg, diagramType, viewBox } = drawn;
      expect(diagramType).toBe(type);
      expect(XMLValidator.validate(svg)).toBe(true);
      expect(viewBox[2]).toBeGreaterThan(50);
      expect(viewBox[3]).toBeGreaterThan(50);
      const text = textOf(svg);
      for (const label of labels) expect(text).toContain(label);
      expect(svg).not.toMatch(/<script|<a\b|<!--|<\?|<foreignObject|\son\w+=/i);
      const palette = themePalette(theme);
      expect(svg).toContain(`font-family="${palette.fontFamily.split(',')[0].replace(/"/g, '')}"`);
      if (theme.tone === 'dark') {
        expect(svg.toLowerCase()).toContain(`<rect fill="${theme.background.toLowerCase()}" height="${viewBox[3]}"`);
        const inks = [...svg.matchAll(/<text\b[^>]*\sfill="(#[0-9A-Fa-f]{6})"/g)].map((match) => match[1]);
        expect(inks.length).toBeGreaterThan(0);
        for (const ink of inks) expect(luminance(ink)).toBeGreaterThan(0.5);
      }
      const finished = finishSvg({ ...drawn, svg: sanitizeSvg(svg, { optimise: false }).svg }, theme, { watermark: true });
      assertSafeSvg(finished.svg);
      for (const label of labels) expect(textOf(finished.svg)).toContain(label);
    });
  });

  it('lays out with Graphviz where it is installed, and with Smetana where it is not', async () => {
    expect(engine.layout).toBe('dot'); // npm test installs Graphviz
    const smetana = new PlantumlEngine({ timeoutMs: 10_000, graphvizDot: null, warm: true });
    await smetana.start();
    try {
      expect(smetana.layout).toBe('smetana');
      for (const { file, source, labels } of CORPUS.filter((entry) => /^(class|usecase|state|component)\.puml$/.test(entry.file))) {
        const drawn = await renderOk(smetana, source, THEME_DEFINITIONS.light);
        for (const label of labels) expect([file, textOf(drawn.svg)]).toEqual([file, expect.stringContaining(label)]);
      }
    } finally {
      await smetana.close();
    }
  }, 60_000);

  describe('syntax errors', () => {
    it.each([
      ['a framed source', '@startuml\nAlice -> Bob: hi\nthis is not plantuml\n@enduml', 3],
      ['a bare source', 'Alice -> Bob: hi\n\nthis is not plantuml', 3],
      ['a source with blank lines before @startuml', '\n\n@startuml\nAlice -> Bob\nthis is not plantuml\n@enduml', 5],
      ['a mind map', '@startmindmap\n* root\n** child\nnot a node\n@endmindmap', 4],
      ['CRLF line ends', '@startuml\r\nAlice -> Bob\r\n\r\nthis is not plantuml\r\n@enduml', 4],
    ])('reports the line of the user source for %s, in parse and in a themed render', async (_name, source, line) => {
      const parsed = await engine.parse(source);
      const rendered = await engine.render(source, THEME_DEFINITIONS.midnight);
      for (const result of [parsed, rendered]) {
        if (result.ok) throw new Error('expected a syntax error');
        expect(result.error).toEqual({ code: 'parse_failed', line, message: expect.stringMatching(new RegExp(`^The source did not parse as PlantUML \\(line ${line}\\): Syntax Error`)) });
      }
    });

    it('parses a good source to its diagram type', async () => {
      expect(await engine.parse(GOOD)).toEqual({ ok: true, value: { diagramType: 'plantuml:sequence' } });
      expect(await engine.parse('@startmindmap\n* root\n** child\n@endmindmap')).toEqual({ ok: true, value: { diagramType: 'plantuml:mindmap' } });
    });
  });

  it("lets a diagram's own skinparams and styles win over the theme", async () => {
    const source = 'skinparam backgroundColor #102030\nskinparam participantBackgroundColor #FF0000\n<style>\narrow { LineColor #00FF00 }\n</style>\nAlice -> Bob: hi';
    const { svg } = await renderOk(engine, source, THEME_DEFINITIONS.dark);
    expect(svg).toContain('fill="#102030"');
    expect(svg).toContain('fill="#FF0000"');
    expect(svg).toContain('stroke:#00FF00');
  });

  describe('hostile sources', () => {
    const refused: Array<[string, string, number, string]> = [
      ['!include of a file', '@startuml\n!include /etc/passwd\nAlice -> Bob\n@enduml', 2, '!include'],
      ['!include_many', 'Alice -> Bob\n!include_many /etc/passwd', 2, '!include_many'],
      ['!includeurl', '!includeurl http://127.0.0.1:9/evil.puml\nAlice -> Bob', 1, '!includeurl'],
      ['!includesub', '  !includesub /etc/passwd!PART', 1, '!includesub'],
      ['a standard-library path that climbs out', '!include <../../../etc/passwd>', 1, '!include'],
      ['an include split over two lines', 'Alice -> Bob\n!inc\\\nlude /etc/passwd', 2, '!include'],
      ['!import', '!import /tmp/evil.jar\nAlice -> Bob', 1, '!import'],
      ['!theme from a path', '!theme spacelab from /etc\nAlice -> Bob', 1, '!theme … from'],
      ['%getenv', 'Alice -> Bob: %getenv("HOME")', 1, '%getenv'],
      ['%load_json', '!$data = %load_json("/etc/passwd")\nAlice -> Bob', 1, '%load_json'],
      ['%file_exists', 'Alice -> Bob: %file_exists("/etc/passwd")', 1, '%file_exists'],
      ['%dirpath', 'Alice -> Bob: %dirpath()', 1, '%dirpath'],
      ['%filename', 'Alice -> Bob: %filename()', 1, '%filename'],
      ['%get_all_stdlib', 'Alice -> Bob: %get_all_stdlib()', 1, '%get_all_stdlib'],
      ['%call_user_func', 'Alice -> Bob: %call_user_func("%getenv", "HOME")', 1, '%call_user_func'],
      ['an image from a file', 'Alice -> Bob: <img:file:///etc/passwd>', 1, '<img>'],
      ['an image from a URL', 'Alice -> Bob: <img:http://127.0.0.1:9/x.png>', 1, '<img>'],
      ['an HTML-style image', 'Alice -> Bob: <img src="/etc/passwd">', 1, '<img>'],
      ['a sprite from a file', 'sprite $logo /etc/passwd\nAlice -> Bob: <$logo>', 1, 'sprite'],
      ['a sprite from a URL', 'sprite $logo http://127.0.0.1:9/logo.png\nAlice -> Bob', 1, 'sprite'],
      ['!pragma svginteractive', '!pragma svginteractive true\nAlice -> Bob', 1, '!pragma svginteractive'],
      ['!pragma graphviz_dot', '!pragma graphviz_dot /bin/sh\nclass A', 1, '!pragma graphviz_dot'],
      ['a second diagram', '@startuml\nAlice -> Bob\n@enduml\n@startuml\n!include /etc/passwd\n@enduml', 4, 'one diagram'],
      ['an @enduml inside a bare source', 'Alice -> Bob\n@enduml\nBob -> Alice', 2, 'one diagram'],
      ['a pipe command', 'Alice -> Bob\n@@@format png', 2, '@@@'],
      ['ditaa, which only draws PNG', '@startditaa\n+--+\n@endditaa', 1, 'PNG'],
      // Forms that passed the screen while it read lines as text rather than as PlantUML's preprocessor does (plantuml-source.spec.ts has them all).
      ['an include behind an inline block comment', "/' c '/ !include /etc/passwd", 1, '!include'],
      ['an include behind a prefix that PlantUML strips', '<x>@startuml\n<x>!include /etc/passwd', 1, '@start'],
      ['a theme read from the working directory', '!theme secret\nAlice -> Bob', 1, '!theme secret'],
      ['a style sheet from a file', '<style file=/etc/passwd>\nAlice -> Bob', 1, '<style>'],
      ['a sprite from a file behind a comment', "/' '/ sprite $s /etc/passwd\nAlice -> Bob", 1, 'sprite'],
    ];

    it.each(refused)('refuses %s before the JVM sees it', async (_name, source, line, mention) => {
      const result = await engine.render(source, LIGHT);
      if (result.ok) throw new Error('expected a refusal');
      expect(result.error).toMatchObject({ code: 'parse_failed', line, message: expect.stringContaining(mention) });
    });

    it(`refuses a source over ${MAX_SOURCE_BYTES / 1024} KB`, async () => {
      const huge = Array.from({ length: 5000 }, (_, i) => `Alice -> Bob: message number ${i} of a very long conversation`).join('\n');
      const result = await engine.render(huge, LIGHT);
      expect(result).toEqual({ ok: false, error: { code: 'parse_failed', message: expect.stringContaining(`at most ${MAX_SOURCE_BYTES / 1024} KB`) } });
    });

    it('refuses a drawing too large for any output format', async () => {
      const wide = Array.from({ length: 100 }, (_, i) => `Participant_with_a_long_name_${i} -> Participant_with_a_long_name_${i + 1}`).join('\n');
      const result = await engine.render(wide, LIGHT);
      expect(result.ok ? 'rendered' : result.error).toEqual({ code: 'output_too_large', message: expect.stringMatching(/^The diagram is \d+×\d+ px; at most 20000 px on a side\.$/) });
    });

    it('fails a diagram that fills the JVM heap as too large, and renders the next one on a new JVM', async () => {
      // An engine of its own with a long deadline: filling a 1 GB heap takes seconds of garbage
      // collection, and more than the suite's 10 s while other suites load both cores; what is
      // tested is the answer to running out of memory, not the deadline.
      const roomy = new PlantumlEngine({ timeoutMs: 40_000, warm: true });
      await roomy.start();
      try {
        const hungry = '!$s = "abcdefgh"\n!$i = 0\n!while $i < 30\n!$s = $s + $s\n!$i = $i + 1\n!endwhile\nAlice -> Bob : %strlen($s)';
        expect(await roomy.render(hungry, LIGHT)).toEqual({ ok: false, error: { code: 'output_too_large', message: 'The diagram needs more memory than PlantUML may use.' } });
        expect(textOf((await renderOk(roomy, GOOD)).svg)).toContain('still fine');
        expect(roomy.pool.restarts).toBe(1);
        await oneJvm(roomy);
      } finally {
        await roomy.close();
      }
    }, 90_000);

    it('renders harmlessly what only exists at run time: the SANDBOX profile reads no file', async () => {
      const { svg } = await renderOk(engine, '!$a = "<im"\n!$b = "g:/etc/passwd>"\nAlice -> Bob: $a$b\nBob -> Alice: ok');
      expect(svg).not.toMatch(/<image|root:/);
      expect(textOf(svg)).toContain('Alice');
    });

    it('allows the standard library bundled in the jar, whose sprites are embedded pictures', async () => {
      const drawn = await renderOk(engine, '!include <C4/C4_Container>\nPerson(user, "Customer")\nSystem(shop, "Web Shop")\nRel(user, shop, "Buys from")');
      expect(drawn.diagramType).toBe('plantuml:c4');
      for (const label of ['Customer', 'Shop', 'Buys']) expect(textOf(drawn.svg)).toContain(label);
      const finished = finishSvg({ ...drawn, svg: sanitizeSvg(drawn.svg, { optimise: false }).svg }, LIGHT, { watermark: false });
      assertSafeSvg(finished.svg);
      expect(finished.svg).toMatch(/<image\b[^>]*href="data:image\/png;base64,/);
    });

    it('still renders a good diagram afterwards', async () => {
      expect(textOf((await renderOk(engine, GOOD)).svg)).toContain('still fine');
    });
  });

  describe('a JVM that dies', () => {
    it('is replaced after a kill from outside, and the next render succeeds', async () => {
      await renderOk(engine, GOOD);
      const restarts = engine.pool.restarts;
      const pid = jvmOf(engine).pid!;
      process.kill(pid, 'SIGKILL');
      await jvmGone(engine, pid);
      expect(textOf((await renderOk(engine, GOOD)).svg)).toContain('still fine');
      expect(engine.pool.restarts).toBe(restarts + 1);
      expect(jvmOf(engine).pid).not.toBe(pid);
    }, 30_000);

    it('fails the renders in its threads with a plain error (so their jobs are retried), and the diagrams waiting for a thread carry on', async () => {
      const narrow = new PlantumlEngine({ timeoutMs: 10_000, warm: true, threads: 2 });
      await narrow.start();
      try {
        await renderOk(narrow, GOOD);
        const inFlight = [narrow.render(ENDLESS, LIGHT), narrow.render(ENDLESS, LIGHT)];
        const queued = narrow.render(GOOD, LIGHT);
        await sleep(300);
        process.kill(jvmOf(narrow).pid!, 'SIGKILL');
        for (const render of inFlight) {
          const error = await render.then(() => null, (reason: Error) => reason);
          expect(error).toBeInstanceOf(Error);
          expect(error).not.toBeInstanceOf(RenderTimeoutError);
        }
        expect(await queued).toMatchObject({ ok: true });
        expect(narrow.pool.restarts).toBe(1);
      } finally {
        await narrow.close();
      }
    }, 30_000);

    it('fails a diagram that crashes PlantUML as a value, not as a retryable error, and the JVM keeps serving', async () => {
      const restarts = engine.pool.restarts;
      const pid = jvmOf(engine).pid;
      const result = await engine.render(CRASHING, LIGHT);
      expect(result).toEqual({ ok: false, error: { code: 'parse_failed', message: expect.stringContaining('PlantUML failed on this diagram') } });
      expect(textOf((await renderOk(engine, GOOD)).svg)).toContain('still fine');
      // The pipe died of it; a thread of the server only answers for its own diagram.
      expect(engine.pool.restarts).toBe(restarts);
      expect(jvmOf(engine).pid).toBe(pid);
    }, 30_000);
  });

  it("turns PlantUML's picture of its own failure, which names the JVM, into an error", async () => {
    // ELK is not in the jar; the engine refuses the pragma, so the diagram goes to the process directly.
    const crash = jvmOf(engine).render('@startuml\n!pragma layout elk\nclass A\nclass B\nA --> B\n@enduml\n');
    await expect(crash).rejects.toThrow(/^PlantUML failed on this diagram with IllegalArgumentException: java.lang.ClassNotFoundException/);
    expect(textOf((await renderOk(engine, GOOD)).svg)).toContain('still fine');
  });

  describe('one JVM, several diagrams at once', () => {
    it('renders diagrams of every kind at once, each into its own picture', async () => {
      const batch = [...CORPUS, ...CORPUS].map((entry, i) => ({ ...entry, source: entry.source.replace(/^(@start\w+[^\n]*\n)/, `$1' copy ${i}\n`) }));
      const drawn = await Promise.all(batch.map(({ source }) => renderOk(engine, source)));
      drawn.forEach(({ svg, diagramType }, i) => {
        expect(diagramType).toBe(batch[i].type);
        for (const label of batch[i].labels) expect([batch[i].file, textOf(svg)]).toEqual([batch[i].file, expect.stringContaining(label)]);
      });
      expect(engine.pool.pids).toHaveLength(1);
    }, 60_000);

    it('answers a diagram that never finishes at its deadline, finishes the others in flight, and replaces the JVM warm', async () => {
      // 6 s: every other diagram here takes well under a second, also while the suite's neighbours load both cores.
      const quick = new PlantumlEngine({ timeoutMs: 6000, warm: true });
      await quick.start();
      try {
        // Every kind's classes loaded, so that only the endless diagram can overrun on a loaded machine.
        for (const { source } of CORPUS) await renderOk(quick, source);
        const stuck = jvmOf(quick).pid!;
        const started = Date.now();
        const endless = quick.render(ENDLESS, LIGHT);
        const others = CORPUS.map(({ source }) => quick.render(source, LIGHT));
        await expect(endless).rejects.toBeInstanceOf(RenderTimeoutError);
        // At the deadline (plus the grace of a JVM's first diagrams at most), not when the thread ends.
        expect(Date.now() - started).toBeLessThan(6000 + 5000);
        for (const result of await Promise.all(others)) expect(result).toMatchObject({ ok: true });
        expect(quick.pool.restarts).toBe(1);
        // The stuck JVM goes once its other diagrams are done; the new one serves.
        for (let i = 0; quick.pool.pids.includes(stuck) && i < 400; i++) await sleep(25);
        expect(quick.pool.pids).not.toContain(stuck);
        await oneJvm(quick);
        expect(textOf((await renderOk(quick, GOOD)).svg)).toContain('still fine');
        expect(quick.pool.restarts).toBe(1);
      } finally {
        await quick.close();
      }
    }, 60_000);

    it("answers at the caller's deadline without replacing the JVM, and gives best-effort diagrams a quarter of the threads, paying ones first", async () => {
      const lanes = new PlantumlEngine({ timeoutMs: 20_000, warm: true, threads: 4 });
      await lanes.start();
      try {
        await renderOk(lanes, GOOD);
        expect(lanes.pool.bestEffortThreads).toBe(1);
        // A best-effort diagram that runs for days holds the one best-effort thread until its caller's deadline.
        const started = Date.now();
        const endless = lanes.render(ENDLESS, LIGHT, { bestEffort: true, deadline: Date.now() + 2500 });
        await sleep(200);
        // Another best-effort diagram waits for that thread, and is answered at its own deadline without reaching the JVM.
        const waiting = lanes.render(GOOD, LIGHT, { bestEffort: true, deadline: Date.now() + 800 });
        // Paying diagrams take the other threads meanwhile.
        for (const result of await Promise.all([1, 2, 3].map(() => lanes.render(GOOD, LIGHT)))) expect(result).toMatchObject({ ok: true });
        await expect(waiting).rejects.toBeInstanceOf(RenderTimeoutError);
        await expect(endless).rejects.toBeInstanceOf(RenderTimeoutError);
        expect(Date.now() - started).toBeLessThan(10_000);
        // Cut off by its caller, not stuck by the engine's measure: the JVM stays (its thread stays counted busy).
        expect(lanes.pool.restarts).toBe(0);
        expect(lanes.pool.pids).toHaveLength(1);
      } finally {
        await lanes.close();
      }
    }, 60_000);

    it('keeps serving while one diagram is stuck, and replaces a JVM killed from outside at once', async () => {
      const restarts = engine.pool.restarts;
      const inFlight = engine.render(ENDLESS, LIGHT);
      await sleep(300);
      const victim = jvmOf(engine).pid!;
      expect(textOf((await renderOk(engine, GOOD)).svg)).toContain('still fine');
      process.kill(victim, 'SIGKILL');
      const error = await inFlight.then(() => null, (reason: Error) => reason);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(RenderTimeoutError);
      // The pool starts the replacement at once, not under the next diagram.
      for (let i = 0; engine.pool.pids.length < 1 && i < 200; i++) await sleep(25);
      expect(engine.pool.pids).toHaveLength(1);
      expect(engine.pool.pids).not.toContain(victim);
      for (let i = 0; i < 4; i++) expect(textOf((await renderOk(engine, GOOD)).svg)).toContain('still fine');
      expect(engine.pool.restarts).toBe(restarts + 1);
    }, 30_000);
  });
});
