import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { ErrorEnvelope } from '@flowsmith/contracts';
import { noteClientGone } from '../operations/client-disconnects';
import { isUnderUnprefixedRoot } from '../operations/unprefixed-paths';
import { ApiError } from './api-error';
import { newRequestId } from './request-id';
import { malformedEncoding } from './well-formed-text';

/**
 * Fastify answers a few malformed requests itself, before any hook or Nest sees them, with its own
 * JSON and no X-Request-Id: a path with broken percent-encoding (FST_ERR_BAD_URL), a path
 * parameter over `maxParamLength` (FST_ERR_MAX_PARAM_LENGTH), and, from Node's HTTP parser,
 * oversized headers (431) and unparsable requests. These options make them docs/api.md's envelope.
 * They are Fastify constructor options: spread them into the FastifyAdapter's options.
 */

/**
 * Path parameters up to this long reach the routes (a long id is then an ordinary 404 there): 8 KB,
 * the URI length Kroki's and mermaid.ink's GETs may use (docs/compat.md); longer sources use POST.
 */
const MAX_PARAM_LENGTH = 8192;

function envelope(error: ApiError, requestId: string): string {
  const body: ErrorEnvelope = { error: error.toErrorObject(), request_id: requestId };
  return JSON.stringify(body);
}

const MALFORMED_SEGMENT = 'malformed-segment';

/**
 * The path parameter whose segment holds malformed percent-encoding (a NUL is %00, but a lone
 * surrogate has no UTF-8 form and arrives as bytes that do not decode), found by looking up the
 * route with that segment replaced. Only on this error path: the router itself does not say.
 */
function malformedPathParameter(request: FastifyRequest): string | undefined {
  const segments = request.url.split('?')[0].split('/');
  let replaced = false;
  for (let i = 0; i < segments.length; i++) {
    try {
      decodeURIComponent(segments[i]);
    } catch {
      segments[i] = MALFORMED_SEGMENT;
      replaced = true;
    }
  }
  if (!replaced) return undefined;
  const route = request.server.findRoute({ method: request.method as HTTPMethods, url: segments.join('/') });
  return Object.entries(route?.params ?? {}).find(([, value]) => value === MALFORMED_SEGMENT)?.[0];
}

function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH' && isUnderUnprefixedRoot(request.url.split('?')[0])) {
    // The Kroki and mermaid.ink routes answer as those servers do, in plain text (compat/compat.controller.ts).
    void reply.status(414).header('X-Request-Id', String(request.id)).header('Content-Type', 'text/plain; charset=utf-8').send(`Error 414: The encoded diagram is over ${MAX_PARAM_LENGTH} characters: send the source with POST.\n`);
    return;
  }
  const param = error.code === 'FST_ERR_BAD_URL' ? malformedPathParameter(request) : undefined;
  const apiError =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new ApiError('resource_not_found', `Unrecognized request URL (${request.method} ${request.url.split('?')[0].slice(0, 200)}).`)
      : error.code === 'FST_ERR_BAD_URL'
        ? param === undefined
          ? new ApiError('invalid_parameter', 'The request URL is not valid: it holds malformed percent-encoding.')
          : malformedEncoding(param)
        : new ApiError('internal_error', 'An unexpected error occurred. Quote the request id if you contact support.');
  void reply
    .status(apiError.status)
    .header('X-Request-Id', String(request.id))
    .header('Content-Type', 'application/json; charset=utf-8')
    .send(envelope(apiError, String(request.id)));
}

/** The response Node's HTTP server has in flight on a socket, if any (an internal field of node:http). */
export type HttpSocket = Socket & { _httpMessage?: { headersSent?: boolean } | null };

/**
 * Node's HTTP server gave up on a connection: its parser failed (headers over 16 KB, not HTTP), the
 * request did not arrive within HTTP_HEADERS_TIMEOUT_SECONDS / HTTP_REQUEST_TIMEOUT_SECONDS, or
 * the client reset it. No request exists, so the answer is written to the socket, unless a
 * response has already begun on it. A timeout or reset is the client's doing: one debug line.
 */
function clientErrorHandler(error: NodeJS.ErrnoException, socket: HttpSocket): void {
  const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  if (timedOut || error.code === 'ECONNRESET') noteClientGone(socket, timedOut ? 'request timeout' : 'reset', { code: error.code });
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const apiError = new ApiError(
    'invalid_parameter',
    error.code === 'HPE_HEADER_OVERFLOW' ? 'The request headers are larger than 16 KB.' : timedOut ? 'The request took too long to arrive.' : 'The request is not valid HTTP.',
  );
  if (socket.writable && !socket._httpMessage?.headersSent) socket.write(rawErrorResponse(apiError));
  socket.destroy();
}

/**
 * An error in the envelope as a whole HTTP/1.1 response, with its own headers and a request id,
 * for a socket on which no request exists (a parser failure, a refused connection); the socket is
 * closed after it.
 */
export function rawErrorResponse(error: ApiError): string {
  const requestId = newRequestId();
  const body = envelope(error, requestId);
  const headers = Object.entries(error.options.headers ?? {})
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return (
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `${headers}X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`
  );
}

export const FRAMEWORK_ERROR_OPTIONS = { routerOptions: { maxParamLength: MAX_PARAM_LENGTH }, frameworkErrors, clientErrorHandler };
