import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { THEME_DEFINITIONS, themePalette } from '../themes';
import { textsOf, unsafeTags } from '../../test/draw-checks';
import { scriptDraws } from '../../test/script-draws';

const CORPUS = join(__dirname, '../../test/corpus/bytefield');

describe('bytefield draw (in a script thread)', () => {
  const { draw, safe } = scriptDraws('bytefield');

  const SAMPLE = `(defattrs :bg-green {:fill "#a0ffa0"})
  (draw-column-headers)
  (draw-box "magic" [{:span 4} :bg-green])
  (draw-box "length < 64 & flags" {:span 8})
  (draw-box 0x2a {:span 4})
  `;

  it('draws in the theme, light and dark, with the sample labels as text', async () => {
    for (const theme of [THEME_DEFINITIONS.light, THEME_DEFINITIONS.dark]) {
      const palette = themePalette(theme);
      const { svg, diagramType } = await safe(SAMPLE, theme);
      expect(diagramType).toBe('bytefield');
      expect(svg).toContain(`stroke="${palette.line}"`);
      expect(svg).toContain(`fill="${palette.text}"`);
      expect(svg).not.toContain('#000000');
      expect(textsOf(svg)).toEqual(expect.arrayContaining(['magic', 'length < 64 & flags', '0000002a']));
    }
    // The pastel the source names stays on a light canvas, and turns into a dark tint on a dark one.
    expect((await safe(SAMPLE, THEME_DEFINITIONS.light)).svg).toContain('fill="#a0ffa0"');
    expect((await safe(SAMPLE, THEME_DEFINITIONS.dark)).svg).not.toContain('fill="#a0ffa0"');
  });

  it('says where a syntax error is', async () => {
    const unclosed = await draw('(draw-box "a")\n(draw-box "b"');
    expect(unclosed).toMatchObject({ ok: false, error: { code: 'parse_failed', line: 2 } });
    if (!unclosed.ok) expect(unclosed.error.message).toMatch(/^bytefield: .*\(line 2/);
    const unknown = await draw('(draw-box "a")\n\n(frobnicate 1 2)');
    expect(unknown).toMatchObject({ ok: false, error: { code: 'parse_failed', line: 3 } });
  });

  it('gives a source no way out of its interpreter: no JavaScript, no files, no host objects', async () => {
    const escapes = [
      // A string's constructor's constructor is Function: compiling code from a string is refused in the source's context.
      '(def F (aget (aget "" "constructor") "constructor"))\n(draw-box (str ((F "return typeof process"))))',
      '(draw-box (str (js/eval "1")))',
      '(draw-box (slurp "/etc/passwd"))',
      '(load-file "/etc/passwd")',
      "(require '[clojure.java.io :as io])",
      '(draw-box (str (.-constructor (.-constructor ""))))',
      '(draw-box (str (read-string "#=(+ 1 2)")))',
    ];
    for (const source of escapes) expect([source, await draw(source)]).toMatchObject([source, { ok: false, error: { code: 'parse_failed' } }]);
  });

  it('keeps one source from seeing or changing what another draws', async () => {
    const poison = await draw('(aset (aget (aget "" "constructor") "prototype") "leak" "secret")\n(aset (aget "" "constructor") "leak" "secret")\n(draw-box "a")');
    expect(poison.ok).toBe(true);
    const { svg } = await safe('(draw-box (str (aget "" "leak") (aget (aget "" "constructor") "leak") "-"))');
    expect(svg).not.toContain('secret');
    expect(textsOf(svg)).toContain('-');
  });

  it('keeps hostile labels, links and attributes harmless', async () => {
    const { svg } = await safe(
      [
        '(def svg-attrs {:onload "alert(1)"})',
        '(draw-box "</text><script>alert(1)</script>")',
        '(wrap-link "javascript:alert(1)" (draw-box "link"))',
        '(wrap-svg [:a {:href "http://evil.example"}] (draw-box "wrapped"))',
        '(append-svg [:image {:href "http://evil.example/x.png" :width 10 :height 10}])',
        '(append-svg [:script {} "alert(1)"])',
        '(draw-box (text "styled" {:style "fill:url(http://evil.example/x)" :onclick "alert(1)"}))',
      ].join('\n'),
    );
    expect(unsafeTags(svg)).toEqual([]);
    expect(textsOf(svg)).toEqual(expect.arrayContaining(['</text><script>alert(1)</script>', 'link', 'wrapped', 'styled']));
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
