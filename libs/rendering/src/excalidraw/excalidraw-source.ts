import type { RenderFailure } from '@flowsmith/contracts';
import type { EngineResult } from '../engine';
import { positionOf } from '../source-position';
import { RASTER_DATA_URI } from '../svg/sanitize-svg';
import type { PageFile, PageScene } from './page/page-types';

/** Bounds that keep a hostile scene from exhausting the worker or the page. */
export const EXCALIDRAW_LIMITS = {
  /** Characters of source (the API already caps sources; this guards direct callers). */
  sourceChars: 1024 * 1024,
  /** Elements drawn (deleted ones are not counted: they are dropped here). */
  elements: 5000,
  /** Points of one line, arrow or freehand stroke, and of all of them together. */
  pointsPerElement: 20_000,
  points: 200_000,
  /**
   * Lines of hatched fills (hachure, cross-hatch, zigzag) in all: rough.js draws one a stroke
   * width's four times apart across a shape, so a huge shape with a thin stroke is millions of
   * lines. Far fewer already pass the SVG size the SVG step takes.
   */
  hatchLines: 100_000,
  /** Characters of all texts together. */
  textChars: 200_000,
  /** Any coordinate or size, in scene px. */
  extent: 100_000,
  /** Font sizes and stroke widths beyond this draw nothing sensible. */
  fontSize: 1000,
  strokeWidth: 200,
  /** Image files drawn. */
  files: 50,
  /** Space around the drawing, in scene px (Excalidraw's own export default). */
  padding: 10,
};

/** Element types Excalidraw draws (`selection` is the editor's and is skipped; `draw` is an old name of `line`). */
const ELEMENT_TYPES = new Set(['rectangle', 'diamond', 'ellipse', 'arrow', 'line', 'draw', 'freedraw', 'text', 'image', 'frame', 'magicframe', 'embeddable', 'iframe', 'stickynote']);
const NUMBER_FIELDS = ['x', 'y', 'width', 'height'] as const;
const LINEAR_TYPES = new Set(['arrow', 'line', 'draw', 'freedraw']);
const FILE_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** Excalidraw's fill styles. rough.js has others ("dots": one ellipse per few px² of a shape) that Excalidraw never writes. */
const FILL_STYLES = new Set(['hachure', 'cross-hatch', 'solid', 'zigzag']);

type Failure = { ok: false; error: RenderFailure };

const fail = (message: string, line?: number, column?: number): Failure => ({
  ok: false,
  error: { code: 'parse_failed', message: `excalidraw: ${message}`, ...(line ? { line, column } : {}) },
});

