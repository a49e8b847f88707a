import type { ScriptLanguage } from '../src/engines-script';
import { assertSafeSvg } from '../src/svg/finish-svg';
import { sanitizeSvg } from '../src/svg/sanitize-svg';
import { THEME_DEFINITIONS, themePalette, type ThemeDefinition } from '../src/themes';
import { ThreadPool } from '../src/thread/thread-pool';

/**
 * A script language's draws for its spec (libs/rendering/src/<language>/<language>-draw.spec.ts):
 * one thread of its own, closed after the describe block that calls this. `draw` is the thread's
 * answer as it is; `safe` takes the drawing through the SVG step and the last safety check, as
 * every drawing is served, and throws on a failure.
 */
export function scriptDraws(language: ScriptLanguage) {
  const pool = new ThreadPool({ threads: 1 });
  afterAll(() => pool.close());
  const draw = (source: string, theme: ThemeDefinition = THEME_DEFINITIONS.light) => pool.draw(language, source, themePalette(theme), { runMs: 20_000 });
  async function safe(source: string, theme: ThemeDefinition = THEME_DEFINITIONS.light): Promise<{ svg: string; diagramType: string }> {
    const result = await draw(source, theme);
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
    const { svg } = sanitizeSvg(result.value.svg, { optimise: false });
    assertSafeSvg(svg);
    return { svg, diagramType: result.value.diagramType };
  }
  return { draw, safe };
}
