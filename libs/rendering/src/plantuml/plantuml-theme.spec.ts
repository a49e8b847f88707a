import { contrast } from '../colour/colour';
import { THEME_DEFINITIONS, themePalette } from '../themes';
import { c4ThemeLines, isC4Source, plantumlThemeLines, styleSheetLines } from './plantuml-theme';

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

describe('C4 colours', () => {
  const C4 = '@startuml\n!include <C4/C4_Container>\nPerson(u, "User")\n@enduml';
  const variables = (lines: string[]) => Object.fromEntries(lines.flatMap((line) => {
    const match = /^!\$(\w+) = "([^"]*)"$/.exec(line);
    return match ? [[match[1], match[2]]] : [];
  }));

  it('knows a C4 source by its include of the C4 library', () => {
    expect([isC4Source(C4), isC4Source('  !include_once <C4/C4_Context>'), isC4Source("' !include <C4/C4_Container>\nclass A"), isC4Source('class C4')]).toEqual([true, true, false, false]);
  });

  it('gives only C4 sources the C4 variables, after the style sheet', () => {
    const plain = plantumlThemeLines(THEME_DEFINITIONS.dark, '@startuml\nA -> B\n@enduml');
    const c4 = plantumlThemeLines(THEME_DEFINITIONS.dark, C4);
    expect(plain.some((line) => line.startsWith('!$'))).toBe(false);
    expect(c4.slice(0, plain.length)).toEqual(plain);
    expect(variables(c4)).toMatchObject({ ELEMENT_FONT_COLOR: expect.any(String), PERSON_BG_COLOR: expect.any(String), BOUNDARY_COLOR: expect.any(String), ARROW_COLOR: expect.any(String) });
  });

  it.each(Object.keys(THEME_DEFINITIONS))('reads in the %s theme: labels 4.5:1 on their fills, every element and boundary 3:1 on the canvas', (id) => {
    const theme = THEME_DEFINITIONS[id as keyof typeof THEME_DEFINITIONS];
    const p = themePalette(theme);
    const v = variables(c4ThemeLines(p, C4));
    for (const element of ['PERSON', 'SYSTEM', 'CONTAINER', 'COMPONENT'].flatMap((name) => [name, `EXTERNAL_${name}`])) {
      const [font, bg, border] = ['FONT', 'BG', 'BORDER'].map((part) => v[`${element}_${part}_COLOR`]);
      expect([element, contrast(font, bg) >= 4.5]).toEqual([element, true]);
      // The shape stands out by its fill or its frame; the frame (a database's lid) stands out from the fill.
      expect([element, Math.max(contrast(bg, p.background), contrast(border, p.background)) >= 3, contrast(border, bg) >= 3]).toEqual([element, true, true]);
    }
    expect(contrast(v.BOUNDARY_COLOR, p.background)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(v.ARROW_FONT_COLOR, p.background)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(v.ARROW_COLOR, p.background)).toBeGreaterThanOrEqual(3);
  });

  it("leaves a source's own C4 variables, and the colours that go with them, to the source", () => {
    const own = variables(c4ThemeLines(themePalette(THEME_DEFINITIONS.dark), '!$PERSON_BG_COLOR = "#6a1b9a"\n!global $ARROW_COLOR ?= "#e67e22"\n!include <C4/C4_Context>'));
    // The person's own fill keeps C4's own white text, not the theme's dark onAccent.
    expect(Object.entries(own).filter(([name]) => /^(PERSON_|ARROW_)/.test(name))).toEqual([['PERSON_FONT_COLOR', '#FFFFFF']]);
    expect(own.SYSTEM_BG_COLOR).toBeDefined();
    const font = variables(c4ThemeLines(themePalette(THEME_DEFINITIONS.dark), '!$ELEMENT_FONT_COLOR = "#ffff00"\n!include <C4/C4_Context>'));
    expect([font.ELEMENT_FONT_COLOR, font.PERSON_FONT_COLOR, font.EXTERNAL_CONTAINER_FONT_COLOR, font.PERSON_BG_COLOR !== undefined, font.COMPONENT_FONT_COLOR !== undefined]).toEqual([undefined, undefined, undefined, true, true]);
  });
});
