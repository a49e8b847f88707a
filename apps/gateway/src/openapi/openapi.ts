import type { INestApplication } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DocumentBuilder, getSchemaPath, OpenAPIObject, OperationObject, ParameterObject, ResponseObject, SwaggerModule } from '@nestjs/swagger';
import { ERROR_CATALOG, ErrorCode } from '@flowsmith/contracts';
import type { AccessPolicy } from '../auth/access.decorator';
import { CatalogRoute, RouteCatalog } from '../auth/route-catalog';
import { IDEMPOTENCY_REDACT } from '../idempotency/idempotency.interceptor';
import { API_ERRORS } from './api-docs.decorators';
import { ErrorEnvelope } from './schemas';
import { OPERATIONS_PATHS } from '../operations/unprefixed-paths';

export const OPENAPI_VERSION = '3.1.0';
export const SECURITY_SCHEME = 'api_key';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** `/api/v1/diagrams/:id` → `/api/v1/diagrams/{id}`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/**
 * Whether a route belongs in the API document: everything under /api and the operations routes
 * (operations/unprefixed-paths.ts), but not the documentation itself nor pages outside /api (the
 * playground at `/`).
 */
export function isDocumented(route: CatalogRoute): boolean {
  if (!route.access || 'documentation' in route.access) return false;
  return route.path.startsWith('/api/') || OPERATIONS_PATHS.includes(route.path);
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not found', 405: 'Method not allowed', 409: 'Conflict',
  413: 'Payload too large', 415: 'Unsupported media type', 422: 'Unprocessable', 429: 'Too many requests', 500: 'Internal error',
  502: 'Bad gateway', 503: 'Service unavailable', 504: 'Gateway timeout',
};

const ref = (kind: 'headers' | 'schemas', name: string) => ({ $ref: `#/components/${kind}/${name}` });

const HEADERS = {
  'X-Request-Id': { description: 'The request id (`req_<16 hex>`), also in error bodies and logs.', schema: { type: 'string', pattern: '^req_[0-9a-f]{16}$' } },
  'RateLimit-Limit': { description: 'Requests allowed in the current window (the tightest bucket).', schema: { type: 'integer' } },
  'RateLimit-Remaining': { description: 'Requests left in the current window.', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until the window resets.', schema: { type: 'integer' } },
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } },
  'WWW-Authenticate': { description: 'Always `Bearer`.', schema: { type: 'string', enum: ['Bearer'] } },
};

/** The error codes a route can answer with, from its policy, parameters, body and own declaration. */
function errorCodes(route: CatalogRoute, operation: OperationObject, declared: ErrorCode[], idempotent: boolean): ErrorCode[] {
  const access = route.access as AccessPolicy;
  if ('operations' in access) return declared;
  const codes = new Set<ErrorCode>();
  const takesKey = !('ignoreKey' in access && access.ignoreKey);
  const anonymous = 'anonymous' in access && !!access.anonymous;
  if (takesKey) codes.add('invalid_api_key');
  if (!anonymous) codes.add('not_authenticated');
  if ('scope' in access) codes.add('insufficient_scope');
  // The browser session's cookie stands for a key here (auth/access.guard.ts); a writing request must carry its CSRF token.
  const takesCookie = !('public' in access) && !(anonymous && (access.anonymous === 'embed' || access.anonymous === 'compat'));
  if (takesCookie && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method)) codes.add('csrf_failed');
  const parameters = (operation.parameters ?? []) as ParameterObject[];
  if (parameters.some((p) => p.in === 'query')) codes.add('invalid_parameter');
  if (parameters.some((p) => p.in === 'query' && p.name === 'cursor')) codes.add('invalid_cursor');
  if (parameters.some((p) => p.in === 'path')) codes.add('resource_not_found');
  if (operation.requestBody) {
    for (const code of ['invalid_json', 'missing_parameter', 'invalid_parameter', 'payload_too_large', 'unsupported_media_type'] as const) codes.add(code);
  }
  if (idempotent) codes.add('idempotency_conflict');
  for (const code of declared) codes.add(code);
  for (const code of ['rate_limited', 'internal_error', 'service_unavailable'] as const) codes.add(code);
  return [...codes];
}

function errorResponse(status: number, codes: ErrorCode[]): ResponseObject {
  const headers: Record<string, unknown> = { 'X-Request-Id': ref('headers', 'X-Request-Id') };
  if (status === 401) headers['WWW-Authenticate'] = ref('headers', 'WWW-Authenticate');
  if (status === 429 || status === 503) headers['Retry-After'] = ref('headers', 'Retry-After');
  if (status === 429) for (const name of ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']) headers[name] = ref('headers', name);
  const examples = Object.fromEntries(
    codes.map((code) => [code, { summary: code, value: { error: { type: ERROR_CATALOG[code].type, code, message: '…' }, request_id: 'req_3d77e0a4c1b2f5e6' } }]),
  );
  return {
    description: `${STATUS_TEXT[status] ?? 'Error'}: ${codes.join(', ')}.`,
    headers: headers as ResponseObject['headers'],
    content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorEnvelope) }, examples } },
  };
}