class SceneError extends Error {}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const describe = (value: unknown) => (Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`);

/**
 * An Excalidraw scene (`{ "type": "excalidraw", "elements": [...], "appState": {...}, "files": {...} }`,
 * as Excalidraw saves it, or the clipboard's `excalidraw/clipboard`), parsed and checked for the
 * page: JSON faults with line and column, the shape Excalidraw's restore relies on, the limits
 * above, and images (only embedded PNG, JPEG, GIF and WebP pictures are drawn: nothing is fetched,
 * and an SVG picture could hold what the SVG step removes). Deleted elements, links and files no
 * image uses are left out.
 */
export function parseExcalidraw(source: string): EngineResult<PageScene> {
  if (source.length > EXCALIDRAW_LIMITS.sourceChars) return fail(`the scene is larger than ${EXCALIDRAW_LIMITS.sourceChars / (1024 * 1024)} MB; it is refused.`);
  let data: unknown;
  try {
    data = JSON.parse(source);
  } catch (error) {
    const at = jsonErrorOffset(source);
    const { line, column } = positionOf(source, at);
    const message = (error as Error).message.replace(/, "[\s\S]*" is not valid JSON$/, '').replace(/ in JSON at position \d+[\s\S]*$/, '');
    return fail(`the scene is not valid JSON: ${message} (line ${line}, column ${column}).`, line, column);
  }
  try {
    return { ok: true, value: checkScene(data) };
  } catch (error) {
    if (error instanceof SceneError) return fail(error.message);
    throw error;
  }
}

function checkScene(data: unknown): PageScene {
  if (!isObject(data)) throw new SceneError(`a scene is a JSON object ({ "type": "excalidraw", "elements": [...] }), not ${describe(data)}.`);
  if (data.type !== undefined && data.type !== 'excalidraw' && data.type !== 'excalidraw/clipboard') {
    throw new SceneError(`"type" is ${describe(data.type)}; an Excalidraw scene has "type": "excalidraw" (a library, "excalidrawlib", holds no scene to draw).`);
  }
  if (!Array.isArray(data.elements)) throw new SceneError(`a scene has an "elements" array; here it is ${data.elements === undefined ? 'missing' : describe(data.elements)}.`);
  if (data.appState !== undefined && data.appState !== null && !isObject(data.appState)) throw new SceneError(`"appState" is an object, not ${describe(data.appState)}.`);
  if (data.files !== undefined && data.files !== null && !isObject(data.files)) throw new SceneError(`"files" is an object of image files by id, not ${describe(data.files)}.`);

  const budget = { points: 0, text: 0, hatchLines: 0 };
  const elements: Array<Record<string, unknown>> = [];
  data.elements.forEach((element, index) => {
    const kept = checkElement(element, index, budget);
    if (kept) elements.push(kept);
  });
  if (elements.length > EXCALIDRAW_LIMITS.elements) throw new SceneError(`the scene has ${elements.length} elements; at most ${EXCALIDRAW_LIMITS.elements} are drawn.`);
  if (elements.length === 0) throw new SceneError('the scene has no elements to draw.');

  const background = isObject(data.appState) ? data.appState.viewBackgroundColor : undefined;
  return { elements, files: checkFiles(elements, isObject(data.files) ? data.files : {}), viewBackgroundColor: typeof background === 'string' ? background.slice(0, 64) : '#ffffff' };
}

/** One element, checked; null for one that draws nothing (deleted, or the editor's selection box). */
function checkElement(value: unknown, index: number, budget: { points: number; text: number; hatchLines: number }): Record<string, unknown> | null {
  const where = `element ${index + 1}`;
  if (!isObject(value)) throw new SceneError(`${where} is ${describe(value)}; every element is an object with a "type".`);
  const named = typeof value.id === 'string' ? `${where} ("${value.id.slice(0, 40)}")` : where;
  if (value.isDeleted === true || value.type === 'selection') return null;
  if (typeof value.type !== 'string' || !ELEMENT_TYPES.has(value.type)) {
    throw new SceneError(`${named} has type ${describe(value.type)}; Excalidraw draws ${[...ELEMENT_TYPES].filter((type) => type !== 'draw').join(', ')}.`);
  }
  if (value.id !== undefined && typeof value.id !== 'string') throw new SceneError(`${where} has an "id" that is ${describe(value.id)}, not a string.`);
  const element: Record<string, unknown> = { ...value };
  for (const field of NUMBER_FIELDS) {
    const number = element[field];
    if (number === undefined || number === null) {
      // Excalidraw's restore leaves a line's missing x or y undefined (NaN bounds): a hand-written scene may omit them.
      if (field === 'x' || field === 'y') element[field] = 0;
      else delete element[field];
      continue;
    }
    if (typeof number !== 'number' || !Number.isFinite(number) || Math.abs(number) > EXCALIDRAW_LIMITS.extent) {
      throw new SceneError(`${named} has "${field}": ${describe(number)}; it must be a number within ±${EXCALIDRAW_LIMITS.extent}.`);
    }
  }
  if (element.angle !== undefined && (typeof element.angle !== 'number' || !Number.isFinite(element.angle))) throw new SceneError(`${named} has "angle": ${describe(element.angle)}; it must be a number (radians).`);
  for (const [field, max] of [['strokeWidth', EXCALIDRAW_LIMITS.strokeWidth], ['fontSize', EXCALIDRAW_LIMITS.fontSize], ['roughness', 10], ['opacity', 100]] as const) {
    const number = element[field];
    if (number === undefined) continue;
    if (typeof number !== 'number' || !Number.isFinite(number) || number < 0 || number > max) throw new SceneError(`${named} has "${field}": ${describe(number)}; it must be a number from 0 to ${max}.`);
  }
  for (const field of ['groupIds', 'boundElements'] as const) {
    const list = element[field];
    if (list !== undefined && list !== null && !Array.isArray(list)) throw new SceneError(`${named} has "${field}": ${describe(list)}; it must be an array.`);
  }
  if (Array.isArray(element.groupIds) && !element.groupIds.every((id) => typeof id === 'string')) throw new SceneError(`${named} has "groupIds" that are not all strings.`);
  if (Array.isArray(element.boundElements) && !element.boundElements.every(isObject)) throw new SceneError(`${named} has "boundElements" that are not all objects ({ "id", "type" }).`);
  for (const field of ['containerId', 'frameId', 'fileId'] as const) {
    const id = element[field];
    if (id !== undefined && id !== null && typeof id !== 'string') throw new SceneError(`${named} has "${field}": ${describe(id)}; it must be an element or file id (a string) or null.`);
  }
  for (const field of ['startBinding', 'endBinding', 'roundness', 'crop'] as const) {
    const object = element[field];
    if (object !== undefined && object !== null && !isObject(object)) throw new SceneError(`${named} has "${field}": ${describe(object)}; it must be an object or null.`);
  }
  if (element.fillStyle !== undefined && !FILL_STYLES.has(element.fillStyle as string)) {
    throw new SceneError(`${named} has "fillStyle": ${describe(element.fillStyle)}; Excalidraw fills with ${[...FILL_STYLES].join(', ')}.`);
  }
  if (element.fillStyle !== undefined && element.fillStyle !== 'solid' && typeof element.backgroundColor === 'string' && element.backgroundColor !== 'transparent') {
    const gap = Math.max(0.5, typeof element.strokeWidth === 'number' ? element.strokeWidth : 2) * 4;
    budget.hatchLines += ((Math.abs(Number(element.width) || 0) + Math.abs(Number(element.height) || 0)) / gap) * (element.fillStyle === 'hachure' ? 1 : 2);
    if (budget.hatchLines > EXCALIDRAW_LIMITS.hatchLines) {
      throw new SceneError(`the scene's hatched fills would draw more than ${EXCALIDRAW_LIMITS.hatchLines} lines (${named} and those before it); use solid fills or thicker strokes for large shapes.`);
    }
  }
  if (element.points !== undefined) checkPoints(element.points, named, budget);
  else if (LINEAR_TYPES.has(element.type as string)) element.points = [[0, 0], [Number(element.width) || 0, Number(element.height) || 0]];
  // A hairline would make rough.js's hatching and Excalidraw's dash patterns dense without bound.
  if (typeof element.strokeWidth === 'number' && element.strokeWidth < 0.5) element.strokeWidth = 0.5;
  if (element.text !== undefined) {
    if (typeof element.text !== 'string') throw new SceneError(`${named} has "text": ${describe(element.text)}; it must be a string.`);
    budget.text += element.text.length + (typeof element.originalText === 'string' ? element.originalText.length : 0);
    if (budget.text > EXCALIDRAW_LIMITS.textChars) throw new SceneError(`the scene's texts are longer than ${EXCALIDRAW_LIMITS.textChars} characters in all; it is refused.`);
  }
  // Links are not drawn (an <a href> the SVG step would drop), but an embed's placeholder shows its
  // web address as text; custom data is the host app's.
  if (element.type === 'embeddable' && typeof element.link === 'string' && /^https?:\/\/[^\s]+$/i.test(element.link.trim())) element.link = element.link.trim().slice(0, 200);
  else delete element.link;
  delete element.customData;
  return element;
}

