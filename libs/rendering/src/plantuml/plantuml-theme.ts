import { contrast, mix, readableFill, visibleStroke } from '../colour/colour';
import { FONT_STACK, ThemeDefinition, ThemePalette, themePalette } from '../themes';

/** PlantUML's own base font size; the palette's 16 px (mermaid's) maps onto it. */
const PLANTUML_FONT_SIZE = 14;

/**
 * A style sheet as PlantUML reads it fastest: a selector and its `{` on one line, then one
 * declaration or `}` per line. PlantUML's style parser re-reads (and trims a copy of) the whole
 * current line for each character it looks at, so its cost grows with the square of a line's
 * length: the same sheet written as one rule a line cost 3-20 ms of JVM time a diagram (timing
 * 3.8 -> 20 ms against no theme), one declaration a line ~1.5 ms (bench/RESULTS.md, issue 13).
 * The picture is identical; only the line numbers PlantUML writes into data-source-line move.
 */
export function styleSheetLines(rules: readonly string[]): string[] {
  const lines: string[] = [];
  for (const rule of rules) {
    let text = '';
    for (const part of rule.split(/\s*([{};])\s*/)) {
      if (part === '{') {
        lines.push(`${text.trim()} {`);
        text = '';
      } else if (part === '}' || part === ';') {
        if (text.trim()) lines.push(text.trim());
        if (part === '}') lines.push('}');
        text = '';
      } else text += part;
    }
    if (text.trim()) lines.push(text.trim());
  }
  return lines;
}

/** Whether a source draws with C4-PlantUML: it includes the C4 library of the jar's standard library (`!include <C4/C4_Container>`). */
export function isC4Source(source: string): boolean {
  return /^[ \t]*!include(?:_once|_many)?[ \t]+<C4\//im.test(source);
}

/** C4-PlantUML's own font colours of its elements (white on its blues and greys, black on its light component fills). */
const C4_FONTS: Record<string, string> = Object.fromEntries(
  ['PERSON', 'SYSTEM', 'CONTAINER', 'COMPONENT'].flatMap((name) => [name, `EXTERNAL_${name}`]).map((name) => [`${name}_FONT_COLOR`, name.endsWith('COMPONENT') ? '#000000' : '#FFFFFF']),
);

/**
 * C4-PlantUML's colours in the theme. The library sets them from variables it defines only when
 * they are not defined yet (`!$PERSON_BG_COLOR ?= "#08427B"`), so defining them before the
 * source's `!include <C4/…>` themes every element, boundary, relation and legend entry; a source's
 * own `UpdateElementStyle(…)`, `AddElementTag(…)` and the like come after the include and win, and
 * a variable the source sets itself is left to it (with the colours that go with it). C4's own look is a family of blues carrying
 * white text (a person darkest, a component lightest, with black text) and greys for external
 * elements: here the theme's first accent and its neutral (last) accent, deepened away from
 * `onAccent` for persons and systems (so that `onAccent` reads on them all the better), and
 * components as the theme's text on a tint of the accent, framed in the accent. Accent-filled
 * shapes are outlined in the canvas colour, which parts a database's lid from its body at least
 * 3:1 (every accent stands out 3:1 from the canvas). Boundaries, relations and their labels take
 * the theme's line colour (moved towards its text until labels read 4.5:1).
 */
