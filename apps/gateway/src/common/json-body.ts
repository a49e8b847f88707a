import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './api-error';
import { noteClientGone } from '../operations/client-disconnects';

/** No body of the API nests deeper than a few levels; far deeper ones would overflow the stack of every recursive walk. */
export const MAX_BODY_DEPTH = 32;

/**
 * Keys and array items in one body, all levels together. The largest body of the API (an export)
 * has seven keys and the largest array (`scopes`) ten items, so a real client stays two orders of
 * magnitude below it. What it protects: class-transformer de-duplicates an object's keys with
 * `indexOf` inside `filter`, quadratic in the keys of one object, so 60,000 keys cost 4-9 s of
 * blocked event loop (bench:hostile); at 1,000 that walk is under a millisecond.
 */
export const MAX_BODY_KEYS = 1_000;

export interface JsonShapeLimits {
  maxDepth: number;
  maxKeys: number;
}

export type JsonShapeProblem = { kind: 'depth' | 'keys'; field?: string };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const isSpace = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/**
 * One pass over the raw bytes of a JSON text, before anything parses it: refuses a text nested
 * deeper than `maxDepth` (the root container is level 1) or holding more than `maxKeys` keys and
 * array items, and names the top-level field in which the limit was crossed. It does not check
 * the syntax (the parser after it does); it only tracks strings, so that brackets, colons and
 * commas inside them do not count. UTF-8 is safe to scan bytewise: no byte of a multi-byte
 * character is below 0x80. Linear, no allocation: ~1 ms per MB here.
 */
export function checkJsonShape(bytes: Uint8Array, limits: JsonShapeLimits): JsonShapeProblem | null {
  // Per open container: 1 for an object, 0 for an array. Only maxDepth of them can be open.
  const objects = new Uint8Array(limits.maxDepth + 1);
  let depth = 0;
  let keys = 0;
  let arrayOpened = false;
  // The last string read at the top level of a root object, and the top-level key whose value is
  // being read (byte offsets of their quoted text).
  let stringStart = -1;
  let stringEnd = -1;
  let fieldStart = -1;
  let fieldEnd = -1;
  const field = () => (depth >= 2 && fieldStart >= 0 ? decodeKey(bytes, fieldStart, fieldEnd) : undefined);

  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (arrayOpened && !isSpace(byte)) {
      arrayOpened = false;
      if (byte !== CLOSE_ARRAY && ++keys > limits.maxKeys) return { kind: 'keys', field: field() };
    }
    switch (byte) {
      case QUOTE: {
        const start = i;
        for (i++; i < bytes.length && bytes[i] !== QUOTE; i++) if (bytes[i] === BACKSLASH) i++;
        if (depth === 1 && objects[1] === 1) {
          stringStart = start;
          stringEnd = i + 1;
        }
        break;
      }
      case OPEN_OBJECT:
      case OPEN_ARRAY:
        if (++depth > limits.maxDepth) return { kind: 'depth', field: field() };
        objects[depth] = byte === OPEN_OBJECT ? 1 : 0;
        arrayOpened = byte === OPEN_ARRAY;
        break;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        if (depth > 0) depth--;
        break;
      case COLON:
        if (depth === 1 && objects[1] === 1) {
          fieldStart = stringStart;
          fieldEnd = stringEnd;
        }
        if (++keys > limits.maxKeys) return { kind: 'keys', field: field() };
        break;
      case COMMA:
        if (depth > 0 && objects[depth] === 0 && ++keys > limits.maxKeys) return { kind: 'keys', field: field() };
        break;
    }
  }
  return null;
}

function decodeKey(bytes: Uint8Array, start: number, end: number): string | undefined {
  try {
    const key: unknown = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8'));
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}

/** The envelope's answer to a body over a limit: the field when one holds the excess, else the body. */
export function jsonShapeError(problem: JsonShapeProblem, limits: JsonShapeLimits): ApiError {
  const { field } = problem;
  if (problem.kind === 'depth') {
    return field === undefined
      ? new ApiError('invalid_json', `The request body is nested more than ${limits.maxDepth} levels deep.`)
      : new ApiError('invalid_parameter', `${field} is nested more than ${limits.maxDepth} levels deep.`, { param: field });
  }
  const count = limits.maxKeys.toLocaleString('en-US');
  return field === undefined
    ? new ApiError('invalid_parameter', `The request body holds more than ${count} keys and array items.`)
    : new ApiError('invalid_parameter', `${field} holds more than ${count} keys and array items.`, { param: field });
}

export interface JsonBodyOptions extends JsonShapeLimits {
  bodyLimit: number;
}

type Done = (error: Error | null, body?: unknown) => void;

/**
 * The gateway's `application/json` parser, in place of Fastify's: it reads the body itself so that
 * a client that goes away mid-body is one debug line (noteClientGone) rather than an "unexpected
 * error" with a stack, checks the shape of the text (checkJsonShape) and only then hands it to
 * Fastify's own parser (secure-json-parse, `__proto__` and `constructor.prototype` refused).
 */
export function addJsonBodyParser(fastify: FastifyInstance, options: JsonBodyOptions): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  const tooLarge = () => new ApiError('payload_too_large', `The request body is larger than ${Math.round(options.bodyLimit / 1024 / 1024)} MB.`);

  fastify.addContentTypeParser('application/json', { bodyLimit: options.bodyLimit }, (request: FastifyRequest, payload: NodeJS.ReadableStream, done: Done) => {
    const declared = Number(request.headers['content-length']);
    if (declared > options.bodyLimit) return done(tooLarge());
    const chunks: Buffer[] = [];
    let received = 0;
    let finished = false;
    const finish = (error: Error | null, body?: unknown) => {
      if (finished) return;
      finished = true;
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onError);
      payload.removeListener('aborted', onAborted);
      done(error, body);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > options.bodyLimit) return finish(tooLarge());
      chunks.push(chunk);
    };
    const onEnd = () => {
      if (!Number.isNaN(declared) && received !== declared) {
        return finish(new ApiError('invalid_parameter', 'The request body is not as long as its Content-Length says.'));
      }
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
      const problem = checkJsonShape(body, options);
      if (problem) return finish(jsonShapeError(problem, options));
      parse(request, body.toString('utf8'), finish);
    };
    // The client closed the connection, or the server's request timeout closed it, before the whole body came.
    const gone = (reason: string) => {
      noteClientGone(request.raw.socket, reason, { request_id: request.id, method: request.method, path: request.url.split('?')[0], received_bytes: received });
      finish(new ApiError('invalid_parameter', 'The connection closed before the request body arrived.'));
    };
    const onError = (error: NodeJS.ErrnoException) => gone(error.code === 'ECONNRESET' || error.message === 'aborted' ? 'aborted' : error.message);
    const onAborted = () => gone('aborted');
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
    payload.on('aborted', onAborted);
    payload.resume();
  });
}
