import { FONT_STACK, ThemeDefinition, themePalette } from '../themes';

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

/**
 * A theme as PlantUML settings, to go right after the @start line (so a diagram's own skinparams
 * and styles, which come later, win). The style sheet follows the selectors of PlantUML's default
 * skin (skin/plantuml.skin in the jar), so that every diagram kind takes the palette, and dark
 * themes paint a dark document with light text. The font is the palette's first family, which
 * Java measures with the same files Chromium later draws rasters with.
 */
export function plantumlThemeLines(theme: ThemeDefinition): string[] {
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
  ];
}
