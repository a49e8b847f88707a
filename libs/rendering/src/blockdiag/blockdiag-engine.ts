import type { RenderFailure, SourceFormat } from '@flowsmith/contracts';
import { RenderTimeoutError } from '../browser/browser-pool';
import type { EngineParseOptions, EngineRenderOptions, EngineResult, EngineSvg, RenderEngine } from '../engine';
import { THEME_DEFINITIONS, themePalette, type ThemeDefinition } from '../themes';
import { BlockdiagLanguage, BlockdiagOutput, BlockdiagProcess } from './blockdiag-process';

export { BLOCKDIAG_LANGUAGES, BlockdiagProcess } from './blockdiag-process';
export type { BlockdiagLanguage, BlockdiagProcessOptions } from './blockdiag-process';

/** As for SVG sources: no output format could hold a larger drawing. */
const MAX_SIDE = 20_000;

/** The drawing's size: blockdiag's SVGs have a viewBox in px from 0 0, and the server adds the same width and height. */
export function blockdiagViewBox(svg: string): [number, number, number, number] | null {
  const open = /<svg\b[^>]*>/i.exec(svg);
  const viewBox = open && /\sviewBox="([^"]+)"/.exec(open[0]);
  const parts = viewBox?.[1].trim().split(/[\s,]+/).map(Number);
  if (!parts || parts.length !== 4 || parts.some((n) => !Number.isFinite(n)) || parts[2] <= 0 || parts[3] <= 0) return null;
  return parts as [number, number, number, number];
}

/**
 * One language of the blockdiag family (blockdiag, seqdiag, actdiag, nwdiag, packetdiag,
 * rackdiag), drawn by a long-lived Python process shared by the six engines (BlockdiagProcess,
 * blockdiag-server.py). The theme's palette becomes the diagram's default colours and font (a
 * source's own `default_*` and per-element attributes win); images, plugins and font files are
 * refused by the server. Its SVG goes through the shared SVG step (sanitizesOutput false).
 */
export class BlockdiagEngine implements RenderEngine {
  readonly format: SourceFormat & BlockdiagLanguage;
  readonly sanitizesOutput = false;

  constructor(
    readonly language: BlockdiagLanguage,
    readonly process: BlockdiagProcess,
    private readonly timeoutMs: number,
  ) {
    // Until the lead adds the six to libs/contracts' LANGUAGES, SourceFormat does not name them.
    this.format = language as SourceFormat & BlockdiagLanguage;
  }

  /** Starts the shared process (once, whichever of the six engines asks first). */
  start(): Promise<void> {
    return this.process.start();
  }

  /** Stops the shared process (closing it again is harmless). */
  close(): Promise<void> {
    return this.process.close();
  }

  async parse(source: string, options: EngineParseOptions = {}): Promise<EngineResult<{ diagramType: string }>> {
    const drawn = await this.run(source, THEME_DEFINITIONS.light, 'parse', options);
    return drawn.ok ? { ok: true, value: { diagramType: drawn.value.diagramType } } : drawn;
  }

  async render(source: string, theme: ThemeDefinition, options: EngineRenderOptions = {}): Promise<EngineResult<EngineSvg>> {
    const drawn = await this.run(source, theme, 'render', options);
    if (!drawn.ok) return drawn;
    const { svg, diagramType } = drawn.value;
    const viewBox = blockdiagViewBox(svg);
    if (!viewBox) throw new Error(`${this.language} produced an SVG without a viewBox`);
    if (viewBox[2] > MAX_SIDE || viewBox[3] > MAX_SIDE) {
      return { ok: false, error: { code: 'output_too_large', message: `The diagram is ${Math.round(viewBox[2])}×${Math.round(viewBox[3])} px; at most ${MAX_SIDE} px on a side.` } };
    }
    return { ok: true, value: { svg, diagramType, viewBox } };
  }

  private async run(source: string, theme: ThemeDefinition, mode: 'render' | 'parse', lane: EngineParseOptions): Promise<EngineResult<{ svg: string; diagramType: string }>> {
    let output: BlockdiagOutput;
    try {
      output = await this.process.render({ language: this.language, source, palette: themePalette(theme), mode }, this.timeoutMs, { deadline: lane.deadline, bestEffort: lane.bestEffort });
    } catch (error) {
      // It would hang again: a value, never retried. A process that died is thrown (retried).
      if (error instanceof RenderTimeoutError) return { ok: false, error: { code: 'render_timeout', message: error.message } };
      throw error;
    }
    if (output.ok) return { ok: true, value: { svg: output.svg, diagramType: output.diagramType } };
    const failure: RenderFailure =
      output.kind === 'too_large' ? { code: 'output_too_large', message: output.message } : { code: 'parse_failed', message: output.message, ...(output.line ? { line: output.line } : {}) };
    return { ok: false, error: failure };
  }
}
