import type { SourceFormat } from '@flowsmith/contracts';
import type { ScriptLanguage } from '../engines-script';
import type { EngineParseOptions, EngineRenderOptions, EngineResult, EngineSvg, RenderEngine } from '../engine';
import { sanitizeSvg, SvgSourceError } from '../svg/sanitize-svg';
import { sizedDrawing } from '../svg/svg-engine';
import { THEME_DEFINITIONS, themePalette, type ThemeDefinition } from '../themes';
import type { ThreadPool } from './thread-pool';

/**
 * A script language (engines-script.ts) as a render engine: its `draw` runs in a thread of the
 * script pool within the render's limit, in the theme's palette, and what it draws goes through
 * the SVG step (sanitize, allowlist) and is laid out at the size it asks for. Parsing is drawing:
 * these libraries have no cheaper check.
 */
export class ThreadEngine implements RenderEngine {
  readonly sanitizesOutput = true;

  constructor(
    readonly format: SourceFormat & ScriptLanguage,
    private readonly threads: ThreadPool,
    private readonly timeoutMs: number,
  ) {}

  async parse(source: string, options: EngineParseOptions = {}): Promise<EngineResult<{ diagramType: string }>> {
    const drawn = await this.render(source, THEME_DEFINITIONS.light, options);
    return drawn.ok ? { ok: true, value: { diagramType: drawn.value.diagramType } } : drawn;
  }

  async render(source: string, theme: ThemeDefinition, options: EngineRenderOptions = {}): Promise<EngineResult<EngineSvg>> {
    const drawn = await this.threads.draw(this.format, source, themePalette(theme), { runMs: this.timeoutMs, deadline: options.deadline });
    if (!drawn.ok) return drawn;
    try {
      const sanitized = sanitizeSvg(drawn.value.svg, { optimise: false });
      const { inner, width, height } = sizedDrawing(sanitized.svg, sanitized.root);
      return { ok: true, value: { svg: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}">${inner}</svg>`, diagramType: this.diagramType(drawn.value.diagramType), viewBox: [0, 0, width, height] } };
    } catch (error) {
      // Too large a drawing is the source's doing; an SVG the step cannot read would be again: neither is retried.
      if (error instanceof SvgSourceError) return { ok: false, error: { code: / at most \d+ px/.test(error.message) ? 'output_too_large' : 'parse_failed', message: error.message } };
      throw error;
    }
  }

  /** As the other engines name them: `graphviz:digraph`, `vegalite:bar`; the language alone where it has one kind. */
  private diagramType(kind: string): string {
    return kind && kind !== this.format ? `${this.format}:${kind}` : this.format;
  }
}
