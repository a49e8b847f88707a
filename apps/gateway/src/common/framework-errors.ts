import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorEnvelope } from '@flowsmith/contracts';
import { ApiError } from './api-error';

/**
 * Fastify answers a few malformed requests itself, before any hook or Nest sees them, with its own
 * JSON and no X-Request-Id: a path with broken percent-encoding (FST_ERR_BAD_URL), a path
 * parameter over `maxParamLength` (FST_ERR_MAX_PARAM_LENGTH), and, from Node's HTTP parser,
 * oversized headers (431) and unparsable requests. These options make them API.md's envelope.
 * They are Fastify constructor options: spread them into the FastifyAdapter's options.
 */

/** Path parameters up to this long reach the routes (a long id is then an ordinary 404 there). */
const MAX_PARAM_LENGTH = 2048;

function envelope(error: ApiError, requestId: string): string {
  const body: ErrorEnvelope = { error: error.toErrorObject(), request_id: requestId };
  return JSON.stringify(body);
}

function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const apiError =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new ApiError('resource_not_found', `Unrecognized request URL (${request.method} ${request.url.split('?')[0].slice(0, 200)}).`)
      : error.code === 'FST_ERR_BAD_URL'
        ? new ApiError('invalid_parameter', 'The request URL is not valid: it holds malformed percent-encoding.')
        : new ApiError('internal_error', 'An unexpected error occurred. Quote the request id if you contact support.');
  void reply
    .status(apiError.status)
    .header('X-Request-Id', String(request.id))
    .header('Content-Type', 'application/json; charset=utf-8')
    .send(envelope(apiError, String(request.id)));
}

/** Node's HTTP parser failed (headers over 16 KB, not HTTP): no request exists, so the answer is written to the socket. */
function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const requestId = `req_${randomBytes(8).toString('hex')}`;
  const apiError = new ApiError(
    'invalid_parameter',
    error.code === 'HPE_HEADER_OVERFLOW' ? 'The request headers are larger than 16 KB.' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'The request took too long to arrive.' : 'The request is not valid HTTP.',
  );
  const body = envelope(apiError, requestId);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${apiError.status} Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

export const FRAMEWORK_ERROR_OPTIONS = { routerOptions: { maxParamLength: MAX_PARAM_LENGTH }, frameworkErrors, clientErrorHandler };
