/** What Node hands the Excalidraw page and what it answers (excalidraw-page.ts, excalidraw-engine.ts). */

/** Kinds of face that stand in for Excalidraw's fonts: hand-drawn, sans, code, and display (Lilita One, as bold sans). */
export type TextClass = 'hand' | 'sans' | 'mono' | 'display';

/** One image file of the scene: an embedded PNG, JPEG, GIF or WebP (excalidraw-source.ts refuses the rest). */
export interface PageFile {
  id: string;
  mimeType: string;
  dataURL: string;
  created: number;
}

export interface PageScene {
  /** The scene's elements as checked in Node: Excalidraw's `restore` fills in what they lack. */
  elements: Array<Record<string, unknown>>;
  files: Record<string, PageFile>;
  /** The scene's own canvas colour: a scene drawn on a dark one is inverted for light themes. */
  viewBackgroundColor: string;
}

export interface PageTheme {
  dark: boolean;
  /** The theme's canvas, text and line colours (ThemePalette): what the drawing must read on, and the default ink. */
  canvas: string;
  text: string;
  line: string;
  /** CSS font-family lists for each kind of face. */
  fonts: { hand: string; sans: string; mono: string };
  /** Prefix of the SVG's ids. */
  idPrefix: string;
  /** Space around the drawing, in scene px. */
  padding: number;
  /** A larger SVG is not sent back (the SVG step would refuse it): the answer says so instead. */
  maxSvgChars: number;
}

export type PageResult = { ok: true; svg: string; viewBox: [number, number, number, number] } | { ok: false; message: string; tooLarge?: boolean };

export interface ExcalidrawPageApi {
  render(scene: PageScene, theme: PageTheme): Promise<PageResult>;
}
