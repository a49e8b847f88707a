import { inflateRawSync } from 'node:zlib';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { RenderFailure } from '@flowsmith/contracts';
import type { EngineResult } from '../engine';

/** Bounds that keep a hostile source from exhausting the worker or the page. */
export const DRAWIO_LIMITS = {
  /** Characters of source (the API already caps sources at 100 KB; this guards direct callers). */
  sourceChars: 1024 * 1024,
  /** Bytes of XML inflated from compressed pages, summed over one call: a decompression bomb stops here. */
  inflatedBytes: 4 * 1024 * 1024,
  /** Cells (shapes, edges, labels, layers) of one page. */
  cells: 5000,
  /** Width or height of a page's drawing, and any one coordinate, in draw.io units (px at zoom 1). */
  extent: 100_000,
};

/** One page of a draw.io file, ready for the browser: a normalized `<mxGraphModel>` document. */
export interface DrawioPage {
  /** The model as XML: the elements and attributes that were validated, and nothing else. */
  model: string;
  /** 1-based index of the chosen page. */
  index: number;
  /** Names of every page in the file, in order. */
  pages: string[];
}

/** A parsed element in fast-xml-parser's `preserveOrder` shape: `{ [tag]: children, ':@': attributes }`. */
type XmlNode = Record<string, unknown>;

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlNode[];
  text: string;
}

/** Elements an mxGraphModel is made of. Anything else (a codec name such as mxStylesheet, or window globals mxCodec would instantiate) is refused. */
const MODEL_ELEMENTS = new Set(['mxGraphModel', 'root', 'mxCell', 'UserObject', 'object', 'mxGeometry', 'mxPoint', 'mxRectangle', 'Array']);
/** Names mxCodec would turn into property writes on prototypes. */
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const ENTITY = /&(?!(?:amp|lt|gt|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});)/;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  allowBooleanAttributes: false,
  // Values stay as written (entities unexpanded): the browser's XML parser decodes them, once.
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

const fail = (message: string, line?: number, column?: number): { ok: false; error: RenderFailure } => ({
  ok: false,
  error: { code: 'parse_failed', message, ...(line ? { line, column } : {}) },
});

function elementOf(node: XmlNode): XmlElement | null {
  const name = Object.keys(node).find((key) => key !== ':@' && key !== '#text');
  if (!name) return null;
  const children = node[name] as XmlNode[];
  const text = children
    .filter((child) => '#text' in child)
    .map((child) => String(child['#text']))
    .join('');
  return { name, attributes: (node[':@'] as Record<string, string>) ?? {}, children, text };
}

const childElements = (element: XmlElement) => element.children.map(elementOf).filter((child): child is XmlElement => child !== null);

function decodeEntities(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, entity: string) => {
    if (entity[0] === '#') {
      const code = entity[1] === 'x' ? Number.parseInt(entity.slice(2), 16) : Number.parseInt(entity.slice(1), 10);
      return code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[entity];
  });
}

/**
 * Parses one XML document after refusing what an XML parser must never see from a stranger:
 * a DOCTYPE can declare entities (external ones read files or URLs, nested ones expand
 * exponentially), so it is refused outright rather than configured away.
 */
function parseXml(xml: string, where: string, withPosition: boolean): EngineResult<XmlElement> {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) {
    return fail(`${where} declares a DOCTYPE or entities, which draw.io files never do; it is refused (XML external entities and entity expansion are not processed).`);
  }
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    return withPosition ? fail(`${where} is not well-formed XML (line ${line}, column ${col}): ${msg}`, line, col) : fail(`${where} is not well-formed XML (line ${line} of the page, column ${col}): ${msg}`);
  }
  let nodes: XmlNode[];
  try {
    nodes = parser.parse(xml) as XmlNode[];
  } catch (error) {
    return fail(`${where} could not be parsed: ${(error as Error).message}`);
  }
  const root = nodes.map(elementOf).find((element): element is XmlElement => element !== null);
  return root ? { ok: true, value: root } : fail(`${where} holds no XML element.`);
}

/** A compressed page as draw.io writes it: base64 of raw deflate of the URI-encoded XML. */
function inflatePage(text: string, where: string, budget: { bytes: number }): EngineResult<string> {
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return fail(`${where} holds text that is neither an <mxGraphModel> nor a compressed draw.io page.`);
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(Buffer.from(compact, 'base64'), { maxOutputLength: Math.max(1, budget.bytes) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      return fail(`${where} decompresses to more than ${DRAWIO_LIMITS.inflatedBytes / (1024 * 1024)} MB of XML; it is refused.`);
    }
    return fail(`${where} is not valid compressed draw.io data (${(error as Error).message}).`);
  }
  budget.bytes -= inflated.length;
  const raw = inflated.toString('utf8');
  try {
    return { ok: true, value: decodeURIComponent(raw) };
  } catch {
    // Some writers deflate the XML without URI-encoding it first.
    return { ok: true, value: raw };
  }
}

