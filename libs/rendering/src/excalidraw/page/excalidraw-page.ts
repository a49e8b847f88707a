/// <reference lib="dom" />
/**
 * The Excalidraw page: @excalidraw/utils's `exportToSvg` (Excalidraw's own SVG export, rough.js
 * shapes included) and this module, bundled by esbuild into one IIFE script
 * (excalidraw-page-script.ts) that the page runs inline. It defines
 * `window.__flowsmithExcalidraw.render(scene, theme)`.
 *
 * The scene was checked and cut down in Node (excalidraw-source.ts). Here, before the export,
 * every element gets its final colours (colours.ts: normalized, Excalidraw's dark mode where the
 * tones differ, the default ink in the theme's text colour, and enough contrast to read), its
 * link is dropped and its text is fitted to its box in the face it will be drawn in; frame names
 * are drawn here too. After it: the SVG's font lists name the installed faces, ids are renamed,
 * and only drawing is let out.
 */
import * as excalidraw from '@excalidraw/utils';
import { Colour, colourOf, contrast, cssOf, darkMode, DEFAULT_INK, readable } from './colours';
import type { ExcalidrawPageApi, PageResult, PageScene, PageTheme, TextClass } from './page-types';

/**
 * The one function used, typed here: the package's declarations re-export it through a path
 * without an extension, which TypeScript's nodenext resolution does not follow.
 */
const { exportToSvg } = excalidraw as unknown as {
  exportToSvg(options: {
    data: { elements: readonly unknown[]; appState: Record<string, unknown>; files: Record<string, unknown> | null };
    config?: { padding?: number; skipInliningFonts?: true; renderEmbeddables?: boolean; reuseImages?: boolean };
  }): Promise<SVGSVGElement>;
};

const SVG_NS = 'http://www.w3.org/2000/svg';
const probe = document.createElement('canvas').getContext('2d') as CanvasRenderingContext2D;

type Element = Record<string, unknown>;

// ---- Fonts -----------------------------------------------------------------------------------

