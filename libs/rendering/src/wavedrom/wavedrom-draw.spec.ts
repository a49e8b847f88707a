import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { THEME_DEFINITIONS, themePalette } from '../themes';
import { textsOf, unsafeTags } from '../../test/draw-checks';
import { scriptDraws } from '../../test/script-draws';

const CORPUS = join(__dirname, '../../test/corpus/wavedrom');

describe('wavedrom draw (in a script thread)', () => {
  const { draw, safe } = scriptDraws('wavedrom');

  const SAMPLE = `{ signal: [
    { name: 'clk',  wave: 'p.....' },
    { name: 'req',  wave: '01..0.' },
    { name: 'data', wave: 'x.34x.', data: ['head', 'tail'] },
  ]}`;

  it('draws a timing diagram in the theme, light and dark, with its labels as text', async () => {
    for (const theme of [THEME_DEFINITIONS.light, THEME_DEFINITIONS.dark]) {
      const palette = themePalette(theme);
      const { svg, diagramType } = await safe(SAMPLE, theme);
      expect(diagramType).toBe('signal');
      expect(svg).toContain(`stroke:${palette.text}`);
      expect(svg).toContain(`fill="${palette.text}"`);
      // The skin's style sheet is written into the elements: nothing styles the page around the drawing.
      expect(svg).not.toMatch(/<style|stroke:#000\b|fill:white/i);
      expect(textsOf(svg)).toEqual(expect.arrayContaining(['clk', 'req', 'data', 'head', 'tail']));
    }
  });

  it('says which kind of drawing it is: signal, bitfield (reg) or assign', async () => {
    const reg = await safe("{ reg: [{ bits: 8, name: 'opcode' }, { bits: 8, name: 'imm', type: 3 }] }", THEME_DEFINITIONS.dark);
    expect(reg.diagramType).toBe('bitfield');
    expect(reg.svg).toContain(`fill="${themePalette(THEME_DEFINITIONS.dark).text}"`);
    expect(reg.svg).not.toContain('stroke="black"');
    const assign = await safe("{ assign: [['out', ['&', 'a', 'b']]] }", THEME_DEFINITIONS.dark);
    expect(assign.diagramType).toBe('assign');
    expect(assign.svg).not.toMatch(/<style|:hover/);
  });

  it('reads the source as data, never as code, and says where it does not parse', async () => {
    const broken = await draw("{ signal: [\n  { name: 'a', wave: '01' \n]}");
    expect(broken).toMatchObject({ ok: false, error: { code: 'parse_failed', line: 3 } });
    if (!broken.ok) expect(broken.error.message).toMatch(/^WaveDrom: /);
    const code = await draw("{ signal: [{ name: (function () { return process.exit(1) })(), wave: '01' }] }");
    expect(code).toMatchObject({ ok: false, error: { code: 'parse_failed', line: 1 } });
    expect(await draw('[1, 2]')).toMatchObject({ ok: false, error: { code: 'parse_failed' } });
    expect(await draw('{ config: {} }')).toMatchObject({ ok: false, error: { code: 'parse_failed' } });
    expect(await draw("{ signal: 'p...' }")).toMatchObject({ ok: false, error: { code: 'parse_failed' } });
  });

  it('keeps hostile markup in names as harmless text or drops it', async () => {
    const { svg } = await safe(`{ signal: [
      { name: '<script>alert(1)</script>', wave: '01' },
      { name: ['tspan', { onclick: 'alert(1)', style: 'fill:url(http://evil.example/x)' }, 'clicky'], wave: '10' },
      { name: ['a', { href: 'javascript:alert(1)', 'xlink:href': 'javascript:alert(2)' }, 'link'], wave: '01' },
      { name: ['script', {}, 'alert(1)'], wave: '01' },
      { name: ['image', { href: 'http://evil.example/x.png', width: 10, height: 10 }], wave: '01' },
      { name: ['foreignObject', {}, ['div', {}, 'html']], wave: '01' },
    ], head: { text: ['tspan', { class: 'h3' }, 'javascript:alert(3)'] } }`);
    expect(unsafeTags(svg)).toEqual([]);
    expect(textsOf(svg)).toEqual(expect.arrayContaining(['<script>alert(1)</script>', 'javascript:alert(3)']));
    expect(textsOf(svg).join(' ')).toContain('clicky');
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