interface Box {
  parent?: string;
  vertex: boolean;
  edge: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
  relative: boolean;
  points: Array<[number, number]>;
}

const NUMERIC_ATTRIBUTES = ['x', 'y', 'width', 'height'];

/**
 * Checks a page's model against the element whitelist and the limits, and serializes exactly
 * what was checked: elements and attributes only (a model carries no meaningful text), with
 * attribute values kept as written.
 */
function checkModel(model: XmlElement, where: string): EngineResult<string> {
  const boxes = new Map<string, Box>();
  let cells = 0;
  let problem: string | null = null;

  /** `box` is the cell that geometry below belongs to; `wrapperId` the id of an enclosing UserObject. */
  const serialize = (element: XmlElement, depth: number, box: Box | null, wrapperId?: string): string => {
    if (problem) return '';
    if (!MODEL_ELEMENTS.has(element.name)) {
      problem = `${where} contains <${element.name}>, which is not part of a draw.io model.`;
      return '';
    }
    if (depth > 12) {
      problem = `${where} nests its elements deeper than a draw.io model does.`;
      return '';
    }
    let attributes = '';
    for (const [name, value] of Object.entries(element.attributes)) {
      if (FORBIDDEN_NAMES.has(name) || FORBIDDEN_NAMES.has(value)) {
        problem = `${where} uses the reserved name "${FORBIDDEN_NAMES.has(name) ? name : value}".`;
        return '';
      }
      if (ENTITY.test(value)) {
        problem = `${where} has an attribute with an unknown entity reference (${name}="${value.slice(0, 40)}").`;
        return '';
      }
      attributes += ` ${name}="${value.replace(/"/g, '&quot;')}"`;
    }

    let childBox: Box | null = null;
    let childWrapper: string | undefined;
    if (element.name === 'mxCell') {
      if (++cells > DRAWIO_LIMITS.cells) {
        problem = `${where} has more than ${DRAWIO_LIMITS.cells} cells; it is refused.`;
        return '';
      }
      const { id, parent, vertex, edge } = element.attributes;
      childBox = { parent, vertex: vertex === '1', edge: edge === '1', x: 0, y: 0, width: 0, height: 0, relative: false, points: [] };
      // In a UserObject the id is the wrapper's; the inner mxCell has none.
      boxes.set(id ?? wrapperId ?? `#${cells}`, childBox);
    } else if (element.name === 'UserObject' || element.name === 'object') {
      childWrapper = element.attributes.id;
    } else if (element.name === 'mxGeometry' || element.name === 'mxPoint' || element.name === 'mxRectangle' || element.name === 'Array') {
      const numbers: Record<string, number> = {};
      for (const name of NUMERIC_ATTRIBUTES) {
        if (element.attributes[name] === undefined) continue;
        const value = Number(element.attributes[name]);
        if (!Number.isFinite(value) || Math.abs(value) > DRAWIO_LIMITS.extent) {
          problem = `${where} has a coordinate out of range (${name}="${element.attributes[name].slice(0, 40)}"); coordinates must be numbers within ±${DRAWIO_LIMITS.extent}.`;
          return '';
        }
        numbers[name] = value;
      }
      if (box && element.name === 'mxGeometry') {
        Object.assign(box, { x: numbers.x ?? 0, y: numbers.y ?? 0, width: numbers.width ?? 0, height: numbers.height ?? 0, relative: element.attributes.relative === '1' });
      } else if (box && element.name === 'mxPoint' && element.attributes.as !== 'offset') {
        box.points.push([numbers.x ?? 0, numbers.y ?? 0]);
      }
      childBox = box;
    }

    const inner = childElements(element)
      .map((child) => serialize(child, depth + 1, childBox, childWrapper))
      .join('');
    return inner ? `<${element.name}${attributes}>${inner}</${element.name}>` : `<${element.name}${attributes}/>`;
  };

  const xml = serialize(model, 0, null);
  if (problem) return fail(problem);
  const extent = drawingExtent(boxes);
  if (extent.width > DRAWIO_LIMITS.extent || extent.height > DRAWIO_LIMITS.extent) {
    return fail(`${where} is ${Math.round(extent.width)} × ${Math.round(extent.height)} units, larger than the ${DRAWIO_LIMITS.extent} × ${DRAWIO_LIMITS.extent} this renderer draws.`);
  }
  return { ok: true, value: xml };
}

/** Width and height of everything on the page, with child geometry offset by its parents'. */
function drawingExtent(boxes: Map<string, Box>): { width: number; height: number } {
  const origins = new Map<string, [number, number]>();
  const originOf = (id: string | undefined, depth = 0): [number, number] => {
    const box = id === undefined ? undefined : boxes.get(id);
    if (id === undefined || !box || !box.vertex || box.relative || depth > 100) return [0, 0];
    const known = origins.get(id);
    if (known) return known;
    const [px, py] = originOf(box.parent, depth + 1);
    const origin: [number, number] = [px + box.x, py + box.y];
    origins.set(id, origin);
    return origin;
  };
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  const include = (x: number, y: number) => {
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x);
    maxY = Math.max(maxY, y);
  };
  for (const [id, box] of boxes) {
    if (box.vertex && !box.relative) {
      const [x, y] = originOf(id);
      include(x, y);
      include(x + box.width, y + box.height);
    } else if (box.edge) {
      const [ox, oy] = originOf(box.parent);
      for (const [x, y] of box.points) include(ox + x, oy + y);
    }
  }
  return minX === Infinity ? { width: 0, height: 0 } : { width: maxX - minX, height: maxY - minY };
}

