import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertSafeSvg } from '../svg/finish-svg';
import { sanitizeSvg } from '../svg/sanitize-svg';
import { THEME_DEFINITIONS, themePalette, type ThemeDefinition } from '../themes';
import { ThreadPool } from '../thread/thread-pool';
import { textsOf, unsafeTags } from '../../test/draw-checks';

const CORPUS = join(__dirname, '../../test/corpus/svgbob');

describe('svgbob draw (in a script thread)', () => {
  const pool = new ThreadPool({ threads: 1 });
  afterAll(() => pool.close());
  const soon = () => ({ runMs: 20_000 });
  const draw = (source: string, theme: ThemeDefinition = THEME_DEFINITIONS.light) => pool.draw('svgbob', source, themePalette(theme), soon());
  /** Drawn, then through the SVG step and the last safety check, as every drawing is served. */
  async function safe(source: string, theme: ThemeDefinition = THEME_DEFINITIONS.light): Promise<{ svg: string; diagramType: string }> {
    const result = await draw(source, theme);
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
    const { svg } = sanitizeSvg(result.value.svg, { optimise: false });
    assertSafeSvg(svg);
    return { svg, diagramType: result.value.diagramType };
  }

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
