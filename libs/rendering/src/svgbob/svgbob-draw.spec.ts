import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { THEME_DEFINITIONS, themePalette } from '../themes';
import { textsOf, unsafeTags } from '../../test/draw-checks';
import { scriptDraws } from '../../test/script-draws';

const CORPUS = join(__dirname, '../../test/corpus/svgbob');

describe('svgbob draw (in a script thread)', () => {
  const { safe } = scriptDraws('svgbob');

  const SAMPLE = `
    .--------.     .-------.     .----------.
    | client |---->|  api  |---->| database |
    '--------'     '-------'     '----------'
  `;

  it('draws in the theme, light and dark, with the sample labels as text', async () => {
    for (const theme of [THEME_DEFINITIONS.light, THEME_DEFINITIONS.dark]) {
      const palette = themePalette(theme);
      const { svg, diagramType } = await safe(SAMPLE, theme);
      expect(diagramType).toBe('svgbob');
      expect(svg).toContain(`stroke="${palette.line}"`);
      expect(svg).toContain(`fill="${palette.text}"`);
      expect(svg).not.toMatch(/<style|black/);
      expect(textsOf(svg)).toEqual(expect.arrayContaining(['client', 'api', 'database']));
    }
  });

  it('draws any text, even none: ASCII art has no syntax errors', async () => {
    expect((await safe('')).diagramType).toBe('svgbob');
    expect(textsOf((await safe('just words, no lines')).svg).join(' ')).toContain('words,');
  });

  it('writes text as XML text', async () => {
    // svgbob reads double quotes as an escape: what is between them is text, never drawing.
    expect(textsOf((await safe('| R&D "a->b" |')).svg)).toEqual(expect.arrayContaining(['R&D', 'a->b']));
  });

  it('keeps hostile text as harmless text', async () => {
    const { svg } = await safe('+------------------------+\n| <script>alert(1)</script> |\n+------------------------+\n  javascript:alert(1)\n  <a href="http://evil.example">x</a>');
    expect(unsafeTags(svg)).toEqual([]);
    // svgbob draws ( ) and / as curves and lines: the words between them stay text.
    expect(textsOf(svg)).toEqual(expect.arrayContaining(['<script>alert', 'javascript:alert', 'http://evil.example']));
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