interface PageEntry {
  name: string;
  /** The page's own model element, or its compressed text. */
  model: XmlElement | null;
  compressed: string;
}

function readPages(source: string): EngineResult<{ pages: PageEntry[]; bare: boolean }> {
  if (source.length > DRAWIO_LIMITS.sourceChars) return fail(`The draw.io source is larger than ${DRAWIO_LIMITS.sourceChars / (1024 * 1024)} MB; it is refused.`);
  const text = source.replace(/^\uFEFF/, '').trim();
  if (!text.startsWith('<')) return fail('The source is not draw.io XML: it should start with <mxfile> or <mxGraphModel>.');
  const parsed = parseXml(text, 'The draw.io source', true);
  if (!parsed.ok) return parsed;
  const root = parsed.value;
  if (root.name === 'mxGraphModel') return { ok: true, value: { pages: [{ name: 'Page-1', model: root, compressed: '' }], bare: true } };
  if (root.name !== 'mxfile') return fail(`The source is not draw.io XML: its root element is <${root.name}>, not <mxfile> or <mxGraphModel>.`);
  const diagrams = childElements(root).filter((child) => child.name === 'diagram');
  if (diagrams.length === 0) return fail('The draw.io file has no <diagram> page.');
  const pages = diagrams.map((diagram, i) => {
    const model = childElements(diagram).find((child) => child.name === 'mxGraphModel') ?? null;
    return { name: decodeEntities(diagram.attributes.name ?? `Page-${i + 1}`), model, compressed: model ? '' : diagram.text.trim() };
  });
  return { ok: true, value: { pages, bare: false } };
}

function modelOfPage(entry: PageEntry, index: number, bare: boolean, budget: { bytes: number }): EngineResult<string> {
  const where = bare ? 'The draw.io model' : `Page ${index} ("${entry.name}")`;
  let model = entry.model;
  if (!model) {
    if (!entry.compressed) return fail(`${where} is empty: it holds neither an <mxGraphModel> nor compressed data.`);
    const inflated = inflatePage(entry.compressed, where, budget);
    if (!inflated.ok) return inflated;
    const parsed = parseXml(inflated.value, `${where} (compressed)`, false);
    if (!parsed.ok) return parsed;
    if (parsed.value.name !== 'mxGraphModel') return fail(`${where} decompresses to <${parsed.value.name}>, not an <mxGraphModel>.`);
    model = parsed.value;
  }
  return checkModel(model, where);
}

/** Page names for an error message, without letting a file with thousands of pages flood it. */
function listPages(pages: string[]): string {
  const shown = pages.slice(0, 20).map((name, i) => `${i + 1} "${name}"`);
  return shown.join(', ') + (pages.length > shown.length ? `, and ${pages.length - shown.length} more` : '');
}

/**
 * Decodes a draw.io source (an `<mxfile>` of one or more pages, plain or compressed, or a bare
 * `<mxGraphModel>`) and returns one page's validated model: the first page, or `page` given as a
 * 1-based index or a page name (an index wins when both could match).
 */
export function decodeDrawio(source: string, page?: string): EngineResult<DrawioPage> {
  const read = readPages(source);
  if (!read.ok) return read;
  const { pages, bare } = read.value;
  const names = pages.map((entry) => entry.name);
  let index = 1;
  if (page !== undefined && page !== '') {
    const number = /^\d+$/.test(page.trim()) ? Number(page.trim()) : NaN;
    index = number >= 1 && number <= pages.length ? number : names.indexOf(page) + 1;
    if (index === 0) return fail(`The draw.io file has no page "${page.slice(0, 100)}"; its pages are ${listPages(names)}.`);
  }
  const model = modelOfPage(pages[index - 1], index, bare, { bytes: DRAWIO_LIMITS.inflatedBytes });
  return model.ok ? { ok: true, value: { model: model.value, index, pages: names } } : model;
}

/** Validates every page of a draw.io source without drawing it. */
export function validateDrawio(source: string): EngineResult<{ pages: string[] }> {
  const read = readPages(source);
  if (!read.ok) return read;
  const budget = { bytes: DRAWIO_LIMITS.inflatedBytes };
  for (const [i, entry] of read.value.pages.entries()) {
    const model = modelOfPage(entry, i + 1, read.value.bare, budget);
    if (!model.ok) return model;
  }
  return { ok: true, value: { pages: read.value.pages.map((entry) => entry.name) } };
}
