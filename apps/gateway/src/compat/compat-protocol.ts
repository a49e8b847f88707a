import { inflateRawSync, inflateSync } from 'node:zlib';
import { ImageFormat, isThemeId, LANGUAGES, MAX_SIZE_OPTION, MAX_SOURCE_BYTES, SOURCE_FORMATS, SourceFormat, ThemeId } from '@flowsmith/contracts';

/**
 * The Kroki and mermaid.ink protocols (docs/compat.md): how their clients name diagram languages
 * and outputs, and how they pack a source into a URL. Pure functions; compat.controller.ts serves
 * them.
 */

/** A request the protocol refuses: a status and a plain-text message, as those servers answer. */
export class CompatError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Kroki's diagram types that Flowsmith renders, by Kroki's name (and its aliases), as Flowsmith's language (libs/contracts/src/languages.ts). */
export const KROKI_TYPES: Readonly<Record<string, SourceFormat>> = Object.fromEntries(SOURCE_FORMATS.flatMap((format) => LANGUAGES[format].kroki.map((name) => [name, format])));

/** Every type Kroki itself serves (kroki.io, 0.28), so that one Flowsmith does not render gets a 400 that says so (docs/compat.md). */
const KROKI_ALL_TYPES = [
  'actdiag', 'blockdiag', 'bpmn', 'bytefield', 'c4plantuml', 'd2', 'dbml', 'diagramsnet', 'ditaa', 'dot', 'erd', 'excalidraw', 'graphviz', 'mermaid', 'nomnoml',
  'nwdiag', 'packetdiag', 'pikchr', 'plantuml', 'rackdiag', 'seqdiag', 'structurizr', 'svgbob', 'symbolator', 'tikz', 'umlet', 'vega', 'vegalite', 'wavedrom', 'wireviz',
];

/** Kroki's types that Flowsmith does not render (docs/compat.md says why): a clear 400 that lists what it does. */
export const KROKI_UNSUPPORTED_TYPES = KROKI_ALL_TYPES.filter((type) => !(type in KROKI_TYPES));

/** Kroki's output names that Flowsmith draws. */
export const KROKI_OUTPUTS: Readonly<Record<string, ImageFormat>> = { svg: 'svg', png: 'png', jpeg: 'jpeg', jpg: 'jpeg', webp: 'webp', pdf: 'pdf', txt: 'txt', utxt: 'utxt' };
const KROKI_LATER_OUTPUTS = ['base64'];

