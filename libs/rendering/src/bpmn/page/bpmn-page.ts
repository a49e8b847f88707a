/// <reference lib="dom" />
/**
 * The BPMN page: runs after bpmn-js's viewer bundle is loaded, bundled by esbuild into one IIFE
 * script (bpmn-page-script.ts) that the engine evaluates in the page. It defines
 * `window.__flowsmithBpmn` with `parse` and `render`. A source without DI arrives laid out
 * (bpmn-source.ts).
 *
 * What reaches the SVG from the source is limited to text (set as text nodes, so escaped), numbers,
 * CSS colours (checked by isColor) and element ids (kept only when they are plain names).
 */
import { LAYOUT_DIAGRAM_ID, type BpmnPageApi, type BpmnStyle, type PageFailure, type PageRenderOptions } from './page-types';

// ---- What bpmn-js's viewer bundle exposes, as far as this page uses it -----------------------

/** An element of bpmn-moddle's model (a BPMN element, a DI shape or edge, a label, ...). */
interface ModdleElement {
  id?: string;
  get(property: string): unknown;
  set(property: string, value: unknown): void;
  $instanceOf(type: string): boolean;
}

interface BpmnDiagram extends ModdleElement {
  plane?: { planeElement?: ModdleElement[] };
}

interface BpmnDefinitions extends ModdleElement {
  diagrams?: BpmnDiagram[];
}

interface Moddle {
  fromXML(xml: string, type: string): Promise<{ rootElement: BpmnDefinitions; elementsById: Record<string, ModdleElement> }>;
}

interface Canvas {
  getActiveLayer(): SVGGElement;
}

interface Viewer {
  get(service: 'moddle'): Moddle;
  get(service: 'canvas'): Canvas;
  importDefinitions(definitions: BpmnDefinitions, diagram?: BpmnDiagram): Promise<{ warnings: Array<{ message: string }> }>;
}

declare const BpmnJS: new (options?: { container?: HTMLElement; bpmnRenderer?: BpmnStyle['renderer']; textRenderer?: BpmnStyle['text'] }) => Viewer;

// ---- The page --------------------------------------------------------------------------------

