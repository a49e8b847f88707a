import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { THEME_DEFINITIONS, themePalette } from '../themes';
import { textsOf, unsafeTags } from '../../test/draw-checks';
import { scriptDraws } from '../../test/script-draws';

const CORPUS = join(__dirname, '../../test/corpus/pikchr');

describe('pikchr draw (in a script thread)', () => {
  const { draw, safe } = scriptDraws('pikchr');

  const SAMPLE = `box "Request" fit rad 6px
  arrow right 0.8in "HTTPS" above
  box "API" fit rad 6px fill lightyellow
  arrow
  cylinder "Database"
  `;

  it('draws in the theme, light and dark, with the sample labels as text', async () => {
    for (const theme of [THEME_DEFINITIONS.light, THEME_DEFINITIONS.dark]) {
      const palette = themePalette(theme);
      const { svg, diagramType } = await safe(SAMPLE, theme);
      expect(diagramType).toBe('pikchr');
      expect(svg).toContain(`fill="${palette.text}"`);
      expect(svg).toContain(`stroke:${palette.nodeStroke}`);
      expect(svg).toContain(`stroke:${palette.line}`);
      expect(svg).not.toContain('rgb(0,0,0)');
      expect(svg).not.toContain('rgb(1,2,3)');
      expect(textsOf(svg)).toEqual(expect.arrayContaining(['Request', 'HTTPS', 'API', 'Database']));
    }
  });

  it('keeps the fills a source names where the text reads on them, and tints them into a dark canvas', async () => {
    expect((await safe(SAMPLE, THEME_DEFINITIONS.light)).svg).toContain('fill:rgb(255,255,224)');
    expect((await safe(SAMPLE, THEME_DEFINITIONS.dark)).svg).not.toContain('fill:rgb(255,255,224)');
  });

  it('says where a syntax error is', async () => {
    const result = await draw('box "A"\narrow from nowhere\n');
    expect(result).toMatchObject({ ok: false, error: { code: 'parse_failed', line: 2 } });
    if (!result.ok) expect(result.error.message).toMatch(/^Pikchr: .+ \(line 2, column \d+\)$/);
    const token = await draw('box "unclosed\n');
    expect(token).toMatchObject({ ok: false, error: { code: 'parse_failed', line: 1 } });
    if (!token.ok) expect(token.error.message).not.toMatch(/<div|<pre/);
  });

  it('writes labels as XML text: ampersands, HTML entities and spaces as written', async () => {
    const { svg } = await safe('box "R&D" fit\nbox "a &rarr; b &amp; c" fit\nbox "&unknown; &#169; x  y" fit');
    expect(textsOf(svg)).toEqual(expect.arrayContaining(['R&D', 'a \u2192 b & c', '&unknown; \u00a9 x  y']));
  });

  it('keeps hostile labels as harmless text', async () => {
    const { svg } = await safe('box "<script>alert(1)</script>" fit\ntext "javascript:alert(1)" at 1in below previous\ntext "<a href=\\"http://evil.example\\">x</a>"');
    expect(unsafeTags(svg)).toEqual([]);
    expect(textsOf(svg)).toEqual(expect.arrayContaining(['<script>alert(1)</script>', 'javascript:alert(1)']));
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
