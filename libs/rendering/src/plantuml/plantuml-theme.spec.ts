import { THEME_DEFINITIONS } from '../themes';
import { plantumlThemeLines, styleSheetLines } from './plantuml-theme';

describe('styleSheetLines', () => {
  it('writes a selector with its brace, then one declaration or closing brace a line', () => {
    expect(styleSheetLines(['root { FontSize 14; FontColor #111 }', 'a, b { c { LineColor red } BackGroundColor blue }'])).toEqual([
      'root {',
      'FontSize 14',
      'FontColor #111',
      '}',
      'a, b {',
      'c {',
      'LineColor red',
      '}',
      'BackGroundColor blue',
      '}',
    ]);
  });

  // PlantUML's style parser costs the square of a line's length (plantuml-theme.ts): no theme may bring a long line back.
  it.each(Object.keys(THEME_DEFINITIONS))('keeps every line of the %s theme short and its braces balanced', (id) => {
    const lines = plantumlThemeLines(THEME_DEFINITIONS[id as keyof typeof THEME_DEFINITIONS]);
    const sheet = lines.slice(lines.indexOf('<style>') + 1, lines.indexOf('</style>'));
    expect(sheet.length).toBeGreaterThan(100);
    for (const line of sheet) {
      expect(line.length).toBeLessThanOrEqual(80);
      expect(line).not.toContain(';');
    }
    expect(sheet.filter((line) => line.endsWith('{')).length).toBe(sheet.filter((line) => line === '}').length);
  });
});
