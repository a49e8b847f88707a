import { THEMES, ThemeId } from '@flowsmith/contracts';

/** Fonts installed by `npm run up` (Debian's fonts-noto-*): Chromium measures and librsvg draws with the same files. */
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
  mermaid: { themeVariables: Record<string, string | boolean>; themeCSS?: string };
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
  };
}

const common = { fontFamily: FONT_STACK, fontSize: '16px' };

export const THEME_DEFINITIONS: Record<ThemeId, ThemeDefinition> = {
  light: {
    id: 'light', tone: 'light', background: '#ffffff', watermark: '#6b7280',
    mermaid: { themeVariables: { ...common, background: '#ffffff', primaryColor: '#e8f0fe', primaryBorderColor: '#4a78c2', primaryTextColor: '#1f2937', secondaryColor: '#fef3e2', tertiaryColor: '#eef7ee', lineColor: '#5b6b7f', textColor: '#1f2937', noteBkgColor: '#fff8db', noteTextColor: '#3f3a1f', noteBorderColor: '#d6b656' } },
  },
  dark: {
    id: 'dark', tone: 'dark', background: '#1e1f24', watermark: '#9ca3af',
    mermaid: { themeVariables: { ...common, darkMode: true, background: '#1e1f24', mainBkg: '#2d3340', primaryColor: '#2d3340', primaryBorderColor: '#7aa2f7', primaryTextColor: '#e5e7eb', secondaryColor: '#3a3040', tertiaryColor: '#26332c', lineColor: '#9aa4b2', textColor: '#e5e7eb', noteBkgColor: '#3b3522', noteTextColor: '#f3e9c6', noteBorderColor: '#a08a3c', actorBkg: '#2d3340', actorTextColor: '#e5e7eb', signalColor: '#cbd5e1', signalTextColor: '#e5e7eb', labelBoxBkgColor: '#2d3340', sectionBkgColor: '#2a2f3a', altSectionBkgColor: '#23262d', taskTextColor: '#e5e7eb', titleColor: '#f3f4f6' } },
  },
  modern: {
    id: 'modern', tone: 'light', background: '#ffffff', watermark: '#6b7280',
    mermaid: {
      themeVariables: { ...common, background: '#ffffff', primaryColor: '#eef2ff', primaryBorderColor: '#6366f1', primaryTextColor: '#1e1b4b', secondaryColor: '#ecfeff', tertiaryColor: '#fdf4ff', lineColor: '#818cf8', textColor: '#1e1b4b', noteBkgColor: '#fef9c3', noteTextColor: '#422006', noteBorderColor: '#eab308' },
      themeCSS: '.node rect, .node polygon, .node circle { rx: 8px; ry: 8px; } .edgeLabel rect { rx: 4px; }',
    },
  },
  midnight: {
    id: 'midnight', tone: 'dark', background: '#0f172a', watermark: '#94a3b8',
    mermaid: { themeVariables: { ...common, darkMode: true, background: '#0f172a', mainBkg: '#1e293b', primaryColor: '#1e293b', primaryBorderColor: '#a78bfa', primaryTextColor: '#e2e8f0', secondaryColor: '#312e81', tertiaryColor: '#134e4a', lineColor: '#5eead4', textColor: '#e2e8f0', noteBkgColor: '#1e1b4b', noteTextColor: '#e0e7ff', noteBorderColor: '#818cf8', actorBkg: '#1e293b', actorTextColor: '#e2e8f0', signalColor: '#5eead4', signalTextColor: '#e2e8f0', labelBoxBkgColor: '#1e293b', sectionBkgColor: '#1e293b', altSectionBkgColor: '#111c33', taskTextColor: '#e2e8f0', titleColor: '#f1f5f9' } },
  },
  blueprint: {
    id: 'blueprint', tone: 'dark', background: '#1d4e89', watermark: '#bfdbfe',
    mermaid: {
      themeVariables: { ...common, fontFamily: MONO_STACK, darkMode: true, background: '#1d4e89', mainBkg: '#1d4e89', primaryColor: '#1d4e89', primaryBorderColor: '#ffffff', primaryTextColor: '#ffffff', secondaryColor: '#245a9b', tertiaryColor: '#2b64a8', lineColor: '#dbeafe', textColor: '#ffffff', noteBkgColor: '#245a9b', noteTextColor: '#ffffff', noteBorderColor: '#ffffff', actorBkg: '#1d4e89', actorBorder: '#ffffff', actorTextColor: '#ffffff', signalColor: '#ffffff', signalTextColor: '#ffffff', labelBoxBkgColor: '#1d4e89', sectionBkgColor: '#245a9b', altSectionBkgColor: '#1d4e89', taskTextColor: '#ffffff', titleColor: '#ffffff' },
      themeCSS: '.node rect, .node polygon, .node circle, .node path { stroke-dasharray: 0; stroke-width: 1.5px; }',
    },
  },
  'high-contrast': {
    id: 'high-contrast', tone: 'light', background: '#ffffff', watermark: '#000000',
    mermaid: {
      themeVariables: { ...common, fontSize: '17px', background: '#ffffff', mainBkg: '#ffffff', primaryColor: '#ffffff', primaryBorderColor: '#000000', primaryTextColor: '#000000', secondaryColor: '#ffff00', tertiaryColor: '#e0e0e0', lineColor: '#000000', textColor: '#000000', noteBkgColor: '#ffff00', noteTextColor: '#000000', noteBorderColor: '#000000', actorBorder: '#000000', signalColor: '#000000', signalTextColor: '#000000' },
      themeCSS: '.node rect, .node polygon, .node circle, .node path, .actor, rect.note { stroke-width: 3px !important; } .flowchart-link, .messageLine0, .messageLine1, .relation { stroke-width: 2.5px !important; }',
    },
  },
  print: {
    id: 'print', tone: 'light', background: '#ffffff', watermark: '#6b7280',
    mermaid: { themeVariables: { ...common, background: '#ffffff', mainBkg: '#ffffff', primaryColor: '#ffffff', primaryBorderColor: '#4b5563', primaryTextColor: '#111827', secondaryColor: '#f3f4f6', tertiaryColor: '#f9fafb', lineColor: '#374151', textColor: '#111827', noteBkgColor: '#f3f4f6', noteTextColor: '#111827', noteBorderColor: '#6b7280' } },
  },
};

/** Every theme the API lists must render; checked at worker start-up and in the specs. */
export function assertThemesComplete(): void {
  const missing = THEMES.filter((theme) => !THEME_DEFINITIONS[theme.id] || THEME_DEFINITIONS[theme.id].tone !== theme.tone);
  if (missing.length) throw new Error(`Themes listed but not defined: ${missing.map((t) => t.id).join(', ')}`);
}