function checkPoints(points: unknown, named: string, budget: { points: number }): void {
  if (!Array.isArray(points)) throw new SceneError(`${named} has "points": ${describe(points)}; it must be an array of [x, y] pairs.`);
  if (points.length > EXCALIDRAW_LIMITS.pointsPerElement) throw new SceneError(`${named} has ${points.length} points; at most ${EXCALIDRAW_LIMITS.pointsPerElement} are drawn in one element.`);
  budget.points += points.length;
  if (budget.points > EXCALIDRAW_LIMITS.points) throw new SceneError(`the scene has more than ${EXCALIDRAW_LIMITS.points} points in all; it is refused.`);
  for (const point of points) {
    if (!Array.isArray(point) || point.length < 2 || !point.slice(0, 2).every((c) => typeof c === 'number' && Number.isFinite(c) && Math.abs(c) <= EXCALIDRAW_LIMITS.extent)) {
      throw new SceneError(`${named} has a point ${JSON.stringify(point)?.slice(0, 40)}; points are [x, y] pairs of numbers within ±${EXCALIDRAW_LIMITS.extent}.`);
    }
  }
}

/** The image files the scene's images use, each an embedded picture the SVG step lets through. */
function checkFiles(elements: Array<Record<string, unknown>>, files: Record<string, unknown>): Record<string, PageFile> {
  const used = new Set(elements.filter((element) => element.type === 'image' && typeof element.fileId === 'string').map((element) => element.fileId as string));
  if (used.size > EXCALIDRAW_LIMITS.files) throw new SceneError(`the scene shows ${used.size} image files; at most ${EXCALIDRAW_LIMITS.files} are drawn.`);
  const kept: Record<string, PageFile> = {};
  for (const id of used) {
    const file = Object.prototype.hasOwnProperty.call(files, id) ? files[id] : undefined;
    if (file === undefined) continue; // Excalidraw draws nothing for an image whose file is missing
    if (!FILE_ID.test(id)) throw new SceneError(`image file "${id.slice(0, 40)}" has an id that is not letters, digits, "-" or "_".`);
    if (!isObject(file) || typeof file.dataURL !== 'string') throw new SceneError(`image file "${id}" has no "dataURL" string.`);
    const url = file.dataURL.trim();
    if (!/^data:/i.test(url)) {
      throw new SceneError(`image file "${id}" is not embedded: its dataURL is ${JSON.stringify(url.slice(0, 60))}. Nothing is fetched: only pictures embedded as data:image/png, jpeg, gif or webp (base64) are drawn.`);
    }
    if (/^data:image\/svg\+xml/i.test(url)) {
      throw new SceneError(`image file "${id}" is an SVG picture (data:image/svg+xml), which is not drawn: an SVG could hold script or links, and only PNG, JPEG, GIF and WebP pictures pass the output's safety step. Embed it as a PNG.`);
    }
    if (!RASTER_DATA_URI.test(url)) throw new SceneError(`image file "${id}" is ${JSON.stringify(url.slice(0, 40))}…; only base64 data:image/png, jpeg, gif or webp pictures are drawn.`);
    const mimeType = url.slice(5, url.indexOf(';')).toLowerCase();
    kept[id] = { id, mimeType, dataURL: url, created: typeof file.created === 'number' ? file.created : 0 };
  }
  return kept;
}

