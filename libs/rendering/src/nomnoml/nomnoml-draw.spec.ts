import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { THEME_DEFINITIONS, themePalette } from '../themes';
import { textsOf, unsafeTags } from '../../test/draw-checks';
import { scriptDraws } from '../../test/script-draws';

const CORPUS = join(__dirname, '../../test/corpus/nomnoml');

describe('nomnoml draw (in a script thread)', () => {
  const { draw, safe } = scriptDraws('nomnoml');

  const SAMPLE = `#direction: right
  [Customer|name: string|placeOrder()] -> [Order|total: Money]
  [<database>Orders]
  [Order] -> [Orders]
  `;

  it('draws in the theme, light and dark, with the sample labels as text', async () => {
    for (const theme of [THEME_DEFINITIONS.light, THEME_DEFINITIONS.dark]) {
      const palette = themePalette(theme);
      const { svg, diagramType } = await safe(SAMPLE, theme);
      expect(diagramType).toBe('class');
      expect(svg).toContain(`fill="${palette.nodeFill}"`);
      expect(svg).toContain(`stroke="${palette.line}"`);
      expect(svg).toContain(`fill="${palette.text}"`);
      expect(svg).not.toContain('#33322E');
      expect(textsOf(svg)).toEqual(expect.arrayContaining(['Customer', 'placeOrder()', 'Order', 'Orders']));
    }
  });

  it('keeps the colours a source sets, moving its fills where the theme text would not read on them', async () => {
    const own = await safe('#stroke: #aa0000\n#fill: #ffeecc\n[A] -> [B]', THEME_DEFINITIONS.dark);
    expect(own.svg).toContain('stroke="#aa0000"');
    expect(own.svg).toContain('fill="#ffeecc"');
    const fills = await safe('#fill: #ffeecc\n[A] -> [B]', THEME_DEFINITIONS.dark);
    expect(fills.svg).not.toContain('fill="#ffeecc"');
  });

  it('says what the diagram is from its nodes', async () => {
    expect((await safe('[<actor>User] - [<usecase>Sign in]')).diagramType).toBe('usecase');
    expect((await safe('[<start>s] -> [<state>Idle] -> [<end>e]')).diagramType).toBe('state');
    expect((await safe('[<start>s] -> [<choice>ok?] -> [<end>e]')).diagramType).toBe('activity');
  });

  it('says where a syntax error is', async () => {
    const result = await draw('[A] -> [B]\n[C] -> [D');
    expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed', line: 2 } });
    if (!result.ok) expect(result.error.message).toMatch(/^nomnoml: line 2, column \d+: expected/);
  });

  it('refuses #import, which would read another file', async () => {
    const result = await draw('[A]\n#import: /etc/passwd\n');
    expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed', line: 2 } });
    if (!result.ok) expect(result.error.message).toContain('#import');
  });

  it('keeps hostile labels and directives as harmless text', async () => {
    const { svg } = await safe(
      [
        '#title: <script>alert(1)</script>',
        '#font: x" onload="alert(1)',
        '#fill: url(http://evil.example/x.svg)',
        '#.evil: fill=url(javascript:alert(1)) stroke=javascript:alert(2)',
        '[label <script>alert(1)</script>] -> [javascript:alert(1)]',
        '[<evil>x] -> [<a href="javascript:alert(1)">y]',
      ].join('\n'),
    );
    expect(unsafeTags(svg)).toEqual([]);
    expect(textsOf(svg)).toEqual(expect.arrayContaining(['label <script>alert(1)</script>', 'javascript:alert(1)']));
  });

  it('draws every file of its corpus, with its labels as text', async () => {
    const labels = JSON.parse(readFileSync(join(CORPUS, 'labels.json'), 'utf8')) as Record<string, string[]>;
    const files = readdirSync(CORPUS).filter((file) => file !== 'labels.json');
    expect(files.sort()).toEqual(Object.keys(labels).sort());
    for (const file of files) {
      const { svg } = await safe(readFileSync(join(CORPUS, file), 'utf8'), THEME_DEFINITIONS.dark);
      const texts = textsOf(svg);
      for (const label of labels[file]) expect([file, label, texts.some((text) => text.includes(label)) || texts.join(' ').includes(label)]).toEqual([file, label, true]);
    }
  });
});