const CONTENT_TYPES: Readonly<Record<string, ImageFormat>> = { 'image/svg+xml': 'svg', 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/webp': 'webp', 'application/pdf': 'pdf', 'text/plain': 'txt' };

export function krokiSourceFormat(type: string): SourceFormat {
  const format = KROKI_TYPES[type.toLowerCase()];
  if (format) return format;
  const known = KROKI_UNSUPPORTED_TYPES.includes(type.toLowerCase());
  throw new CompatError(
    400,
    `${known ? `Diagram type ${type} is not rendered by this Flowsmith server (docs/compat.md says why)` : `Unsupported diagram type ${type}`}. Supported: ${Object.keys(KROKI_TYPES).join(', ')}.`,
  );
}

export function krokiOutput(name: string): ImageFormat {
  const format = KROKI_OUTPUTS[name.toLowerCase()];
  if (format) return format;
  const later = KROKI_LATER_OUTPUTS.includes(name.toLowerCase());
  throw new CompatError(400, `${later ? `Output format ${name} is not produced by this Flowsmith server yet` : `Unsupported output format ${name}`}. Supported: svg, png, jpeg, webp, pdf, txt, utxt.`);
}

/** The output an `Accept` header asks for (Kroki's `POST /{type}`); SVG when it names none we draw. */
export function outputFromAccept(accept: string | undefined): ImageFormat {
  for (const part of (accept ?? '').split(',')) {
    const type = part.split(';')[0].trim().toLowerCase();
    if (CONTENT_TYPES[type]) return CONTENT_TYPES[type];
  }
  return 'svg';
}

/** Base64 or base64url, padded or not, to bytes; null when it is neither. */
function base64Bytes(text: string): Buffer | null {
  const compact = text.replace(/\s/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact) || !compact) return null;
  return Buffer.from(compact.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** At most MAX_SOURCE_BYTES of inflated text: a small URL cannot become a large source (a zip bomb). */
function inflate(bytes: Buffer): Buffer {
  const options = { maxOutputLength: MAX_SOURCE_BYTES + 1 };
  let inflated: Buffer;
  try {
    inflated = inflateSync(bytes, options);
  } catch (zlibError) {
    if ((zlibError as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
    try {
      // Raw deflate, as some clients write it (no zlib header).
      inflated = inflateRawSync(bytes, options);
    } catch (rawError) {
      if ((rawError as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
      throw new CompatError(400, 'The encoded diagram is not deflate + base64url (zlib.compress, then base64 with - and _): it could not be inflated.');
    }
  }
  if (inflated.length > MAX_SOURCE_BYTES) throw tooLarge();
  return inflated;
}

function tooLarge(): CompatError {
  return new CompatError(413, `The diagram source is over ${MAX_SOURCE_BYTES} bytes once inflated.`);
}

function utf8(bytes: Buffer, what: string): string {
  const text = bytes.toString('utf8');
  if (text.includes('\uFFFD')) throw new CompatError(400, `${what} is not UTF-8.`);
  return text;
}

/** Kroki's GET: the source deflated (zlib) and base64url-encoded. */
export function decodeKroki(encoded: string): string {
  const bytes = base64Bytes(encoded);
  if (!bytes) throw new CompatError(400, 'The encoded diagram is not base64url (A-Z, a-z, 0-9, - and _).');
  return utf8(inflate(bytes), 'The decoded diagram');
}

/** Kroki's options from the query, `Kroki-Diagram-Options-*` headers and JSON, later ones winning; names lower-cased. */
export function krokiOptions(...sources: Array<Record<string, unknown> | undefined>): Record<string, string> {
  const options: Record<string, string> = {};
  for (const source of sources) {
    for (const [name, value] of Object.entries(source ?? {})) if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') options[name.toLowerCase()] = String(value);
  }
  return options;
}

export function headerOptions(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const options: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const match = /^kroki-diagram-options-(.+)$/i.exec(name);
    if (match && typeof value === 'string') options[match[1]] = value;
  }
  return options;
}

/** mermaid.ink's theme names, and ours, as one of Flowsmith's themes. */
const INK_THEMES: Readonly<Record<string, ThemeId>> = { default: 'light', neutral: 'print', dark: 'dark', forest: 'modern', base: 'light' };

export function themeOf(name: string | undefined, fallback: ThemeId): ThemeId {
  if (!name) return fallback;
  if (isThemeId(name)) return name;
  const mapped = INK_THEMES[name.toLowerCase()];
  if (mapped) return mapped;
  throw new CompatError(400, `Unknown theme ${name}: use one of Flowsmith's themes (GET /api/v1/themes) or mermaid's default, neutral, dark, forest.`);
}

export function scaleOf(value: string | undefined): 1 | 2 | 4 {
  if (value === undefined || value === '') return 1;
  const scale = Number(value);
  if (scale === 1 || scale === 2 || scale === 4) return scale;
  throw new CompatError(400, `scale must be 1, 2 or 4, not ${value}.`);
}

/** mermaid.ink's `width` / `height` (and Flowsmith's, as Kroki diagram options): whole CSS pixels, 1 to MAX_SIZE_OPTION. */
export function sizeOptionOf(name: 'width' | 'height', value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const size = Number(value);
  if (Number.isInteger(size) && size >= 1 && size <= MAX_SIZE_OPTION) return size;
  throw new CompatError(400, `${name} must be a whole number of pixels from 1 to ${MAX_SIZE_OPTION}, not ${value.slice(0, 20)}.`);
}

/**
 * The canvas from Kroki's `background` option or mermaid.ink's `bgColor`: `theme`, `transparent`,
 * a colour with or without `#` (`FF0000`, as mermaid.ink takes it), or `!white`/`!black`.
 */
export function backgroundOf(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const lower = value.toLowerCase();
  if (lower === 'theme' || lower === 'transparent') return lower;
  const hex = /^#?([0-9a-f]{6})$/.exec(lower);
  if (hex) return `#${hex[1]}`;
  const named: Record<string, string> = { '!white': '#ffffff', white: '#ffffff', '!black': '#000000', black: '#000000' };
  if (named[lower]) return named[lower];
  throw new CompatError(400, `background must be theme, transparent or a colour RRGGBB, not ${value}.`);
}

export interface InkDiagram {
  code: string;
  /** The theme named in the packed JSON (`mermaid.theme`), if any. */
  theme?: string;
}

/**
 * mermaid.ink's `{encoded}`: `pako:` + base64url of the deflated JSON `{code, mermaid}` (what
 * mermaid's live editor writes), or base64 of the JSON, or base64 of the code itself.
 */
export function decodeInk(encoded: string): InkDiagram {
  const pako = encoded.startsWith('pako:');
  const bytes = base64Bytes(pako ? encoded.slice(5) : encoded);
  if (!bytes) throw new CompatError(400, 'The encoded diagram is not base64 (or pako: and base64url of its deflate).');
  const text = utf8(pako ? inflate(bytes) : bytes, 'The decoded diagram');
  if (text.length > MAX_SOURCE_BYTES) throw tooLarge();
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      if (pako) throw new CompatError(400, 'The pako: diagram is not JSON of {"code": "...", "mermaid": {...}}.');
      return { code: text };
    }
    const packed = parsed as { code?: unknown; mermaid?: unknown };
    if (typeof packed.code !== 'string') throw new CompatError(400, 'The packed diagram has no "code" string.');
    const config = typeof packed.mermaid === 'string' ? safeJson(packed.mermaid) : packed.mermaid;
    const theme = config && typeof config === 'object' && typeof (config as { theme?: unknown }).theme === 'string' ? (config as { theme: string }).theme : undefined;
    return { code: packed.code, theme };
  }
  if (pako) throw new CompatError(400, 'The pako: diagram is not JSON of {"code": "...", "mermaid": {...}}.');
  return { code: text };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** mermaid.ink's `/img` output (`type`, jpeg by default). */
export function inkImageFormat(type: string | undefined): ImageFormat {
  const format = { jpeg: 'jpeg', jpg: 'jpeg', png: 'png', webp: 'webp' }[(type ?? 'jpeg').toLowerCase()] as ImageFormat | undefined;
  if (!format) throw new CompatError(400, `type must be jpeg, png or webp, not ${type}.`);
  return format;
}
