import { assertSafeSvg } from '../svg/finish-svg';
import { sanitizeSvg } from '../svg/sanitize-svg';
import { THEME_DEFINITIONS, themePalette } from '../themes';
import { ThreadPool } from '../thread/thread-pool';
import { jsonErrorOffset } from './vega-draw';

const BARS = {
  $schema: 'https://vega.github.io/schema/vega/v6.json',
  width: 300,
  height: 160,
  title: 'Sign-ups per weekday',
  data: [{ name: 'table', values: [{ day: 'Mon', n: 12 }, { day: 'Tue', n: 19 }, { day: 'Wed', n: 7 }] }],
  scales: [
    { name: 'x', type: 'band', domain: { data: 'table', field: 'day' }, range: 'width', padding: 0.1 },
    { name: 'y', domain: { data: 'table', field: 'n' }, nice: true, range: 'height' },
    { name: 'color', type: 'ordinal', domain: { data: 'table', field: 'day' }, range: 'category' },
  ],
  axes: [
    { orient: 'bottom', scale: 'x', title: 'Weekday' },
    { orient: 'left', scale: 'y', title: 'Sign-ups' },
  ],
  marks: [
    {
      type: 'rect',
      from: { data: 'table' },
      encode: { enter: { x: { scale: 'x', field: 'day' }, width: { scale: 'x', band: 1 }, y: { scale: 'y', field: 'n' }, y2: { scale: 'y', value: 0 }, fill: { scale: 'color', field: 'day' } } },
    },
  ],
};

/** The text nodes of an SVG, entities decoded. */
const texts = (svg: string) => [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&'));

/** What the SVG step makes of a drawing, checked as every served SVG is. */
function served(svg: string): string {
  const sanitized = sanitizeSvg(svg, { optimise: false }).svg;
  assertSafeSvg(sanitized);
  return sanitized;
}

describe('vega draw (in a script thread)', () => {
  const pool = new ThreadPool({ threads: 1 });
  afterAll(() => pool.close());
  const soon = () => ({ runMs: 20_000 });
  const light = themePalette(THEME_DEFINITIONS.light);
  const dark = themePalette(THEME_DEFINITIONS.dark);
  const draw = (spec: unknown, palette = light) => pool.draw('vega', typeof spec === 'string' ? spec : JSON.stringify(spec), palette, soon());

  it.each([
    ['light', light],
    ['dark', dark],
  ])('draws a bar chart in the %s theme, on a transparent canvas, its labels as text', async (_, palette) => {
    const result = await draw(BARS, palette);
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.diagramType).toBe('vega');
    const svg = served(result.value.svg);
    // Axis text in the theme's text colour, the categories in its accents, the theme's font.
    expect(svg).toContain(`fill="${palette.text}"`);
    for (const accent of palette.accents.slice(0, 3)) expect(svg).toContain(`fill="${accent}"`);
    expect(svg).toContain('Noto Sans');
    expect(svg).not.toMatch(/<rect[^>]*fill="(?:white|#fff(?:fff)?)"/i);
    expect(texts(svg)).toEqual(expect.arrayContaining(['Sign-ups per weekday', 'Weekday', 'Sign-ups', 'Mon', 'Tue']));
  });

  it("keeps the spec's own config over the theme's", async () => {
    const result = await draw({ ...BARS, config: { axis: { labelColor: '#ff0000' }, range: { category: ['#123456', '#234567', '#345678'] } } });
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.svg).toContain('fill="#ff0000"');
    expect(result.value.svg).toContain('fill="#123456"');
  });

  it('says where the JSON breaks', async () => {
    const result = await draw('{\n  "width": 100,\n  "marks": [\n}');
    expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed', line: 4 } });
    if (!result.ok) expect(result.error.message).toMatch(/^Vega: the spec is not valid JSON/);
  });

  it("passes on Vega's own complaint about a spec", async () => {
    const result = await draw({ marks: [{ type: 'blob' }] });
    expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed' } });
    if (!result.ok) expect(result.error.message).toMatch(/^Vega: unknown mark type "blob"/);
  });

  it.each(['https://example.com/data.csv', 'file:///etc/passwd', '/etc/passwd', 'data/cars.json'])('refuses data from %s', async (url) => {
    const result = await draw({ data: [{ name: 't', url }], marks: [{ type: 'symbol', from: { data: 't' } }] });
    expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed' } });
    if (!result.ok) expect(result.error.message).toContain('data from URLs or files is not loaded; inline the values');
  });

  it('refuses an image from a URL and keeps one embedded as a data: URI', async () => {
    const image = (url: string) => ({ width: 50, height: 50, marks: [{ type: 'image', encode: { enter: { url: { value: url }, width: { value: 20 }, height: { value: 20 } } } }] });
    const refused = await draw(image('https://example.com/logo.png'));
    expect(refused).toMatchObject({ ok: false, error: { code: 'parse_failed' } });
    if (!refused.ok) expect(refused.error.message).toContain('images from URLs or files are not loaded');
    const pixel = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const kept = await draw(image(pixel));
    if (!kept.ok) throw new Error(kept.error.message);
    expect(served(kept.value.svg)).toContain(pixel);
  });

  it('draws script in labels as text, and drops javascript: links', async () => {
    const result = await draw({
      ...BARS,
      title: '<script>alert(1)</script>',
      marks: [{ ...BARS.marks[0], encode: { enter: { ...BARS.marks[0].encode.enter, href: { value: 'javascript:alert(1)' } } } }],
    });
    if (!result.ok) throw new Error(result.error.message);
    const svg = served(result.value.svg);
    expect(texts(svg)).toContain('<script>alert(1)</script>');
    expect(svg).not.toMatch(/<script|javascript:/i);
  });

  it('interprets expressions without reaching constructors or the prototype chain', async () => {
    const result = await draw({
      width: 200,
      height: 40,
      data: [{ name: 't', values: [{ o: { k: 1 } }] }],
      marks: [
        {
          type: 'text',
          from: { data: 't' },
          encode: { enter: { text: { signal: "'ctor:' + datum.o.constructor + ' proto:' + datum.o.__proto__ + ' k:' + datum.o.k + ' fmt:' + format(1234.5, ',')" } } },
        },
      ],
    });
    if (!result.ok) throw new Error(result.error.message);
    expect(texts(result.value.svg)).toContain('ctor:undefined proto:undefined k:1 fmt:1,234.5');
  });

  it('answers a spec that Vega itself cannot take apart as a fault of the source', async () => {
    const result = await draw({ data: [{ name: 't', values: [{ a: 1 }] }], marks: [{ type: 'text', from: { data: 't' }, encode: { enter: { text: { signal: "datum['constructor']['constructor']('return process')()" } } } }] });
    expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed' } });
  });

  it('stops timers of the spec once drawn', async () => {
    const result = await draw({ width: 10, height: 10, signals: [{ name: 'tick', value: 0, on: [{ events: 'timer{10}', update: 'tick + 1' }] }] });
    expect(result.ok).toBe(true);
  });
});

describe('jsonErrorOffset', () => {
  it.each([
    ['{"a":}', 5],
    ['{"a": 1,}', 8],
    ['[1, 2', 5],
    ['{"a": tru}', 6],
    ['{"a": "x\n"}', 8],
  ])('finds where %j stops being JSON', (text, offset) => {
    expect(jsonErrorOffset(text)).toBe(offset);
  });
});
