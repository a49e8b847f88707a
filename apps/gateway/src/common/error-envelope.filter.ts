import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorEnvelope } from '@flowsmith/contracts';
import { isDatabaseOutage } from '@flowsmith/database';
import { rootLogger } from '@flowsmith/observability';
import { isRedisOutage } from '@flowsmith/queue';
import { ApiError } from './api-error';
import { GatewayConfig } from './gateway-config';

interface FrameworkError {
  statusCode?: number;
  status?: number;
  code?: string;
  message?: string;
  name?: string;
}

/** Database and Redis outages: the client gets a 503 it can retry. */
function isInfrastructureOutage(error: unknown): boolean {
  return isDatabaseOutage(error) || isRedisOutage(error);
}

/**
 * Turns anything thrown while handling a request into an ApiError: ours as they are, the web
 * framework's (bad JSON, oversized bodies, unknown routes) by their meaning, the rest as 500.
 */
export function toApiError(thrown: unknown, request: { method: string; url: string }): { error: ApiError; unexpected: boolean } {
  if (thrown instanceof ApiError) return { error: thrown, unexpected: false };
  const error = (thrown ?? {}) as FrameworkError;
  const status = thrown instanceof HttpException ? thrown.getStatus() : (error.statusCode ?? error.status);
  const code = error.code ?? '';

  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
    return { error: new ApiError('payload_too_large', 'The request body is larger than 1 MB.'), unexpected: false };
  }
  if (code.startsWith('FST_ERR_CTP_INVALID_MEDIA_TYPE') || status === 415) {
    return { error: new ApiError('unsupported_media_type', "Send the request body as JSON with 'Content-Type: application/json'."), unexpected: false };
  }
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (status === 400 && thrown instanceof SyntaxError) || (status === 400 && /JSON/i.test(error.message ?? ''))) {
    return { error: new ApiError('invalid_json', 'The request body is not valid JSON.'), unexpected: false };
  }
  if (status === 404) {
    const path = request.url.split('?')[0];
    return { error: new ApiError('resource_not_found', `Unrecognized request URL (${request.method} ${path}).`), unexpected: false };
  }
  if (isInfrastructureOutage(thrown)) {
    return {
      error: new ApiError('service_unavailable', 'The service is temporarily unavailable. Retry shortly.', { headers: { 'Retry-After': '5' } }),
      unexpected: true,
    };
  }
  if (status && status >= 400 && status < 500) {
    return { error: new ApiError('invalid_parameter', error.message ?? 'The request is invalid.'), unexpected: false };
  }
  return { error: new ApiError('internal_error', 'An unexpected error occurred. Quote the request id if you contact support.'), unexpected: true };
}

/** The one place that writes docs/api.md's error envelope. */
@Catch()
export class ErrorEnvelopeFilter implements ExceptionFilter {
  constructor(private readonly config: GatewayConfig) {}

  catch(thrown: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.write(thrown, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }

  write(thrown: unknown, request: FastifyRequest, reply: FastifyReply): void {
    const { error, unexpected } = toApiError(thrown, request);
    if (unexpected) {
      const detail = thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown);
      rootLogger().error({ request_id: request.id, method: request.method, path: request.url.split('?')[0], error: detail }, 'unexpected error');
    }
    const body: ErrorEnvelope = { error: error.toErrorObject(this.config.hints), request_id: String(request.id) };
    if (error.status === 401) reply.header('WWW-Authenticate', 'Bearer');
    for (const [name, value] of Object.entries(error.options.headers ?? {})) reply.header(name, value);
    if (error.status === 503 && !reply.hasHeader('Retry-After')) reply.header('Retry-After', '5');
    reply.status(error.status).header('Content-Type', 'application/json; charset=utf-8').send(body);
  }
}
