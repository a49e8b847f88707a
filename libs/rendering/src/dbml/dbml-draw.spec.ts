import { assertSafeSvg } from '../svg/finish-svg';
import { sanitizeSvg } from '../svg/sanitize-svg';
import { THEME_DEFINITIONS, themePalette } from '../themes';
import { ThreadPool } from '../thread/thread-pool';

const SCHEMA = `Table users {
  id integer [pk]
  email varchar [not null]
}

Table orders {
  id integer [pk]
  user_id integer [ref: > users.id]
  status order_status
}

Enum order_status {
  placed
  shipped
}

TableGroup "customer data" {
  users
  orders
}
`;

const texts = (svg: string) => [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;|&apos;/g, "'").replace(/&amp;/g, '&').trim());

function served(svg: string): string {
  const sanitized = sanitizeSvg(svg, { optimise: false }).svg;
  assertSafeSvg(sanitized);
  return sanitized;
}

describe('dbml draw (in a script thread)', () => {
  const pool = new ThreadPool({ threads: 1 });
  afterAll(() => pool.close());
  const soon = () => ({ runMs: 20_000 });
  const light = themePalette(THEME_DEFINITIONS.light);
  const dark = themePalette(THEME_DEFINITIONS.dark);
  const draw = (source: string, palette = light) => pool.draw('dbml', source, palette, soon());

  it('labels a column that several references meet once, not once per reference over one another', async () => {
    const result = await draw('Table posts {\n  id int [pk]\n}\nTable comments {\n  post_id int [ref: > posts.id]\n}\nTable likes {\n  post_id int [ref: > posts.id]\n}\n');
    if (!result.ok) throw new Error(result.error.message);
    const labels = texts(served(result.value.svg));
    expect(labels.filter((text) => text === '1')).toHaveLength(1);
    expect(labels.filter((text) => text === '*')).toHaveLength(2);
  });

  it.each([
    ['light', light],
    ['dark', dark],
  ])('draws tables, an enum and a group in the %s theme, their names as text', async (_, palette) => {
    const result = await draw(SCHEMA, palette);
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.diagramType).toBe('dbml');
    const svg = served(result.value.svg);
    expect(svg).toContain(`fill="${palette.accents[0]}"`); // table headers
    expect(svg).toContain(`fill="${palette.nodeFill}"`); // rows
    expect(svg).toContain(`fill="${palette.groupFill}"`); // the group
    expect(svg).toContain(`fill="${palette.text}"`);
    expect(svg).toContain(`stroke="${palette.line}"`); // references
    // Drawn in the theme's font; dbml-renderer's own colours are all replaced.
    expect(svg).toContain('font-family="&quot;Noto Sans&quot;');
    expect(svg).not.toMatch(/Helvetica|Courier/);
    expect(svg).not.toMatch(/#29235c|#1d71b8|#e7e2dd|#dddddd/i);
    expect(texts(svg)).toEqual(expect.arrayContaining(['users', 'orders', 'order_status', 'email', 'shipped', 'customer data']));
  });

  it('keeps a header colour the source gives', async () => {
    const result = await draw('Table audit [headercolor: #ff6600] {\n  id int\n}\n');
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.svg.toLowerCase()).toContain('fill="#ff6600"');
  });

  it('says where a syntax error is', async () => {
    const result = await draw('Table users {\n  id integer [pk\n}\n');
    expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed', line: 4, column: 1 } });
    if (!result.ok) expect(result.error.message).toMatch(/^DBML: Could not parse input at line 4:1/);
  });

  it('says what is wrong with a reference', async () => {
    const result = await draw('Table users {\n  id integer [ref: > nowhere.id]\n}\n');
    expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed', message: 'DBML: Table nowhere does not exist' } });
  });

  it('draws markup, quotes and links in names and notes as harmless text', async () => {
    const result = await draw(`Table "<script>alert(1)</script>" [headercolor: #123456, note: 'say "hi" & <b>bye</b>'] {
  "a&b" varchar [not null]
}

Enum "<img src=x onerror=alert(1)>" {
  "<b>bold</b>"
}

TableGroup "a <b>group</b> URL=javascript:alert(1)" {
  "<script>alert(1)</script>"
}
`);
    if (!result.ok) throw new Error(result.error.message);
    const svg = served(result.value.svg);
    expect(texts(svg)).toEqual(expect.arrayContaining(['<script>alert(1)</script>', 'a&b', '<img src=x onerror=alert(1)>', '<b>bold</b>', 'a <b>group</b> URL=javascript:alert(1)']));
    expect(svg).not.toMatch(/<script|<img|<b>/i);
    expect(svg).not.toMatch(/href="javascript:/i);
  });

  it('reads no file an image or a link names', async () => {
    const result = await draw(`Table "t<IMG SRC='/etc/passwd'/>" [url: 'file:///etc/passwd'] {
  id int
}
`);
    // The markup is escaped (so it is text, not an image); the link goes with the SVG step.
    if (!result.ok) throw new Error(result.error.message);
    const svg = served(result.value.svg);
    expect(texts(svg).join(' ')).toContain("t<IMG SRC='/etc/passwd'/>");
    expect(svg).not.toMatch(/<image|file:/i);
  });
});