/** Security, scope, error responses and headers: all derived from the route's metadata, so they cannot drift. */
function describe(route: CatalogRoute, operation: OperationObject, reflector: Reflector): void {
  const access = route.access as AccessPolicy;
  const endpoint = (route.controller.prototype as Record<string, object>)[route.handler.split('.').pop() as string];
  const declared = reflector.get<ErrorCode[] | undefined>(API_ERRORS, endpoint as () => void) ?? [];
  const idempotent = reflector.get<string[] | undefined>(IDEMPOTENCY_REDACT, endpoint as () => void) !== undefined;
  const ext = operation as OperationObject & Record<`x-${string}`, unknown>;

  if ('scope' in access) {
    ext['x-required-scope'] = access.scope;
    operation.security = [{ [SECURITY_SCHEME]: [access.scope] }, ...(access.anonymous ? [{}] : [])];
  } else if ('anyKey' in access) {
    ext['x-required-scope'] = null;
    operation.security = [{ [SECURITY_SCHEME]: [] }];
  } else {
    ext['x-required-scope'] = null;
    operation.security = [];
  }
  ext['x-access'] = 'scope' in access ? 'scope' : 'anyKey' in access ? 'any_key' : 'operations' in access ? 'operations' : 'public';
  if ('anonymous' in access && access.anonymous) ext['x-anonymous'] = { anonymous: 'per_ip', embed: 'per_ip_embed_bucket', compat: 'per_ip_compat_bucket' }[access.anonymous];
  if ('ai' in access && access.ai) ext['x-ai-rate-limit'] = true;
  if (idempotent) {
    operation.parameters = [
      ...(operation.parameters ?? []),
      { name: 'Idempotency-Key', in: 'header', required: false, description: 'Replays the first response for 24 h for the same body; another body is 409 idempotency_conflict.', schema: { type: 'string', maxLength: 255 } },
    ];
  }

  const codes = errorCodes(route, operation, declared, idempotent);
  ext['x-error-codes'] = codes;
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_CATALOG[code].status, [...(byStatus.get(ERROR_CATALOG[code].status) ?? []), code]);
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) operation.responses[String(status)] ??= errorResponse(status, list);

  // Every response carries X-Request-Id; metered routes' successes carry the RateLimit-* headers.
  const metered = !('operations' in access);
  for (const [status, response] of Object.entries(operation.responses) as [string, ResponseObject | { $ref: string }][]) {
    if ('$ref' in response) continue;
    response.headers = { 'X-Request-Id': ref('headers', 'X-Request-Id'), ...response.headers };
    if (metered && /^[23]/.test(status)) {
      for (const name of ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']) response.headers[name] = ref('headers', name);
    }
  }
}

/** OpenAPI 3.1 is JSON Schema 2020-12: `nullable` becomes a `null` type (or a `null` branch beside a $ref). */
export function toJsonSchema2020(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema2020);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = toJsonSchema2020(value);
  if (out.nullable !== true) {
    delete out.nullable;
    return out;
  }
  delete out.nullable;
  const allOf = out.allOf as unknown[] | undefined;
  if (allOf?.length === 1 && out.type === 'object' && !out.properties) {
    // Nest writes a nullable $ref as {type: object, nullable, allOf: [$ref]}.
    delete out.type;
    delete out.allOf;
    return { ...out, anyOf: [allOf[0], { type: 'null' }] };
  }
  if (typeof out.type === 'string') out.type = [out.type, 'null'];
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  return out;
}

/**
 * Builds the API document from the code: @nestjs/swagger scans the controllers and DTO decorators;
 * then each route of the RouteCatalog gets its security, scope and error responses from its access
 * policy, and routes the document does not cover (the docs themselves, pages) are taken out.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion(OPENAPI_VERSION)
    .setTitle('Flowsmith API')
    .setDescription(
      'Store, render, share and generate diagrams (Mermaid, PlantUML, draw.io, BPMN, SVG).\n\n' +
        'Authenticate with `Authorization: Bearer fs_live_…`. Each operation names the scope it needs in `x-required-scope` ' +
        'and in its security requirement; an empty requirement (`{}`) means anonymous callers are let in, limited per IP. ' +
        'Errors always use one envelope: `{"error": {"type", "code", "message", "param"?}, "request_id"}`.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'fs_live_<32+ base62 characters>', description: 'An API key.' }, SECURITY_SCHEME)
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: [ErrorEnvelope],
    // Tags come from @ApiTags only, so a controller without one fails the drift test.
    autoTagControllers: false,
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '').toLowerCase()}_${method}`,
  });
  document.components = { ...document.components, headers: HEADERS as NonNullable<OpenAPIObject['components']>['headers'] };

  const reflector = app.get(Reflector);
  for (const route of app.get(RouteCatalog).routes()) {
    const path = openApiPath(route.path);
    const item = document.paths[path] as Record<string, OperationObject> | undefined;
    const method = route.method.toLowerCase();
    const operation = item?.[method];
    if (!item || !operation) continue; // the drift test names it
    if (!isDocumented(route)) {
      delete item[method];
      if (!HTTP_METHODS.some((m) => m in item)) delete document.paths[path];
      continue;
    }
    describe(route, operation, reflector);
  }
  return toJsonSchema2020(document) as OpenAPIObject;
}
