import { createHash } from 'node:crypto';
import { applyDecorators, CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata, UseInterceptors } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { catchError, from, mergeMap, Observable, of } from 'rxjs';
import { IdempotencyRepository } from '@flowsmith/database';
import { ApiError } from '../common/api-error';
import { GatewayConfig } from '../common/gateway-config';
import { assertBodyDepth } from '../common/validation';

/** Response headers worth replaying: what tells the client where and when, not per-request ones. */
const REPLAYED_HEADERS = /^(location|retry-after|content-type|content-disposition|x-(?!request-id).*)$/i;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** JSON with sorted keys, so `{a,b}` and `{b,a}` are the same request. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * `Idempotency-Key` on a POST (docs/api.md): the first request with a key runs and its successful
 * response is stored for IDEMPOTENCY_TTL_HOURS; the same key with the same body gets that response
 * again (`Idempotent-Replayed: true`) and creates nothing; with another body it is 409. A request
 * that fails is forgotten, so the client can retry it with the same key. Keys are scoped to the
 * owner (all of its API keys) or, for anonymous callers, to the IP.
 */
export const IDEMPOTENCY_REDACT = 'flowsmith:idempotency-redact';

@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly records: IdempotencyRepository,
    private readonly config: GatewayConfig,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const header = request.headers['idempotency-key'];
    if (header === undefined) return next.handle();
    if (typeof header !== 'string' || !KEY_PATTERN.test(header)) {
      throw new ApiError('invalid_parameter', 'Idempotency-Key must be 1 to 255 printable ASCII characters.', { param: 'Idempotency-Key' });
    }
    const actor = request.actor;
    const scope = actor?.kind === 'api_key' ? `owner:${actor.ownerId}` : `ip:${actor?.ip ?? request.ip}`;
    const path = request.url.split('?')[0];
    assertBodyDepth(request.body); // before canonical() recurses into it
    const hash = createHash('sha256').update(`${request.method} ${path}\n${canonical(request.body ?? null)}`).digest('hex');
    const ttlMs = this.config.env.IDEMPOTENCY_TTL_HOURS * 3600 * 1000;

    return from(this.records.begin(scope, header, hash, ttlMs)).pipe(
      mergeMap((claim) => {
        switch (claim.state) {
          case 'mismatch':
            throw new ApiError(
              'idempotency_conflict',
              'This Idempotency-Key was already used with a different request. Use a new key for a new request.',
              { param: 'Idempotency-Key' },
            );
          case 'in_progress':
            throw new ApiError('idempotency_conflict', 'A request with this Idempotency-Key is still in progress. Retry shortly.', {
              param: 'Idempotency-Key',
              headers: { 'Retry-After': '1' },
            });
          case 'completed': {
            const stored = claim.response;
            for (const [name, value] of Object.entries(stored.headers)) reply.header(name, value);
            reply.header('Idempotent-Replayed', 'true').status(stored.statusCode);
            // A handler that set its own content type answered with bytes (an exported file).
            const binary = stored.headers['content-type'] && !stored.headers['content-type'].startsWith('application/json');
            return of(binary ? stored.body : (JSON.parse(stored.body.toString('utf8')) as unknown));
          }
          case 'started':
            return next.handle().pipe(
              mergeMap(async (value: unknown) => {
                const headers: Record<string, string> = {};
                for (const [name, v] of Object.entries(reply.getHeaders())) {
                  if (REPLAYED_HEADERS.test(name) && v !== undefined) headers[name] = String(v);
                }
                const redact = this.reflector.get<string[] | undefined>(IDEMPOTENCY_REDACT, context.getHandler()) ?? [];
                const stored = redact.length && value && typeof value === 'object' ? { ...value, ...Object.fromEntries(redact.map((field) => [field, null])) } : value;
                const body = Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(stored ?? null), 'utf8');
                await this.records.complete(claim.id, { statusCode: reply.statusCode, headers, body });
                return value;
              }),
              catchError(async (error: unknown) => {
                await this.records.release(claim.id).catch(() => undefined);
                throw error;
              }),
            );
        }
      }),
    );
  }
}

/**
 * Marks a POST whose effect must happen once per Idempotency-Key. `redact` names response fields
 * that must never be stored (a new key's secret): a replay carries them as null.
 */
export const Idempotent = (options: { redact?: string[] } = {}) =>
  applyDecorators(SetMetadata(IDEMPOTENCY_REDACT, options.redact ?? []), UseInterceptors(IdempotencyInterceptor));
