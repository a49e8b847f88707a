import { THEMES, ThemeId } from '@flowsmith/contracts';

/** Fonts installed by `npm run up` (Debian's fonts-noto-*): the Chromium that measures and the one that draws rasters use the same files. */
export const FONT_STACK = '"Noto Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Color Emoji", sans-serif';
const MONO_STACK = '"Noto Sans Mono", "Noto Sans CJK SC", "Noto Color Emoji", monospace';

export interface ThemeDefinition {
  id: ThemeId;
  tone: 'light' | 'dark';
  /** Painted behind the diagram: into the SVG for dark themes, and under every PNG. */
  background: string;
  /** Colour of the watermark on this background. */
  watermark: string;
  /** Mermaid's own configuration for the theme: `theme: 'base'` plus these variables. */
  mermaid: { themeVariables: Record<string, string | boolean | Record<string, string | number>>; themeCSS?: string };
}

/**
 * A theme's colours and fonts in engine-neutral terms, for the engines that are not mermaid
 * (PlantUML skinparams, draw.io and BPMN canvases): the same palette as the mermaid theme.
 */
export interface ThemePalette {
  tone: 'light' | 'dark';
  background: string;
  /** Fill of shapes (nodes, tasks, participants). */
  nodeFill: string;
  nodeStroke: string;
  /** Text on shapes and on the canvas. */
  text: string;
  /** Edges, arrows, sequence messages. */
  line: string;
  /** Fill of secondary shapes (groups, packages, pools). */
  groupFill: string;
  noteFill: string;
  noteStroke: string;
  noteText: string;
  fontFamily: string;
  /** In px. */
  fontSize: number;
  /** Categorical colours (series, slices, branches), each 3:1 on the background; `onAccent` reads 4.5:1 on each. */
  accents: string[];
  onAccent: string;
}

export function themePalette(theme: ThemeDefinition): ThemePalette {
  const v = theme.mermaid.themeVariables as Record<string, string>;
  return {
    tone: theme.tone,
    background: theme.background,
    nodeFill: v.mainBkg ?? v.primaryColor,
    nodeStroke: v.primaryBorderColor,
    text: v.primaryTextColor ?? v.textColor,
    line: v.lineColor,
    groupFill: v.secondaryColor,
    noteFill: v.noteBkgColor,
    noteStroke: v.noteBorderColor,
    noteText: v.noteTextColor ?? v.textColor,
    fontFamily: v.fontFamily,
    fontSize: Number.parseFloat(v.fontSize) || 16,
    accents: Array.from({ length: 12 }, (_, i) => v[`cScale${i}`]),
    onAccent: v.scaleLabelColor,
  };
}

const common = { fontFamily: FONT_STACK, fontSize: '16px' };

