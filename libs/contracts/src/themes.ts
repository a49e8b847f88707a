/**
 * The themes every route that takes `theme` accepts, and nothing else. The rendering library holds
 * each theme's full definition under the same id; a spec checks that the two lists are the same.
 */
export const THEMES = [
  { id: 'light', name: 'Light', tone: 'light', description: 'Clean white canvas with soft blue nodes, close to each engine\'s own look; the default of the Kroki and mermaid.ink routes.' },
  { id: 'dark', name: 'Dark', tone: 'dark', description: 'Charcoal canvas with muted nodes and bright text, for dark UIs.' },
  { id: 'modern', name: 'Modern', tone: 'light', description: 'Indigo accents, rounded shapes and generous spacing; the default of every Flowsmith route.' },
  { id: 'midnight', name: 'Midnight', tone: 'dark', description: 'Deep navy canvas with violet and teal accents.' },
  { id: 'blueprint', name: 'Blueprint', tone: 'dark', description: 'White lines on engineering blue, like a drafting sheet.' },
  { id: 'high-contrast', name: 'High contrast', tone: 'light', description: 'Black on white with heavy strokes, for accessibility (WCAG AAA text contrast).' },
  { id: 'print', name: 'Print', tone: 'light', description: 'Neutral greys without fills that waste ink; for documents and paper.' },
] as const;

export type ThemeId = (typeof THEMES)[number]['id'];

/**
 * The theme of every Flowsmith route that is not told one: stored images, shares, generations,
 * beautify, export and embeds alike (docs/api.md, "Themes"). The Kroki and mermaid.ink routes draw in
 * `light` instead, the look closest to the tools they stand in for (apps/gateway/src/compat/).
 */
export const DEFAULT_THEME: ThemeId = 'modern';
export const THEME_IDS = THEMES.map((theme) => theme.id) as readonly ThemeId[];

export function isThemeId(value: unknown): value is ThemeId {
  return typeof value === 'string' && (THEME_IDS as readonly string[]).includes(value);
}