/** Excalidraw's font ids (FONT_FAMILY in @excalidraw/common) by the kind of face that stands in for them. */
const FONT_CLASSES: Record<number, TextClass> = { 1: 'hand', 2: 'sans', 3: 'mono', 5: 'hand', 6: 'sans', 7: 'display', 8: 'hand', 9: 'sans', 10: 'sans' };
/** The same by the family name Excalidraw writes first in an SVG text's font-family. */
const FAMILY_CLASSES: Record<string, TextClass> = {
  virgil: 'hand', excalifont: 'hand', 'comic shanns': 'hand', helvetica: 'sans', nunito: 'sans', 'liberation sans': 'sans', assistant: 'sans', cascadia: 'mono', 'lilita one': 'display',
};
const classOfId = (id: unknown): TextClass => (typeof id === 'number' && FONT_CLASSES[id]) || 'hand';
const classOfFamily = (family: string): TextClass => FAMILY_CLASSES[family.split(',')[0].trim().replace(/^["']|["']$/g, '').toLowerCase()] ?? 'hand';

function fontFor(kind: TextClass, theme: PageTheme): { family: string; weight: string } {
  return { family: kind === 'display' ? theme.fonts.sans : theme.fonts[kind], weight: kind === 'display' ? '700' : '400' };
}

function widestLine(text: string, fontSize: number, kind: TextClass, theme: PageTheme): number {
  const font = fontFor(kind, theme);
  probe.font = `${font.weight} ${fontSize}px ${font.family}`;
  let widest = 0;
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) widest = Math.max(widest, probe.measureText(line).width);
  return widest;
}

/** Excalidraw's line heights by font id (its FONT_METADATA), for texts that name none. */
const LINE_HEIGHTS: Record<number, number> = { 2: 1.15, 3: 1.2, 7: 1.15 };

/**
 * A text written without its box (a hand-written scene, not Excalidraw's editor, which always
 * stores one) is measured here in the face it will be drawn in; one bound to a shape is then
 * centred in it, as Excalidraw lays out a label. Boxes the source gives are kept.
 */
function sizeText(element: Element, byId: Map<unknown, Element>, theme: PageTheme): void {
  const text = element.text;
  if (typeof text !== 'string') return;
  if (!(typeof element.fontSize === 'number' && element.fontSize > 0)) element.fontSize = 20;
  const fontSize = element.fontSize as number;
  if (!(typeof element.lineHeight === 'number' && element.lineHeight > 0)) element.lineHeight = (typeof element.fontFamily === 'number' && LINE_HEIGHTS[element.fontFamily]) || 1.25;
  let measured = false;
  if (!(typeof element.width === 'number' && element.width > 0)) {
    element.width = widestLine(text, fontSize, classOfId(element.fontFamily), theme);
    measured = true;
  }
  if (!(typeof element.height === 'number' && element.height > 0)) {
    element.height = text.replace(/\r\n?/g, '\n').split('\n').length * fontSize * (element.lineHeight as number);
    measured = true;
  }
  const container = typeof element.containerId === 'string' ? byId.get(element.containerId) : undefined;
  if (!measured || !container || container.type === 'arrow' || container.type === 'line') return;
  const [x, y, width, height] = [container.x, container.y, container.width, container.height].map(Number);
  if (![x, y, width, height].every(Number.isFinite)) return;
  element.x = x + (width - (element.width as number)) / 2;
  const padding = 5;
  element.y = element.verticalAlign === 'top' ? y + padding : element.verticalAlign === 'bottom' ? y + height - padding - (element.height as number) : y + (height - (element.height as number)) / 2;
}

/**
 * Excalidraw stored each text's box as its own faces measured it; ours differ a little. A text
 * whose widest line would pass its box is drawn smaller (never larger), with the same line pitch,
 * so it stays within its shape and the drawing's bounds.
 */
function fitText(element: Element, theme: PageTheme): void {
  const { text, fontSize, width } = element;
  if (typeof text !== 'string' || typeof fontSize !== 'number' || typeof width !== 'number' || !(fontSize > 0) || !(width > 0)) return;
  const widest = widestLine(text, fontSize, classOfId(element.fontFamily), theme);
  if (widest <= width * 1.02) return;
  const scale = width / widest;
  const lineHeight = typeof element.lineHeight === 'number' && element.lineHeight > 0 ? element.lineHeight : 1.25;
  element.fontSize = fontSize * scale;
  element.lineHeight = lineHeight / scale;
}

// ---- Colours ---------------------------------------------------------------------------------

/**
 * The contrast texts are given: WCAG's 4.5:1 and a little more, as the thin strokes of the
 * hand-drawn font come out anti-aliased, a shade lighter than their colour (a green label made
 * 4.6:1 measures 4.47:1 as drawn).
 */
const TEXT_RATIO = 4.8;

/** Shapes whose solid fill a text may lie on. */
const FILLED_SHAPES = new Set(['rectangle', 'ellipse', 'diamond', 'stickynote']);

/**
 * The final colours of every element. `invert` is Excalidraw's dark mode (a light scene on a dark
 * canvas, or a scene drawn on a dark background on a light one). Excalidraw's default ink takes
 * the theme's text colour; then every text reads 4.5:1 on what it lies on (its container's solid
 * fill, a solid shape under it, or the canvas) and every stroke 3:1 on the canvas, each moved in
 * lightness only, keeping its hue.
 */
function colourElements(elements: Element[], theme: PageTheme, invert: boolean): void {
  const canvas = colourOf(theme.canvas) as Colour;
  const ink = colourOf(theme.text) as Colour;
  const final = (value: unknown, fallback: Colour | null): Colour | null => {
    const colour = colourOf(value);
    if (colour === null) return fallback;
    if (colour.a === 0) return colour;
    if (DEFAULT_INK.has(cssOf(colour))) return ink;
    return invert ? darkMode(colour) : colour;
  };
  const fills = new Map<string, Colour>();
  for (const element of elements) {
    const fill = final(element.backgroundColor, null);
    element.backgroundColor = fill ? cssOf(fill) : 'transparent';
    const solid = fill && fill.a > 0.5 && (element.fillStyle === undefined || element.fillStyle === 'solid') && FILLED_SHAPES.has(String(element.type));
    if (solid && typeof element.id === 'string') fills.set(element.id, fill);
  }
  const byId = new Map(elements.map((element) => [element.id, element]));
  elements.forEach((element, index) => {
    const stroke = final(element.strokeColor, ink) as Colour;
    if (stroke.a === 0) {
      element.strokeColor = 'transparent';
      return;
    }
    if (element.type !== 'text') {
      element.strokeColor = cssOf(readable(stroke, canvas, 3));
      return;
    }
    element.strokeColor = cssOf(readable(stroke, backdropOf(element, index, elements, byId, fills) ?? canvas, TEXT_RATIO));
  });
}

/** The solid fill a text lies on: its container's, or the topmost filled shape under its centre. */
function backdropOf(text: Element, index: number, elements: Element[], byId: Map<unknown, Element>, fills: Map<string, Colour>): Colour | null {
  if (typeof text.containerId === 'string' && byId.has(text.containerId)) return fills.get(text.containerId) ?? null;
  const x = Number(text.x) + Number(text.width) / 2;
  const y = Number(text.y) + Number(text.height) / 2;
  if (!Number.isFinite(x) || !Number.isFinite(y)) return null;
  for (let i = index - 1; i >= 0; i--) {
    const shape = elements[i];
    const fill = typeof shape.id === 'string' ? fills.get(shape.id) : undefined;
    if (!fill) continue;
    const left = Number(shape.x);
    const top = Number(shape.y);
    if (x >= left && x <= left + Number(shape.width) && y >= top && y <= top + Number(shape.height)) return fill;
  }
  return null;
}

// ---- Frames ----------------------------------------------------------------------------------

/** Frame names, as Excalidraw writes them above each frame (14 px, its sans font), in the theme's line colour. */
function frameNames(elements: Element[], theme: PageTheme): Element[] {
  const names: Element[] = [];
  for (const frame of elements) {
    if (frame.type !== 'frame' && frame.type !== 'magicframe') continue;
    const width = Number(frame.width);
    let text = typeof frame.name === 'string' && frame.name.trim() ? frame.name.replace(/\s+/g, ' ').trim() : frame.type === 'magicframe' ? 'AI Frame' : 'Frame';
    if (widestLine(text, 14, 'sans', theme) > width) {
      while (text.length > 1 && widestLine(`${text}…`, 14, 'sans', theme) > width) text = text.slice(0, -1);
      text = `${text.trimEnd()}…`;
    }
    const height = 14 * 1.25;
    names.push({
      type: 'text', id: `frame-name-${names.length}`, x: Number(frame.x), y: Number(frame.y) - 3 - height, width: widestLine(text, 14, 'sans', theme), height, angle: 0,
      text, originalText: text, fontSize: 14, fontFamily: 2, lineHeight: 1.25, textAlign: 'left', verticalAlign: 'top', containerId: null, frameId: null,
      strokeColor: cssOf(readable(colourOf(theme.line) as Colour, colourOf(theme.canvas) as Colour, TEXT_RATIO)), backgroundColor: 'transparent', opacity: 100, roughness: 0, groupIds: [],
    });
  }
  return names;
}

// ---- The scene -------------------------------------------------------------------------------

/**
 * A label and its shape name each other (the text's `containerId`, the shape's `boundElements`);
 * Excalidraw's export draws a label only through its shape's list, and a text listed by a shape
 * but not pointing back twice. A hand-written scene often says it once: both ends are made to agree.
 */
function bindLabels(elements: Element[], byId: Map<unknown, Element>): void {
  for (const text of elements) {
    if (text.type !== 'text' || typeof text.containerId !== 'string') continue;
    const container = byId.get(text.containerId);
    if (!container || container.type === 'text') continue;
    const bound = Array.isArray(container.boundElements) ? (container.boundElements as Array<Record<string, unknown>>) : [];
    if (!bound.some((entry) => entry.id === text.id)) container.boundElements = [{ type: 'text', id: text.id }, ...bound.filter((entry) => entry.type !== 'text')];
  }
  for (const container of elements) {
    if (!Array.isArray(container.boundElements) || container.type === 'text') continue;
    for (const entry of container.boundElements as Array<Record<string, unknown>>) {
      const text = entry.type === 'text' ? byId.get(entry.id) : undefined;
      if (text && text.type === 'text' && (text.containerId === undefined || text.containerId === null)) text.containerId = container.id;
    }
  }
}

/** The elements as the export may see them: final colours, no links but an embed's (its placeholder shows it as text), fitted texts. */
function prepareElements(scene: PageScene, theme: PageTheme, invert: boolean): Element[] {
  const elements = scene.elements.map((source) => ({ ...source }));
  const byId = new Map(elements.map((element) => [element.id, element]));
  bindLabels(elements, byId);
  for (const element of elements) if (element.type === 'text') sizeText(element, byId, theme);
  colourElements(elements, theme, invert);
  for (const element of elements) {
    if (element.type !== 'embeddable' && element.type !== 'iframe') element.link = null;
    if (element.type === 'text') fitText(element, theme);
  }
  return [...elements, ...frameNames(elements, theme)];
}

const SKETCHED_FILLS = new Set(['hachure', 'cross-hatch', 'zigzag']);

/** The fill colours of shapes filled with sketched lines (hachure, cross-hatch, zigzag). */
function sketchedFills(elements: Element[]): Set<string> {
  const colours = new Set<string>();
  for (const element of elements) {
    if (SKETCHED_FILLS.has(String(element.fillStyle)) && typeof element.backgroundColor === 'string' && element.backgroundColor !== 'transparent') colours.add(element.backgroundColor.toLowerCase());
  }
  return colours;
}

/**
 * Marks the lines that fill a shape with hachure, cross-hatch or zigzag (rough.js draws them as
 * a path in the fill colour, half as wide as the shape's outline, which follows it in the same
 * group) with the class `sketch-fill`: a texture in the fill's own tint, inside an outline that
 * carries the shape (the quality gate counts these as decorative and measures the outline).
 */
function markSketchedFills(svg: SVGSVGElement, fills: Set<string>): void {
  if (!fills.size) return;
  for (const path of Array.from(svg.querySelectorAll('path[fill="none"]'))) {
    const stroke = (path.getAttribute('stroke') ?? '').toLowerCase();
    if (!fills.has(stroke)) continue;
    const width = Number(path.getAttribute('stroke-width'));
    let outline = path.nextElementSibling;
    while (outline && !(outline.localName === 'path' && Number(outline.getAttribute('stroke-width')) > width)) outline = outline.nextElementSibling;
    if (outline && Number.isFinite(width) && width > 0) path.setAttribute('class', 'sketch-fill');
  }
}

// ---- The SVG ---------------------------------------------------------------------------------

/**
 * Only drawing leaves the page: no comments, metadata or Excalidraw's font style sheet, links
 * unwrapped, ids renamed (`<prefix>-<n>`, so two drawings inlined in one page cannot take each
 * other's masks and clip paths, and no id from the source reaches an attribute), text in the
 * installed faces, frame outlines in the theme's line colour.
 */
function cleanSvg(svg: SVGSVGElement, theme: PageTheme): void {
  const walker = document.createTreeWalker(svg, NodeFilter.SHOW_COMMENT);
  const comments: Node[] = [];
  while (walker.nextNode()) comments.push(walker.currentNode);
  for (const comment of comments) comment.parentNode?.removeChild(comment);
  for (const node of Array.from(svg.querySelectorAll('metadata, style, script, foreignObject, iframe'))) node.remove();

  for (const anchor of Array.from(svg.querySelectorAll('a'))) {
    const group = document.createElementNS(SVG_NS, 'g');
    while (anchor.firstChild) group.appendChild(anchor.firstChild);
    anchor.replaceWith(group);
  }

  const ids = new Map<string, string>();
  for (const node of Array.from(svg.querySelectorAll('[id]'))) {
    const fresh = `${theme.idPrefix}-${ids.size + 1}`;
    ids.set(node.id, fresh);
    node.id = fresh;
  }
  for (const node of Array.from(svg.querySelectorAll('*'))) {
    for (const attribute of Array.from(node.attributes)) {
      const { name, value } = attribute;
      if (name === 'href' || name === 'xlink:href') {
        const target = value.startsWith('#') ? ids.get(value.slice(1)) : undefined;
        // An image's own picture stays (the SVG step lets embedded PNG, JPEG, GIF and WebP pictures through).
        if (node.localName === 'image' && /^data:image\/(png|jpe?g|gif|webp);base64,/i.test(value)) continue;
        node.removeAttributeNS(attribute.namespaceURI, attribute.localName);
        if (target) node.setAttribute('href', `#${target}`);
      } else if (value.includes('url(')) {
        // mask, clip-path, filter: a reference into the document, or nothing.
        const match = /^url\(#(.*)\)$/.exec(value.trim());
        const target = match ? ids.get(match[1]) : undefined;
        node.removeAttributeNS(attribute.namespaceURI, attribute.localName);
        if (target) node.setAttribute(attribute.localName, `url(#${target})`);
      }
    }
  }

  for (const text of Array.from(svg.querySelectorAll('text'))) {
    const font = fontFor(classOfFamily(text.getAttribute('font-family') ?? ''), theme);
    text.setAttribute('font-family', font.family);
    if (font.weight !== '400') text.setAttribute('font-weight', font.weight);
  }
  // Excalidraw's frame outline is a faint #bbb (1.9:1 on white): the theme's line colour reads.
  const frameStroke = cssOf(readable(colourOf(theme.line) as Colour, colourOf(theme.canvas) as Colour, 3));
  for (const rect of Array.from(svg.querySelectorAll('rect[stroke="#bbb"]'))) rect.setAttribute('stroke', frameStroke);
}

async function render(scene: PageScene, theme: PageTheme): Promise<PageResult> {
  try {
    const background = colourOf(scene.viewBackgroundColor);
    const sceneDark = background !== null && background.a > 0 && contrast(background, { r: 0, g: 0, b: 0, a: 1 }) < 4;
    const invert = theme.dark !== sceneDark;
    const elements = prepareElements(scene, theme, invert);
    const svg = await exportToSvg({
      data: {
        elements,
        appState: {
          exportBackground: false,
          viewBackgroundColor: theme.canvas,
          // The colours are final already (colourElements): Excalidraw's own dark mode would invert them again.
          exportWithDarkMode: false,
          exportEmbedScene: false,
          frameRendering: { enabled: true, clip: true, name: false, outline: true },
        },
        files: scene.files,
      },
      config: { padding: theme.padding, skipInliningFonts: true, renderEmbeddables: false, reuseImages: true },
    });
    cleanSvg(svg, theme);
    markSketchedFills(svg, sketchedFills(elements));
    const [minX, minY, width, height] = (svg.getAttribute('viewBox') ?? '').split(/\s+/).map(Number);
    if (![minX, minY, width, height].every(Number.isFinite) || width <= 0 || height <= 0) return { ok: false, message: 'the scene draws nothing.' };
    const markup = new XMLSerializer().serializeToString(svg);
    if (markup.length > theme.maxSvgChars) return { ok: false, message: `the drawing is ${Math.round(markup.length / 1024)} KB of SVG`, tooLarge: true };
    return { ok: true, svg: markup, viewBox: [minX, minY, width, height] };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

const api: ExcalidrawPageApi = { render };
(globalThis as unknown as { __flowsmithExcalidraw: ExcalidrawPageApi }).__flowsmithExcalidraw = api;