const SAFE_ID = /^[A-Za-z_][\w.-]*$/;
// CSS.supports also passes var(), env() and attr(), whose fallbacks may hold a url().
const COLOR_FUNCTION = /^(rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)$/i;
const isColor = (value: string): boolean => CSS.supports('color', value) && [...value.matchAll(/([\w-]+)\s*\(/g)].every((call) => COLOR_FUNCTION.test(call[1]));
const COLOR_PROPERTIES = ['bioc:fill', 'bioc:stroke', 'color:background-color', 'color:border-color'];
const EDGE_TYPES = ['bpmn:SequenceFlow', 'bpmn:MessageFlow', 'bpmn:Association', 'bpmn:DataInputAssociation', 'bpmn:DataOutputAssociation'];
const PADDING = 10;
// bpmn-js wraps a label by measuring ever shorter prefixes: a 60 KB word takes many seconds.
const MAX_LABEL = 1000;

// Parsing needs no canvas; one moddle serves it.
const parser = new BpmnJS().get('moddle');

// bpmn-js reads its colours and fonts once, when a viewer is built: one viewer per theme style.
const viewers = new Map<string, Viewer>();
const viewerFor = (style: BpmnStyle): Viewer => {
  const key = JSON.stringify([style.renderer, style.text]);
  let viewer = viewers.get(key);
  if (!viewer) {
    const container = document.createElement('div');
    container.style.cssText = 'position:absolute;left:0;top:0;width:1600px;height:1200px';
    document.body.appendChild(container);
    viewer = new BpmnJS({ container, bpmnRenderer: style.renderer, textRenderer: style.text });
    viewers.set(key, viewer);
  }
  return viewer;
};

/** What a thrown value says: its message, or the value itself. */
const messageOf = (error: unknown): unknown => (error && (error as { message?: unknown }).message) || error;

const failure = (error: unknown, prefix = ''): PageFailure => ({ ok: false, message: (prefix + String(messageOf(error))).slice(0, 500) });

const planeElements = (definitions: BpmnDefinitions): ModdleElement[] => (definitions.diagrams || []).flatMap((diagram) => (diagram.plane && diagram.plane.planeElement) || []);

/** Parses, and refuses what draws nothing. */
const read = async (moddle: Moddle, xml: string): Promise<BpmnDefinitions> => {
  const { rootElement, elementsById } = await moddle.fromXML(xml, 'bpmn:Definitions');
  for (const element of Object.values(elementsById)) {
    for (const property of ['name', 'text']) {
      const value = element.get(property);
      if (typeof value === 'string' && value.length > MAX_LABEL) element.set(property, value.slice(0, MAX_LABEL - 1) + '\u2026');
    }
  }
  if (!planeElements(rootElement).some((di) => di.get('bpmnElement'))) throw new Error('nothing to draw, as no DI shape refers to an element of the model');
  return rootElement;
};

/**
 * Explicit colours are kept in light themes (when they are CSS colours) and dropped in dark ones,
 * where light fills and dark strokes would be unreadable. Then the theme colours what is left:
 * flows in its line colour, pools and lanes in its group fill, annotations in its note colour.
 */
const recolour = (definitions: BpmnDefinitions, style: BpmnStyle): void => {
  const keep = (value: unknown): boolean => style.keepColors && isColor(String(value));
  for (const di of planeElements(definitions)) {
    for (const property of COLOR_PROPERTIES) {
      if (di.get(property) !== undefined && !keep(di.get(property))) di.set(property, undefined);
    }
    const label = di.get('label') as ModdleElement | undefined;
    if (label && label.get('color:color') !== undefined && !keep(label.get('color:color'))) label.set('color:color', undefined);

    const element = di.get('bpmnElement') as ModdleElement | undefined;
    if (!element || COLOR_PROPERTIES.some((property) => di.get(property))) continue;
    if (EDGE_TYPES.some((type) => element.$instanceOf(type))) di.set('color:border-color', style.colors.line);
    else if (element.$instanceOf('bpmn:Participant') || element.$instanceOf('bpmn:Lane')) di.set('color:background-color', style.colors.group);
    else if (element.$instanceOf('bpmn:TextAnnotation') || element.$instanceOf('bpmn:Group')) di.set('color:border-color', style.colors.note);
  }
};

/**
 * The drawing layer as an SVG document, without hit areas and outlines. bpmn-js numbers layers
 * per import and names markers at random; both are made stable so equal sources give equal bytes.
 */
const exportSvg = (viewer: Viewer, idPrefix: string): { svg: string; viewBox: [number, number, number, number] } | null => {
  const layer = viewer.get('canvas').getActiveLayer();
  layer.removeAttribute('class');
  for (const node of layer.querySelectorAll('.djs-hit, .djs-outline')) node.remove();
  // bpmn-js outlines its user and manual task icons at half a pixel, in the task's own fill: too
  // faint to see (under 3:1 on the task). At a pixel they stand out as the task's border does.
  for (const node of layer.querySelectorAll<SVGPathElement>('.djs-visual > path')) {
    if (Number.parseFloat(node.style.strokeWidth) < 1) node.style.strokeWidth = '1px';
  }
  for (const node of layer.querySelectorAll('[data-element-id]')) {
    // (The selector guarantees the attribute; String() is what test() would do with a null.)
    if (!SAFE_ID.test(String(node.getAttribute('data-element-id')))) node.removeAttribute('data-element-id');
  }
  const renamed = new Map<string, string>();
  for (const marker of layer.querySelectorAll('marker[id]')) {
    const id = idPrefix + '-marker-' + (renamed.size + 1);
    renamed.set(marker.id, id);
    marker.id = id;
  }
  const rewrite = (value: string): string => value.replace(/url\((['"]?)#([^'")]+)\1\)/g, (match, _quote: string, id: string) => (renamed.has(id) ? 'url(#' + renamed.get(id) + ')' : match));
  for (const node of layer.querySelectorAll('[style*="url("]')) node.setAttribute('style', rewrite(node.getAttribute('style') as string));

  const box = layer.getBBox();
  if (!box.width || !box.height) return null;
  const viewBox = [box.x - PADDING, box.y - PADDING, box.width + 2 * PADDING, box.height + 2 * PADDING].map((n) => Math.round(n * 100) / 100) as [number, number, number, number];
  const body = new XMLSerializer().serializeToString(layer);
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="' + viewBox.join(' ') + '" width="' + viewBox[2] + '" height="' + viewBox[3] + '">' + body + '</svg>';
  return { svg, viewBox };
};

const api: BpmnPageApi = {
  async parse(xml) {
    try {
      await read(parser, xml);
      return { ok: true };
    } catch (error) {
      return failure(error);
    }
  },
  async render(xml: string, style: PageRenderOptions) {
    const viewer = viewerFor(style);
    let definitions: BpmnDefinitions;
    try {
      definitions = await read(viewer.get('moddle'), xml);
    } catch (error) {
      return failure(error);
    }
    recolour(definitions, style);
    try {
      // A source without DI may still hold an empty diagram: show the one the layout added (bpmn-source.ts).
      const laidOut = (definitions.diagrams || []).find((diagram) => diagram.id === LAYOUT_DIAGRAM_ID);
      const { warnings } = await viewer.importDefinitions(definitions, laidOut);
      const drawn = exportSvg(viewer, style.idPrefix);
      if (drawn) return { ok: true, ...drawn };
      const why = warnings.slice(0, 3).map((warning) => warning.message).join('; ');
      return { ok: false, message: 'nothing to draw' + (why ? ' (' + why + ')' : '') };
    } catch (error) {
      return failure(error, 'bpmn-js could not draw it: ');
    }
  },
};

(globalThis as unknown as { __flowsmithBpmn: BpmnPageApi }).__flowsmithBpmn = api;
