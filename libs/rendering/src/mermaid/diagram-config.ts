import { ThemeDefinition, themePalette } from '../themes';

/**
 * Per-diagram-type settings of mermaid's configuration that make each type presentation-ready in
 * a theme (axis formats, label placement, per-type colour variables that are not theme variables).
 * Merged into mermaidConfig() (mermaid-engine.ts) after the defaults there, section by section.
 * `theme` is null when the configuration is only for parsing. The quality gate
 * (libs/rendering/test/quality-gate.e2e-spec.ts) measures what these settings are for.
 */
export function diagramConfig(theme: ThemeDefinition | null): Record<string, Record<string, unknown>> {
  return {
    // Short day-month ticks: the default ISO dates (10 characters) run into each other once a plan spans months.
    gantt: { axisFormat: '%d %b', barHeight: 22, fontSize: 12, sectionFontSize: 13 },
    // Room above the top axis label for the title.
    radar: { marginTop: 80 },
    // Wider nodes before a label wraps: mermaid left-aligns the lines of a wrapped label, so a
    // wrapped root sat off the centre of its circle.
    mindmap: { maxNodeWidth: 300 },
    ...(theme ? { c4: c4Colours(theme) } : {}),
  };
}

/**
 * C4's element colours are configuration, not theme variables. Its own blues and greys carry white
 * text; the lighter ones (container, component, the external greys) are darkened so that white
 * reads 4.5:1 on them, and on dark canvases every element gets the theme's bright border so that
 * it stands out 3:1 from the canvas.
 */
function c4Colours(theme: ThemeDefinition): Record<string, string> {
  const fills: Record<string, string> = {
    person: '#08427b', external_person: '#5f6b7a', system: '#1168bd', external_system: '#5f6b7a',
    container: '#2f6fb3', external_container: '#6b7280', component: '#2b6cb0', external_component: '#6b7280',
  };
  const border = theme.tone === 'dark' ? themePalette(theme).nodeStroke : null;
  const colours: Record<string, string> = {};
  for (const [element, fill] of Object.entries(fills)) {
    for (const variant of ['', '_db', '_queue']) {
      if (element.includes('person') && variant) continue;
      const key = element.replace(/^(external_)?(\w+)$/, `$1$2${variant}`);
      colours[`${key}_bg_color`] = fill;
      colours[`${key}_border_color`] = border ?? fill;
    }
  }
  return colours;
}
