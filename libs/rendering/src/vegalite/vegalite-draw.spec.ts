import { assertSafeSvg } from '../svg/finish-svg';
import { sanitizeSvg } from '../svg/sanitize-svg';
import { THEME_DEFINITIONS, themePalette } from '../themes';
import { ThreadPool } from '../thread/thread-pool';
import { vegaLiteType } from './vegalite-draw';

const BARS = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: 'Revenue by region',
  data: { values: [{ region: 'Europe', revenue: 42 }, { region: 'Americas', revenue: 58 }, { region: 'Asia Pacific', revenue: 31 }] },
  mark: 'bar',
  encoding: {
    x: { field: 'region', type: 'nominal', title: 'Region' },
    y: { field: 'revenue', type: 'quantitative', title: 'Revenue' },
    color: { field: 'region', type: 'nominal' },
  },
};

const texts = (svg: string) => [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&'));

function served(svg: string): string {
  const sanitized = sanitizeSvg(svg, { optimise: false }).svg;
  assertSafeSvg(sanitized);
  return sanitized;
}

describe('vega-lite draw (in a script thread)', () => {
  const pool = new ThreadPool({ threads: 1 });
  afterAll(() => pool.close());
  const soon = () => ({ runMs: 20_000 });
  const light = themePalette(THEME_DEFINITIONS.light);
  const dark = themePalette(THEME_DEFINITIONS.dark);
  const draw = (spec: unknown, palette = light) => pool.draw('vegalite', typeof spec === 'string' ? spec : JSON.stringify(spec), palette, soon());

  it.each([
    ['light', light],
    ['dark', dark],
  ])('draws a bar chart in the %s theme, on a transparent canvas, its labels as text', async (_, palette) => {
    const result = await draw(BARS, palette);
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.diagramType).toBe('bar');
    const svg = served(result.value.svg);
    expect(svg).toContain(`fill="${palette.text}"`);
    for (const accent of palette.accents.slice(0, 3)) expect(svg).toContain(`fill="${accent}"`);
    expect(svg).toContain('Noto Sans');
    // Vega-Lite's default white canvas is not drawn.
    expect(svg).not.toMatch(/fill="white"/);
    expect(texts(svg)).toEqual(expect.arrayContaining(['Revenue by region', 'Region', 'Revenue', 'Europe', 'Asia Pacific']));
    // No frame around the view (the axes bound it), unless the spec asks for one.
    expect(svg).not.toMatch(/<path class="background"[^>]*stroke=/);
  });

  it("draws a view frame the spec's config asks for", async () => {
    const result = await draw({ ...BARS, config: { view: { stroke: '#333333' } } });
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.svg).toMatch(/<path class="background"[^>]*stroke="#333333"/);
  });

  it("keeps the spec's own colours", async () => {
    const result = await draw({ ...BARS, encoding: { ...BARS.encoding, color: { value: '#ff6600' } }, config: { axis: { labelColor: '#00aa00' } } });
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.svg).toContain('fill="#ff6600"');
    expect(result.value.svg).toContain('fill="#00aa00"');
  });

  it('names layered and concatenated views by their composition', async () => {
    const layered = await draw({ data: BARS.data, layer: [{ mark: 'bar', encoding: BARS.encoding }, { mark: 'rule', encoding: { y: { aggregate: 'mean', field: 'revenue' } } }] });
    expect(layered).toMatchObject({ ok: true, value: { diagramType: 'layer' } });
    expect(vegaLiteType({ hconcat: [] })).toBe('hconcat');
    expect(vegaLiteType({ mark: { type: 'line', point: true } })).toBe('line');
  });

  it('says where the JSON breaks', async () => {
    const result = await draw('{\n  "mark": "bar",\n  "encoding": {\n    "x": {"field": "a",}\n  }\n}');
    expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed', line: 4 } });
    if (!result.ok) expect(result.error.message).toMatch(/^Vega-Lite: the spec is not valid JSON/);
  });

  it("passes on Vega-Lite's complaint about a spec", async () => {
    const result = await draw({ data: { values: [] }, mark: 'blob' });
    expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed' } });
    if (!result.ok) expect(result.error.message).toMatch(/^Vega-Lite: unknown mark "blob"/);
  });

  it.each(['https://example.com/cars.json', 'file:///etc/passwd', 'data/cars.json'])('refuses data from %s', async (url) => {
    const result = await draw({ ...BARS, data: { url } });
    expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed' } });
    if (!result.ok) expect(result.error.message).toContain('data from URLs or files is not loaded; inline the values');
  });

  it('refuses images from URLs', async () => {
    const result = await draw({ data: { values: [{ x: 1, y: 1, img: 'https://example.com/a.png' }] }, mark: { type: 'image', width: 20, height: 20 }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, url: { field: 'img', type: 'nominal' } } });
    expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed' } });
    if (!result.ok) expect(result.error.message).toContain('images from URLs or files are not loaded');
  });

  it('draws script in labels as text, and drops javascript: links', async () => {
    const result = await draw({
      ...BARS,
      title: '<script>alert(1)</script>',
      data: { values: [{ region: '<img src=x onerror=alert(1)>', revenue: 3, link: 'javascript:alert(1)' }] },
      encoding: { ...BARS.encoding, href: { field: 'link', type: 'nominal' } },
    });
    if (!result.ok) throw new Error(result.error.message);
    const svg = served(result.value.svg);
    expect(texts(svg)).toEqual(expect.arrayContaining(['<script>alert(1)</script>', '<img src=x onerror=alert(1)>']));
    expect(svg).not.toMatch(/<script|<img|javascript:/i);
  });

  it('refuses a Vega spec, naming the language to use', async () => {
    const result = await draw({ $schema: 'https://vega.github.io/schema/vega/v6.json', marks: [] });
    expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed' } });
    if (!result.ok) expect(result.error.message).toMatch(/render it as vega/);
  });
});
