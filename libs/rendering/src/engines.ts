import type { SourceFormat } from '@flowsmith/contracts';
import type { BrowserPool } from './browser/browser-pool';
import type { RenderEngine } from './engine';
import { BlockdiagEngine, BlockdiagProcess, type BlockdiagLanguage } from './blockdiag/blockdiag-engine';
import { BpmnEngine } from './bpmn/bpmn-engine';
import { DrawioEngine } from './drawio/drawio-engine';
import { ExcalidrawEngine } from './excalidraw/excalidraw-engine';
import { MermaidEngine } from './mermaid/mermaid-engine';
import { PlantumlEngine } from './plantuml/plantuml-engine';
import { SvgEngine } from './svg/svg-engine';
import type { ScriptLanguage } from './engines-script';
import { ThreadEngine } from './thread/thread-engine';
import { TikzEngine } from './tikz/tikz-engine';
import type { ThreadPool } from './thread/thread-pool';

/** What engines are built from: the renderer's pools and settings (renderer.ts). */
export interface EngineContext {
  browsers: BrowserPool;
  threads: ThreadPool;
  timeoutMs: number;
  /** PlantUML's one JVM, shared by the languages it draws. */
  plantuml: () => PlantumlEngine;
  /** The Python process of the blockdiag family (Debian's python3-blockdiag and siblings), shared by its six languages. */
  blockdiag: () => BlockdiagProcess;
}

/** An engine shared with another language, naming its diagram types after this one (`c4plantuml:component`). */
function renamed(format: SourceFormat, engine: RenderEngine): RenderEngine {
  return mapTypes(engine, (type) => type.replace(/^[a-z0-9]+/, format));
}

/** An engine that names kinds alone (`pgfplots`), its types as the others name them: `tikz:pgfplots`, the language alone for its one kind. */
function prefixed(format: SourceFormat, engine: RenderEngine): RenderEngine {
  return mapTypes(engine, (type) => (type && type !== format ? `${format}:${type}` : format));
}

function mapTypes(engine: RenderEngine, rename: (type: string) => string): RenderEngine {
  const renderText = engine.renderText?.bind(engine);
  return {
    sanitizesOutput: engine.sanitizesOutput,
    parse: async (source, options) => {
      const parsed = await engine.parse(source, options);
      return parsed.ok ? { ok: true, value: { diagramType: rename(parsed.value.diagramType) } } : parsed;
    },
    render: async (source, theme, options) => {
      const drawn = await engine.render(source, theme, options);
      return drawn.ok ? { ok: true, value: { ...drawn.value, diagramType: rename(drawn.value.diagramType) } } : drawn;
    },
    renderText:
      renderText &&
      (async (source, options) => {
        const written = await renderText(source, options);
        return written.ok ? { ok: true, value: { ...written.value, diagramType: rename(written.value.diagramType) } } : written;
      }),
  };
}

/** An engine with a text output drawn by something else. */
function withText<E extends RenderEngine>(engine: E, renderText: NonNullable<RenderEngine['renderText']>): E {
  return Object.assign(engine, { renderText });
}

const blockdiag = (language: BlockdiagLanguage) => (context: EngineContext) => new BlockdiagEngine(language, context.blockdiag(), context.timeoutMs);

const script = (language: ScriptLanguage) => (context: EngineContext) => new ThreadEngine(language, context.threads, context.timeoutMs);

/**
 * The engine of every language of libs/contracts/src/languages.ts: a record over its ids, so a
 * language registered there without an engine here does not compile. Script languages (drawn by
 * JavaScript or WebAssembly in a thread) are listed in engines-script.ts as well, which the
 * threads load.
 */
export const ENGINES: { readonly [F in SourceFormat]: (context: EngineContext) => RenderEngine } = {
  // Mermaid's text output is beautiful-mermaid's, in a script thread (mermaid/mermaid-text.ts).
  mermaid: (context) => withText(new MermaidEngine(context.browsers, context.timeoutMs), (source, options) => context.threads.text('mermaid', source, options.ascii, { runMs: context.timeoutMs, deadline: options.deadline })),
  plantuml: (context) => context.plantuml(),
  // C4 is PlantUML with its C4 library, which ships in the jar (`!include <C4/C4_Container>`).
  c4plantuml: (context) => renamed('c4plantuml', context.plantuml()),
  drawio: (context) => new DrawioEngine(context.browsers, context.timeoutMs),
  bpmn: (context) => new BpmnEngine(context.browsers, context.timeoutMs),
  excalidraw: (context) => new ExcalidrawEngine(context.browsers, context.timeoutMs),
  svg: () => new SvgEngine(),
  graphviz: script('graphviz'),
  nomnoml: script('nomnoml'),
  pikchr: script('pikchr'),
  svgbob: script('svgbob'),
  wavedrom: script('wavedrom'),
  bytefield: script('bytefield'),
  vega: script('vega'),
  vegalite: script('vegalite'),
  dbml: script('dbml'),
  d2: script('d2'),
  tikz: (context) => prefixed('tikz', new TikzEngine({ timeoutMs: context.timeoutMs })),
  blockdiag: blockdiag('blockdiag'),
  seqdiag: blockdiag('seqdiag'),
  actdiag: blockdiag('actdiag'),
  nwdiag: blockdiag('nwdiag'),
  packetdiag: blockdiag('packetdiag'),
  rackdiag: blockdiag('rackdiag'),
};