export function c4ThemeLines(p: ThemePalette, source: string): string[] {
  const away = contrast(p.onAccent, '#000000') > contrast(p.onAccent, '#ffffff') ? '#000000' : '#ffffff';
  const deep = (colour: string, t: number) => mix(colour, away, t);
  // A tint of `colour` under the theme's text (4.5:1) that its frame in `colour` (a database's lid too) stands out from (3:1).
  const tint = (colour: string) => {
    for (let t = p.tone === 'dark' ? 0.3 : 0.18; t > 0; t -= 0.02) {
      const fill = readableFill(mix(p.background, colour, t), p.text, p.background);
      if (contrast(fill, colour) >= 3.1) return fill;
    }
    return p.background;
  };
  const [accent, neutral] = [p.accents[0], p.accents[11]];
  const ink = visibleStroke(p.line, p.text, p.background, 4.5);
  const [darker, lighter] = contrast(p.text, '#000000') < contrast(p.background, '#000000') ? [p.text, p.background] : [p.background, p.text];
  const filled = (fill: string) => ({ font: p.onAccent, bg: fill, border: p.background });
  const tinted = (colour: string) => ({ font: p.text, bg: tint(colour), border: colour });
  const elements: Record<string, { font: string; bg: string; border: string }> = {
    PERSON: filled(deep(accent, 0.5)),
    SYSTEM: filled(deep(accent, 0.25)),
    CONTAINER: filled(accent),
    COMPONENT: tinted(accent),
    EXTERNAL_PERSON: filled(deep(neutral, 0.4)),
    EXTERNAL_SYSTEM: filled(deep(neutral, 0.2)),
    EXTERNAL_CONTAINER: filled(neutral),
    EXTERNAL_COMPONENT: tinted(neutral),
  };
  // Colours that go together: a source that sets one of a group itself (`!$PERSON_BG_COLOR = "#…"`,
  // before or after its include) keeps C4's own for the rest, which its choice was made against
  // (a dark purple person keeps C4's white text).
  const groups: Array<Record<string, string>> = [
    ...Object.entries(elements).map(([name, c]) => ({ [`${name}_FONT_COLOR`]: c.font, [`${name}_BG_COLOR`]: c.bg, [`${name}_BORDER_COLOR`]: c.border })),
    { NODE_FONT_COLOR: p.text, NODE_BG_COLOR: p.nodeFill, NODE_BORDER_COLOR: p.nodeStroke },
    { ARROW_COLOR: p.line, ARROW_FONT_COLOR: ink },
    { BOUNDARY_COLOR: ink, BOUNDARY_BG_COLOR: 'transparent' },
    { LEGEND_TITLE_COLOR: p.text, LEGEND_FONT_COLOR: p.text },
    { LEGEND_DARK_COLOR: darker, LEGEND_LIGHT_COLOR: lighter },
  ];
  const own = new Set([...source.matchAll(/^[ \t]*!(?:global[ \t]+|local[ \t]+)?\$([A-Z_]+)[ \t]*\??=/gm)].map((match) => match[1]));
  // C4 writes persons, systems and containers in `$ELEMENT_FONT_COLOR` unless set apart: a source that sets it keeps it on them.
  const fonts = new Set(own.has('ELEMENT_FONT_COLOR') ? ['PERSON', 'SYSTEM', 'CONTAINER'].flatMap((name) => [`${name}_FONT_COLOR`, `EXTERNAL_${name}_FONT_COLOR`]) : []);
  const lines = own.has('ELEMENT_FONT_COLOR') ? [] : [`!$ELEMENT_FONT_COLOR = "${p.onAccent}"`];
  for (const group of groups) {
    const names = Object.keys(group);
    if (names.some((name) => own.has(name))) {
      // An element's own fill with C4's own font, which C4 would otherwise take from our `$ELEMENT_FONT_COLOR`.
      const font = names.find((name) => name.endsWith('_FONT_COLOR') && C4_FONTS[name]);
      if (font && !own.has(font) && !fonts.has(font)) lines.push(`!$${font} = "${C4_FONTS[font]}"`);
      continue;
    }
    for (const [name, value] of Object.entries(group)) if (!fonts.has(name)) lines.push(`!$${name} = "${value}"`);
  }
  return lines;
}

/**
 * A theme as PlantUML settings, to go right after the @start line (so a diagram's own skinparams
 * and styles, which come later, win). The style sheet follows the selectors of PlantUML's default
 * skin (skin/plantuml.skin in the jar), so that every diagram kind takes the palette, and dark
 * themes paint a dark document with light text. The font is the palette's first family, which
 * Java measures with the same files Chromium later draws rasters with. A source that includes the
 * C4 library (`source`, when given) also gets the theme's C4 colours (c4ThemeLines).
 */
