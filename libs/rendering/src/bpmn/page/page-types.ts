/** What Node hands the BPMN page and what it answers (bpmn-page.ts, bpmn-engine.ts). */

/** The id of the diagram the layout adds; the page shows it rather than an empty diagram of the source (bpmn-graph.ts). */
export const LAYOUT_DIAGRAM_ID = 'fs_layout_diagram';

/** A theme as the page draws it: bpmn-js's renderer and text options, and our recolouring. */
export interface BpmnStyle {
  renderer: { defaultFillColor: string; defaultStrokeColor: string; defaultLabelColor: string };
  text: { defaultStyle: { fontFamily: string; fontSize: number } };
  colors: { line: string; group: string; note: string };
  keepColors: boolean;
}

export interface PageRenderOptions extends BpmnStyle {
  /** Prefix of the SVG's ids: the same for the same source and theme, distinct between diagrams inlined in one page. */
  idPrefix: string;
}

export interface PageFailure {
  ok: false;
  message: string;
}

export interface BpmnPageApi {
  parse(xml: string): Promise<{ ok: true } | PageFailure>;
  render(xml: string, options: PageRenderOptions): Promise<{ ok: true; svg: string; viewBox: [number, number, number, number] } | PageFailure>;
}