/** Where strict JSON stops being JSON (JSON.parse names the position only for some faults). */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const stop = (): never => {
    throw i;
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const string = () => {
    if (text[i] !== '"') stop();
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) stop();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) stop();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? '')) stop();
      }
      i++;
    }
    if (i >= text.length) stop();
    i++;
  };
  const key = () => {
    ws();
    string();
    ws();
    if (text[i] !== ':') stop();
    i++;
  };
  // An explicit stack of closers, not recursion: a hostile source nests deeper than the call stack goes.
  const closers: string[] = [];
  let expectValue = true;
  try {
    for (;;) {
      ws();
      if (expectValue) {
        const c = text[i];
        if (c === '{' || c === '[') {
          const closer = c === '{' ? '}' : ']';
          i++;
          ws();
          if (text[i] === closer) {
            i++;
            expectValue = false;
            continue;
          }
          closers.push(closer);
          if (closer === '}') key();
          continue;
        }
        if (c === '"') string();
        else if (text.startsWith('true', i)) i += 4;
        else if (text.startsWith('false', i)) i += 5;
        else if (text.startsWith('null', i)) i += 4;
        else {
          const number = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
          if (!number) return stop();
          i += number[0].length;
        }
        expectValue = false;
        continue;
      }
      if (closers.length === 0) break;
      const closer = closers[closers.length - 1];
      if (text[i] === ',') {
        i++;
        if (closer === '}') key();
        expectValue = true;
      } else if (text[i] === closer) {
        i++;
        closers.pop();
      } else stop();
    }
    if (i < text.length) stop();
  } catch (at) {
    if (typeof at === 'number') return Math.min(at, text.length);
    throw at;
  }
  return text.length;
}
