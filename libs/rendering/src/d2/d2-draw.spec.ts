import { assertSafeSvg } from '../svg/finish-svg';
import { sanitizeSvg } from '../svg/sanitize-svg';
import { THEME_DEFINITIONS, themePalette } from '../themes';
import { ThreadPool } from '../thread/thread-pool';
import { markdownToText } from './d2-draw';

const SAMPLE = `web: Web shop
db: Orders database {shape: cylinder}
queue: Jobs {shape: queue}
cloud: Payments {
  api: Payment API
}
web -> db: writes orders
web -> queue: enqueue
queue -> cloud.api: charge
`;

/** The text a reader sees, line by line (D2 puts multi-line labels in tspans). */
const texts = (svg: string) => [...svg.matchAll(/<(?:text|tspan)\b[^>]*>([^<]*)(?=<)/g)].map((m) => m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;|&#34;/g, '"').replace(/&#39;|&apos;/g, "'").replace(/&amp;/g, '&').trim()).filter(Boolean);

function served(svg: string): string {
  const sanitized = sanitizeSvg(svg, { optimise: false }).svg;
  assertSafeSvg(sanitized);
  return sanitized;
}

describe('d2 draw (in a script thread)', () => {
  const pool = new ThreadPool({ threads: 1 });
  afterAll(() => pool.close());
  // The first draw of a thread loads 22 MB of WebAssembly.
  const soon = () => ({ runMs: 60_000 });
  const light = themePalette(THEME_DEFINITIONS.light);
  const dark = themePalette(THEME_DEFINITIONS.dark);
  const draw = (source: string, palette = light) => pool.draw('d2', source, palette, soon());

  it.each([
    ['light', light],
    ['dark', dark],
  ])('draws a diagram in the %s theme, on a transparent canvas, in the theme font, its labels as text', async (_, palette) => {
    const result = await draw(SAMPLE, palette);
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.diagramType).toBe('d2');
    const svg = served(result.value.svg);
    // D2's colour roles carry the theme: text, canvas, strokes, shapes, containers.
    for (const [role, colour] of [['N1', palette.text], ['N7', palette.background], ['B1', palette.nodeStroke], ['B6', palette.nodeFill], ['B4', palette.groupFill]]) {
      expect(svg).toContain(`.fill-${role}{fill:${colour};}`);
    }
    // No canvas of D2's own, no embedded fonts, the theme's font family.
    expect(svg).not.toMatch(/<rect[^>]*class="\s*fill-N7"/);
    expect(svg).not.toContain('@font-face');
    expect(svg).toContain('font-family:"Noto Sans"');
    expect(texts(svg)).toEqual(expect.arrayContaining(['Web shop', 'Orders database', 'Jobs', 'Payments', 'Payment API', 'writes orders', 'charge']));
  }, 90_000);

  it('fails a render whose deadline passes while D2 loads, and keeps the load: the next source draws in the same thread', async () => {
    const fresh = new ThreadPool({ threads: 1 });
    // Its slow-starting languages' own threads (thread-pool.ts), read to show the thread was kept.
    const d2Thread = () => (fresh as unknown as { own: Map<string, { threads: Array<{ threadId: number }> }> }).own.get('d2')?.threads.map((thread) => thread.threadId);
    try {
      const early = await fresh.draw('d2', 'a -> b', light, { runMs: 60_000, deadline: Date.now() + 300 });
      expect(early).toMatchObject({ ok: false, error: { code: 'render_timeout' } });
      const loading = d2Thread();
      expect(loading).toHaveLength(1);
      const later = await fresh.draw('d2', 'a -> c', light, { runMs: 60_000 });
      expect(later.ok).toBe(true);
      expect(d2Thread()).toEqual(loading);
    } finally {
      await fresh.close();
    }
  }, 120_000);

  it('keeps a D2 theme the source picks, with its canvas', async () => {
    const result = await draw(`vars: {\n  d2-config: {\n    theme-id: 200\n  }\n}\na -> b\n`);
    if (!result.ok) throw new Error(result.error.message);
    // Dark Mauve's N7 canvas and B1 strokes.
    expect(result.value.svg).toMatch(/<rect[^>]*class="\s*fill-N7"/);
    expect(result.value.svg).toContain('.stroke-B1{stroke:#CBA6f7;}');
  }, 90_000);

  it('says where a syntax error is', async () => {
    const result = await draw('a -> b\nc: {\n  shape: circle\n');
    expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed', line: 2 } });
    if (!result.ok) expect(result.error.message).toMatch(/^D2: /);
  }, 90_000);

  it('imports no other file', async () => {
    const result = await draw('a -> b\n...@shared\nx: @/etc/passwd\n');
    expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed' } });
    if (!result.ok) expect(result.error.message).toMatch(/^D2: importing other files is not supported/);
  }, 90_000);

  it('draws script and markdown as plain text, with no links, icons or foreignObject', async () => {
    const result = await draw(`a: "<script>alert(1)</script>" {link: "javascript:alert(1)"; tooltip: "tip"}
b: {icon: https://example.com/icon.svg}
c: {shape: image; icon: file:///etc/passwd}
d: {icon: /etc/passwd}
e: |md
  # Heading <script>alert(2)</script>
  - one **bold** item
  - a [link](javascript:alert(3))
|
a -> b: |md *emphasis*|
e -> c
`);
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.svg).not.toMatch(/<foreignObject|<image|<a\b/i);
    const svg = served(result.value.svg);
    expect(svg).not.toMatch(/<script|javascript:|file:|\/etc\/passwd|example\.com/i);
    expect(texts(svg)).toEqual(expect.arrayContaining(['<script>alert(1)</script>', 'Heading alert(2)', '• one bold item', '• a link', 'emphasis']));
  }, 90_000);

  it('lays out with ELK when the source asks for it', async () => {
    const result = await draw('vars: {\n  d2-config: {\n    layout-engine: elk\n  }\n}\na -> b -> c\na -> c\n');
    if (!result.ok) throw new Error(result.error.message);
    expect(texts(result.value.svg)).toEqual(expect.arrayContaining(['a', 'b', 'c']));
  }, 90_000);

  it('outlines a sequence diagram group, whose band is a faint tint, in the node stroke', async () => {
    const result = await draw('shape: sequence_diagram\na -> b: hello\nretry: On decline {\n  b -> a: declined\n}\n');
    if (!result.ok) throw new Error(result.error.message);
    const svg = served(result.value.svg);
    expect(svg).toMatch(/<g class="shape blend"\s*><rect[^>]*class=" stroke-B1 fill-N5" style="stroke-width:1;"/);
    // Only the band is half transparent, not its outline.
    expect(svg).toMatch(/\.blend\s*\{[^}]*fill-opacity:\s*0\.5/);
    expect(svg).not.toMatch(/\.blend\s*\{[^}]*[;\s]opacity:/);
  }, 90_000);

  it('names sequence diagrams and SQL tables', async () => {
    const sequence = await draw('shape: sequence_diagram\nalice -> bob: hello\n');
    expect(sequence).toMatchObject({ ok: true, value: { diagramType: 'sequence' } });
    const tables = await draw('users: {\n  shape: sql_table\n  id: int {constraint: primary_key}\n}\n');
    expect(tables).toMatchObject({ ok: true, value: { diagramType: 'sql_table' } });
  }, 90_000);
});

describe('markdownToText', () => {
  it('keeps the words of markdown and drops its markup', () => {
    expect(markdownToText('# Title\n\n\n- **one** and _two_\n* [three](http://x/(y))\n`code` ![alt](i.png)\n```\nx\n```')).toBe('Title\n\n• one and two\n• three\ncode alt\nx');
  });
});