export function plantumlThemeLines(theme: ThemeDefinition, source = ''): string[] {
  const p = themePalette(theme);
  const font = p.fontFamily.split(',')[0].trim().replace(/^["']|["']$/g, '');
  const size = Math.round((p.fontSize * PLANTUML_FONT_SIZE) / 16);
  const start = `circle { start, stop, end { LineColor ${p.text}; BackGroundColor ${p.text} } }`;
  return [
    // Dark mode switches PlantUML's own defaults (and the kinds that ignore style sheets: salt, wire, board) to light ink.
    ...(p.tone === 'dark' ? ['skinparam mode dark'] : []),
    `skinparam defaultFontName "${font}"`,
    '<style>',
    ...styleSheetLines([
      `root { FontName "${font}"; FontSize ${size}; FontColor ${p.text}; LineColor ${p.nodeStroke}; LineThickness 1; BackGroundColor ${p.nodeFill}; HyperLinkColor ${p.line} }`,
      `document { BackGroundColor ${p.background}; title { FontColor ${p.text}; LineColor transparent; BackGroundColor transparent } header, footer { FontColor ${p.text} } legend { LineColor ${p.nodeStroke}; BackGroundColor ${p.groupFill} } frame { LineColor ${p.nodeStroke} } }`,
      `element { FontColor ${p.text}; LineColor ${p.nodeStroke}; LineThickness 1; BackGroundColor ${p.nodeFill} }`,
      `group { BackGroundColor transparent; LineColor ${p.nodeStroke}; package, folder { LineColor ${p.nodeStroke} } }`,
      `arrow { FontColor ${p.text}; FontSize ${size - 3}; LineColor ${p.line}; LineThickness 1 }`,
      `note { FontColor ${p.noteText}; LineColor ${p.noteStroke}; BackGroundColor ${p.noteFill} }`,
      `swimlane { LineColor ${p.nodeStroke}; BackGroundColor ${p.background} }`,
      `milestone { LineColor ${p.text}; BackGroundColor ${p.text} }`,
      `sequenceDiagram { participant, actor, boundary, control, entity, queue, database, collections { BackGroundColor ${p.nodeFill} } lifeLine { LineColor ${p.line}; LineThickness 1; BackGroundColor ${p.background} } activationBox { BackGroundColor ${p.groupFill} } group, reference { LineColor ${p.nodeStroke} } groupHeader, referenceHeader { FontColor ${p.text}; LineColor ${p.nodeStroke}; BackGroundColor ${p.groupFill} } box { BackGroundColor ${p.groupFill} } separator { LineColor ${p.tone === 'light' ? '#000000' : p.text}; BackGroundColor ${p.groupFill} } destroy { LineColor ${p.line} } }`,
      `classDiagram, componentDiagram, objectDiagram { generic { BackGroundColor ${p.background} } }`,
      `activityDiagram { composite, partition { LineColor ${p.nodeStroke} } activityBar { BackGroundColor ${p.line} } ${start} }`,
      `stateDiagram { ${start} }`,
      `ganttDiagram { task { LineColor ${p.nodeStroke}; LineThickness 1; BackGroundColor ${p.nodeFill} } undone { BackGroundColor ${p.background} } closed { FontColor ${p.text}; BackGroundColor ${p.background} } timeline { FontColor ${p.text}; LineColor transparent; BackGroundColor transparent } separator { FontColor ${p.text}; LineColor ${p.nodeStroke}; BackGroundColor transparent } verticalSeparator { LineColor ${p.line} } }`,
      `timingDiagram { FontName "${FONT_STACK.split(',')[0].replace(/"/g, '')}"; FontColor ${p.text}; FontSize ${size - 3}; LineColor ${p.text}; LineThickness 1; arrow, constraintArrow, clock, concise, robust, binary { FontColor ${p.text}; LineColor ${p.nodeStroke}; LineThickness 1 } arrow { FontSize ${size - 5} } concise, robust { FontSize ${size - 4}; BackGroundColor ${p.background} } highlight { BackGroundColor ${p.groupFill} } }`,
      `jsonDiagram, yamlDiagram { FontColor ${p.text}; LineColor ${p.nodeStroke}; LineThickness 1; node { LineColor ${p.nodeStroke}; LineThickness 1; BackGroundColor ${p.nodeFill}; highlight { BackGroundColor ${p.noteFill} } } }`,
      `nwdiagDiagram { network, server { BackGroundColor ${p.nodeFill} } group { LineColor ${p.nodeStroke}; BackGroundColor ${p.groupFill} } }`,
    ]),
    '</style>',
    ...(isC4Source(source) ? c4ThemeLines(p, source) : []),
  ];
}