type Rgb = [number, number, number];
const rgbOf = (hex: string): Rgb => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as Rgb;
const hexOf = (rgb: Rgb) => `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
/** `a` moved towards `b` by `t` (0..1), in sRGB. */
const mix = (a: string, b: string, t: number) => hexOf(rgbOf(a).map((c, i) => c + (rgbOf(b)[i] - c) * t) as Rgb);

/**
 * What every diagram type's colours are derived from (perTypeVariables). The categorical accents
 * (pie slices, mindmap and timeline branches, git branches, chart series) each stand out 3:1 from
 * the canvas (WCAG 1.4.11), and `onAccent` reads 4.5:1 on each of them; `quiet` is the border of
 * tinted shapes, 3:1 against the canvas. The quality gate (libs/rendering/test/quality-gate.ts)
 * holds every theme to this.
 */
interface Palette {
  background: string;
  text: string;
  /** Secondary text: axis ticks, byte numbers, subtitles; 4.5:1 on the canvas. */
  muted: string;
  line: string;
  /** Outline of tinted or canvas-coloured shapes: 3:1 on the canvas. */
  quiet: string;
  accents: string[];
  onAccent: string;
  /** How much of an accent a tinted fill keeps (the rest is canvas). */
  tint: number;
}

// Tailwind's 700s (light canvases: white labels on them), 400s and 300s (dark canvases: dark labels), 900s (high contrast).
const ACCENTS_700 = ['#1d4ed8', '#b91c1c', '#15803d', '#b45309', '#6d28d9', '#0e7490', '#be185d', '#0f766e', '#4338ca', '#c2410c', '#4d7c0f', '#475569'];
const ACCENTS_400 = ['#60a5fa', '#f87171', '#4ade80', '#fbbf24', '#a78bfa', '#22d3ee', '#f472b6', '#2dd4bf', '#818cf8', '#fb923c', '#a3e635', '#94a3b8'];
const ACCENTS_300 = ['#93c5fd', '#fca5a5', '#86efac', '#fcd34d', '#c4b5fd', '#67e8f9', '#f9a8d4', '#5eead4', '#a5b4fc', '#fdba74', '#bef264', '#cbd5e1'];
const ACCENTS_900 = ['#1e3a8a', '#7f1d1d', '#14532d', '#78350f', '#4c1d95', '#164e63', '#831843', '#134e4a', '#312e81', '#7c2d12', '#365314', '#111827'];

/**
 * Mermaid's per-type theme variables, from the palette: the types whose defaults are computed from
 * the primary colour (cScale: mindmap, timeline, kanban, journey; pie; git; gantt's tasks;
 * quadrant, xychart, radar, packet, treemap, treeView, railroad, venn, cynefin, wardley, event
 * modeling, C4, architecture) and come out black, white or near the canvas in some theme.
 */
function perTypeVariables(p: Palette): Record<string, string | boolean | Record<string, string | number>> {
  const a = (i: number) => p.accents[i % p.accents.length];
  const tinted = (i: number) => mix(p.background, a(i), p.tint);
  const v: Record<string, string | boolean | Record<string, string | number>> = {};
  for (let i = 0; i < 12; i++) {
    Object.assign(v, { [`cScale${i}`]: a(i), [`cScalePeer${i}`]: a(i), [`cScaleInv${i}`]: p.background, [`cScaleLabel${i}`]: p.onAccent, [`pie${i + 1}`]: a(i) });
  }
  for (let i = 0; i < 8; i++) Object.assign(v, { [`git${i}`]: a(i), [`gitInv${i}`]: p.background, [`gitBranchLabel${i}`]: p.onAccent });
  for (let i = 0; i < 8; i++) Object.assign(v, { [`venn${i + 1}`]: a(i), [`fillType${i}`]: tinted(i) });
  return {
    ...v,
    scaleLabelColor: p.onAccent,
    // pie: opaque slices parted by canvas-coloured strokes, labels on the slices.
    pieOpacity: '1', pieStrokeColor: p.background, pieStrokeWidth: '1.5px', pieOuterStrokeColor: p.quiet, pieOuterStrokeWidth: '1.5px',
    pieSectionTextColor: p.onAccent, pieTitleTextColor: p.text, pieLegendTextColor: p.text, pieLegendTextSize: '15px', pieSectionTextSize: '14px',
    // git: commit labels and tags on the canvas colour, framed.
    commitLabelColor: p.text, commitLabelBackground: p.background, tagLabelColor: p.text, tagLabelBackground: p.background, tagLabelBorder: p.quiet, tagBorder: p.quiet,
    // gantt: tinted bars with a 3:1 outline carry the theme's text, inside and beside them.
    taskBkgColor: tinted(0), taskBorderColor: a(0), taskTextColor: p.text, taskTextDarkColor: p.text, taskTextLightColor: p.text, taskTextOutsideColor: p.text, taskTextClickableColor: p.text,
    activeTaskBkgColor: tinted(5), activeTaskBorderColor: a(5), doneTaskBkgColor: tinted(11), doneTaskBorderColor: a(11), critBkgColor: tinted(1), critBorderColor: a(1),
    gridColor: mix(p.background, p.muted, 0.35), todayLineColor: a(1), excludeBkgColor: mix(p.background, p.muted, 0.12), vertLineColor: p.line,
    sectionBkgColor: mix(p.background, p.muted, 0.1), altSectionBkgColor: p.background, sectionBkgColor2: mix(p.background, p.muted, 0.1),
    // quadrant: tinted quarters parted by 3:1 borders.
    quadrant1Fill: tinted(2), quadrant2Fill: tinted(0), quadrant3Fill: tinted(11), quadrant4Fill: tinted(3),
    quadrant1TextFill: p.text, quadrant2TextFill: p.text, quadrant3TextFill: p.text, quadrant4TextFill: p.text,
    quadrantPointFill: p.text, quadrantPointTextFill: p.text, quadrantXAxisTextFill: p.text, quadrantYAxisTextFill: p.text,
    quadrantInternalBorderStrokeFill: p.quiet, quadrantExternalBorderStrokeFill: p.quiet, quadrantTitleFill: p.text,
    xyChart: {
      backgroundColor: p.background, titleColor: p.text, dataLabelColor: p.text, legendTextColor: p.text,
      xAxisTitleColor: p.text, xAxisLabelColor: p.text, xAxisTickColor: p.line, xAxisLineColor: p.line,
      yAxisTitleColor: p.text, yAxisLabelColor: p.text, yAxisTickColor: p.line, yAxisLineColor: p.line,
      plotColorPalette: p.accents.join(','),
    },
    radar: { axisColor: p.line, graticuleColor: p.muted, graticuleOpacity: 0.35, curveOpacity: 0.3, curveStrokeWidth: 2.5, axisLabelFontSize: 14, legendFontSize: 14 },
    packet: { startByteColor: p.muted, endByteColor: p.muted, labelColor: p.text, titleColor: p.text, blockStrokeColor: p.quiet, blockFillColor: tinted(0) },
    treemap: { sectionStrokeColor: p.quiet, sectionFillColor: mix(p.background, p.muted, 0.08), leafStrokeColor: p.quiet, leafFillColor: tinted(0), labelColor: p.text, valueColor: p.text, titleColor: p.text },
    treeView: { labelColor: p.text, lineColor: p.quiet, iconColor: p.muted, descriptionColor: p.muted },
    railroad: {
      terminalFill: tinted(2), terminalStroke: a(2), terminalTextColor: p.text, nonTerminalFill: tinted(0), nonTerminalStroke: a(0), nonTerminalTextColor: p.text,
      lineColor: p.line, markerFill: p.line, ruleNameColor: p.text, specialFill: tinted(4), specialStroke: a(4), commentFill: p.background, commentStroke: p.quiet, commentTextColor: p.text,
    },
    cynefin: {
      boundaryColor: p.quiet, cliffColor: a(1), arrowColor: p.line, textColor: p.text, labelColor: p.text,
      complexBg: tinted(2), complicatedBg: tinted(0), chaoticBg: tinted(1), clearBg: tinted(3), confusionBg: tinted(4),
    },
    wardley: {
      backgroundColor: p.background, axisColor: p.line, axisTextColor: p.text, gridColor: p.quiet, componentFill: p.background, componentStroke: p.text,
      componentLabelColor: p.text, linkStroke: p.line, evolutionStroke: a(1), annotationStroke: p.line, annotationTextColor: p.text, annotationFill: p.background,
    },
    wardleyEvolutionColor: a(1),
    vennTitleTextColor: p.text, vennSetTextColor: p.text,
    emUiFill: tinted(11), emUiStroke: a(11), emProcessorFill: tinted(6), emProcessorStroke: a(6), emReadModelFill: tinted(2), emReadModelStroke: a(2),
    emCommandFill: tinted(0), emCommandStroke: a(0), emEventFill: tinted(3), emEventStroke: a(3),
    emSwimlaneBackgroundOdd: mix(p.background, p.muted, 0.06), emSwimlaneBackgroundStroke: p.quiet, emArrowhead: p.line, emRelationStroke: p.line,
    archEdgeColor: p.line, archEdgeArrowColor: p.line, archGroupBorderColor: p.quiet,
    personBorder: p.quiet, clusterBorder: p.quiet, activationBorderColor: p.quiet, sequenceNumberColor: p.background, relationColor: p.line,
    requirementBorderColor: p.quiet, attributeBackgroundColorOdd: p.background, attributeBackgroundColorEven: mix(p.background, p.muted, 0.08),
  };
}

const luminanceOf = (hex: string) => {
  const [r, g, b] = rgbOf(hex).map((c) => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const contrastOf = (a: string, b: string) => {
  const [x, y] = [luminanceOf(a), luminanceOf(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
};
/** `colour` moved towards the canvas, or away from it, just as far as needed to stand out 3:1 from the canvas while `text` reads 4.5:1 on it. */
function between(colour: string, canvas: string, text: string): string | null {
  const fits = (c: string) => contrastOf(c, canvas) >= 3.05 && contrastOf(c, text) >= 4.6;
  for (let t = 0; t <= 1; t += 0.02) {
    for (const c of [mix(colour, canvas, t), mix(colour, text, t)]) if (fits(c)) return c;
  }
  return null;
}

/**
 * Style rules for the types whose colours mermaid hard-codes or derives without a theme variable
 * (C4's relations, sankey's nodes, links and label halos, timeline's axis, kanban's columns, treemap's nesting,
 * journey's faces). Mermaid puts each selector under the diagram's id, so every selector here
 * names classes that only its own type draws.
 */
function perTypeCss(p: Palette): string {
  const a = (i: number) => p.accents[i % p.accents.length];
  // Kanban columns: section-i takes cScale(i + 1), lightened by mermaid past what white labels need.
  const kanban = Array.from({ length: 12 }, (_, i) => `.cluster.section-${i} > rect { fill: ${a(i + 1)}; stroke: ${a(i + 1)}; } .cluster.section-${i} .cluster-label text { fill: ${p.onAccent}; }`).join(' ');
  return [
    // C4: relations and their labels are #444444 in every theme.
    `line[stroke="#444444"], path[stroke="#444444"] { stroke: ${p.line}; } text[fill="#444444"] { fill: ${p.text}; }`,
    // Sankey: d3's Tableau colours and half-transparent links, whatever the canvas. Mermaid
    // multiplies the links into what lies beneath: on a light canvas they take a tone of the first
    // accent that stands out 3:1 from the canvas and that the text reads 4.5:1 on; on a dark one
    // multiplying draws them black, so there they blend normally at three quarters. The labels,
    // which the mermaid page script moves over the links (mermaid/page/mermaid-page.ts, finishSankey),
    // carry a halo in the canvas colour, as mermaid's own `outlined` label style does, so they
    // read on any link.
    ...(() => {
      const link = between(a(0), p.background, p.text);
      const labels = `.node-labels > text { fill: ${p.text}; stroke: ${p.background}; stroke-width: 4px; stroke-linejoin: round; paint-order: stroke; }`;
      return link
        ? [`g.node[x] > rect:not([class]) { fill: ${p.text}; } g.link > path { stroke: ${link}; stroke-opacity: 1; } ${labels}`]
        : [`g.node[x] > rect:not([class]) { fill: ${p.text}; } g.link { mix-blend-mode: normal !important; } g.link > path { stroke: ${a(0)}; stroke-opacity: 0.75; } ${labels}`];
    })(),
    `.lineWrapper line { stroke: ${p.line}; }`,
    kanban,
    // Treemap: opaque leaves in the accents on sections framed on the canvas; its label and value, sized to the leaf by mermaid, are capped so that they never run into each other.
    `rect.treemapSection { fill: ${p.background}; fill-opacity: 1; stroke: ${p.quiet}; stroke-opacity: 1; } .treemapLeaf { fill-opacity: 1; stroke: ${p.background}; stroke-width: 2px; } .treemapSectionLabel, .treemapSectionValue { fill: ${p.text} !important; } .treemapLabel, .treemapValue { fill: ${p.onAccent} !important; } .treemapLabel { font-size: 16px !important; } .treemapValue { font-size: 12px !important; }`,
    `.face { fill: ${p.background}; stroke: ${p.text}; } .mouth { stroke: ${p.text}; } rect.task[class*="task-type-"], rect.journey-section { stroke: ${p.quiet}; stroke-width: 1px; }`,
    // (Mermaid 12.4.0 drops a Wardley map's style sheet: the page script gives its fixed-black
    // anchor labels and stage boundaries the wardley theme variables' colours instead.)
    `.wardley-stages line { stroke: ${p.quiet}; } .wardley-node-label { fill: ${p.text}; }`,
    // Cynefin's two subtitle lines are 15 px apart: at mermaid's 11 px (and in a monospace font) their inks touch.
    `.cynefinSubtitle { font-size: 10px; font-family: ${FONT_STACK}; }`,
    // Architecture's built-in icons sit on a fixed #087ebf tile: framed, it stands out on every canvas.
    `rect[style*="#087ebf"] { stroke: ${p.quiet} !important; stroke-width: 1.5px !important; vector-effect: non-scaling-stroke; }`,
  ].join(' ');
}

function theme(definition: Omit<ThemeDefinition, 'mermaid'> & { mermaid: { themeVariables: Record<string, string | boolean>; themeCSS?: string } }, palette: Palette): ThemeDefinition {
  const themeCSS = [definition.mermaid.themeCSS, perTypeCss(palette)].filter(Boolean).join(' ');
  return { ...definition, mermaid: { themeVariables: { ...perTypeVariables(palette), ...definition.mermaid.themeVariables }, themeCSS } };
}

export const THEME_DEFINITIONS: Record<ThemeId, ThemeDefinition> = {
  light: theme(
    {
      id: 'light', tone: 'light', background: '#ffffff', watermark: '#6b7280',
      mermaid: { themeVariables: { ...common, background: '#ffffff', primaryColor: '#e8f0fe', primaryBorderColor: '#4a78c2', primaryTextColor: '#1f2937', secondaryColor: '#fef3e2', tertiaryColor: '#eef7ee', lineColor: '#5b6b7f', textColor: '#1f2937', noteBkgColor: '#fff8db', noteTextColor: '#3f3a1f', noteBorderColor: '#a8862a' } },
    },
    { background: '#ffffff', text: '#1f2937', muted: '#4b5563', line: '#5b6b7f', quiet: '#6b7a90', accents: ACCENTS_700, onAccent: '#ffffff', tint: 0.16 },
  ),
  dark: theme(
    {
      id: 'dark', tone: 'dark', background: '#1e1f24', watermark: '#9ca3af',
      mermaid: { themeVariables: { ...common, darkMode: true, background: '#1e1f24', mainBkg: '#2d3340', primaryColor: '#2d3340', primaryBorderColor: '#7aa2f7', primaryTextColor: '#e5e7eb', secondaryColor: '#3a3040', tertiaryColor: '#26332c', lineColor: '#9aa4b2', textColor: '#e5e7eb', noteBkgColor: '#3b3522', noteTextColor: '#f3e9c6', noteBorderColor: '#a08a3c', actorBkg: '#2d3340', actorTextColor: '#e5e7eb', signalColor: '#cbd5e1', signalTextColor: '#e5e7eb', labelBoxBkgColor: '#2d3340', sectionBkgColor: '#2a2f3a', altSectionBkgColor: '#23262d', titleColor: '#f3f4f6' } },
    },
    { background: '#1e1f24', text: '#e5e7eb', muted: '#aab2bf', line: '#9aa4b2', quiet: '#8a94a3', accents: ACCENTS_400, onAccent: '#111827', tint: 0.22 },
  ),
  modern: theme(
    {
      id: 'modern', tone: 'light', background: '#ffffff', watermark: '#6b7280',
      mermaid: {
        themeVariables: { ...common, background: '#ffffff', primaryColor: '#eef2ff', primaryBorderColor: '#6366f1', primaryTextColor: '#1e1b4b', secondaryColor: '#ecfeff', tertiaryColor: '#fdf4ff', lineColor: '#6366f1', textColor: '#1e1b4b', noteBkgColor: '#fef9c3', noteTextColor: '#422006', noteBorderColor: '#a16207' },
        themeCSS: '.node rect, .node polygon, .node circle { rx: 8px; ry: 8px; } .edgeLabel rect { rx: 4px; }',
      },
    },
    { background: '#ffffff', text: '#1e1b4b', muted: '#4b5563', line: '#6366f1', quiet: '#7c7fe8', accents: ['#4f46e5', '#155e75', '#be185d', '#15803d', '#b45309', '#7e22ce', '#b91c1c', '#0f766e', '#1d4ed8', '#c2410c', '#4d7c0f', '#475569'], onAccent: '#ffffff', tint: 0.14 },
  ),
  midnight: theme(
    {
      id: 'midnight', tone: 'dark', background: '#0f172a', watermark: '#94a3b8',
      mermaid: { themeVariables: { ...common, darkMode: true, background: '#0f172a', mainBkg: '#1e293b', primaryColor: '#1e293b', primaryBorderColor: '#a78bfa', primaryTextColor: '#e2e8f0', secondaryColor: '#312e81', tertiaryColor: '#134e4a', lineColor: '#5eead4', textColor: '#e2e8f0', noteBkgColor: '#1e1b4b', noteTextColor: '#e0e7ff', noteBorderColor: '#818cf8', actorBkg: '#1e293b', actorTextColor: '#e2e8f0', signalColor: '#5eead4', signalTextColor: '#e2e8f0', labelBoxBkgColor: '#1e293b', sectionBkgColor: '#1e293b', altSectionBkgColor: '#111c33', titleColor: '#f1f5f9' } },
    },
    { background: '#0f172a', text: '#e2e8f0', muted: '#a5b4c8', line: '#5eead4', quiet: '#8b9ab3', accents: ['#a78bfa', '#2dd4bf', '#f472b6', '#60a5fa', '#fbbf24', '#4ade80', '#f87171', '#22d3ee', '#818cf8', '#fb923c', '#a3e635', '#94a3b8'], onAccent: '#0f172a', tint: 0.24 },
  ),
  blueprint: theme(
    {
      id: 'blueprint', tone: 'dark', background: '#1d4e89', watermark: '#bfdbfe',
      mermaid: {
        themeVariables: { ...common, fontFamily: MONO_STACK, darkMode: true, background: '#1d4e89', mainBkg: '#1d4e89', primaryColor: '#1d4e89', primaryBorderColor: '#ffffff', primaryTextColor: '#ffffff', secondaryColor: '#245a9b', tertiaryColor: '#2b64a8', lineColor: '#dbeafe', textColor: '#ffffff', noteBkgColor: '#245a9b', noteTextColor: '#ffffff', noteBorderColor: '#ffffff', actorBkg: '#1d4e89', actorBorder: '#ffffff', actorTextColor: '#ffffff', signalColor: '#ffffff', signalTextColor: '#ffffff', labelBoxBkgColor: '#1d4e89', sectionBkgColor: '#245a9b', altSectionBkgColor: '#1d4e89', titleColor: '#ffffff' },
        themeCSS: '.node rect, .node polygon, .node circle, .node path { stroke-dasharray: 0; stroke-width: 1.5px; }',
      },
    },
    { background: '#1d4e89', text: '#ffffff', muted: '#dbeafe', line: '#dbeafe', quiet: '#bfdbfe', accents: ACCENTS_300, onAccent: '#0b2545', tint: 0.22 },
  ),
  'high-contrast': theme(
    {
      id: 'high-contrast', tone: 'light', background: '#ffffff', watermark: '#000000',
      mermaid: {
        themeVariables: { ...common, fontSize: '17px', background: '#ffffff', mainBkg: '#ffffff', primaryColor: '#ffffff', primaryBorderColor: '#000000', primaryTextColor: '#000000', secondaryColor: '#ffff00', tertiaryColor: '#e0e0e0', lineColor: '#000000', textColor: '#000000', noteBkgColor: '#ffff00', noteTextColor: '#000000', noteBorderColor: '#000000', actorBorder: '#000000', signalColor: '#000000', signalTextColor: '#000000' },
        themeCSS: '.node rect, .node polygon, .node circle, .node path, .actor, rect.note { stroke-width: 3px !important; } .flowchart-link, .messageLine0, .messageLine1, .relation { stroke-width: 2.5px !important; }',
      },
    },
    { background: '#ffffff', text: '#000000', muted: '#000000', line: '#000000', quiet: '#000000', accents: ACCENTS_900, onAccent: '#ffffff', tint: 0.1 },
  ),
  print: theme(
    {
      id: 'print', tone: 'light', background: '#ffffff', watermark: '#6b7280',
      mermaid: { themeVariables: { ...common, background: '#ffffff', mainBkg: '#ffffff', primaryColor: '#ffffff', primaryBorderColor: '#4b5563', primaryTextColor: '#111827', secondaryColor: '#f3f4f6', tertiaryColor: '#f9fafb', lineColor: '#374151', textColor: '#111827', noteBkgColor: '#f3f4f6', noteTextColor: '#111827', noteBorderColor: '#6b7280' } },
    },
    { background: '#ffffff', text: '#111827', muted: '#374151', line: '#374151', quiet: '#6b7280', accents: ACCENTS_700, onAccent: '#ffffff', tint: 0.1 },
  ),
};

/** Every theme the API lists must render; checked at worker start-up and in the specs. */
export function assertThemesComplete(): void {
  const missing = THEMES.filter((theme) => !THEME_DEFINITIONS[theme.id] || THEME_DEFINITIONS[theme.id].tone !== theme.tone);
  if (missing.length) throw new Error(`Themes listed but not defined: ${missing.map((t) => t.id).join(', ')}`);
}
