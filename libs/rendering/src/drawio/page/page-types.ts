/** What Node hands the draw.io page and what it answers (drawio-page.ts, drawio-engine.ts). */

/** themePalette's fields (themes.ts) the page reads. */
export interface PagePalette {
  background: string;
  text: string;
  line: string;
  nodeFill: string;
  nodeStroke: string;
  groupFill: string;
  noteFill: string;
  noteStroke: string;
  noteText: string;
  fontFamily: string;
}

export interface PageTheme {
  dark: boolean;
  palette: PagePalette;
}

export type PageResult = { ok: true; svg: string; viewBox: [number, number, number, number] } | { ok: false; message: string };

export interface DrawioPageApi {
  /** limit: the largest width or height drawn. */
  render(model: string, theme: PageTheme, limit: number): PageResult;
}
