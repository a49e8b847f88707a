import { applyDecorators, SetMetadata, Type } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { ErrorCode } from '@flowsmith/contracts';

/**
 * The decorators a route documents itself with. What follows from the route's access policy, its
 * parameters and body (auth errors, 400/404/409/413/415/429/503, security, rate-limit headers) is
 * added by the document builder (openapi.ts) from the same metadata the gateway runs on; a route
 * states only what is its own: summary, success response, and its domain errors.
 */
export const API_ERRORS = 'flowsmith:api-errors';

export interface EndpointDoc {
  description?: string;
  /** Error codes the route answers beyond those its policy, parameters and body imply. */
  errors?: ErrorCode[];
}

export const ApiEndpoint = (summary: string, options: EndpointDoc = {}) =>
  applyDecorators(ApiOperation({ summary, ...(options.description ? { description: options.description } : {}) }), SetMetadata(API_ERRORS, options.errors ?? []));

type Headers = Record<string, { description: string; schema: { type: 'string' | 'integer' } }>;
export const header = (description: string, type: 'string' | 'integer' = 'string') => ({ description, schema: { type } });

/** A JSON success response with a resource body. */
export const ApiOk = (type: Type<unknown>, options: { status?: number; description?: string; headers?: Headers } = {}) =>
  ApiResponse({ status: options.status ?? 200, type, description: options.description ?? 'OK.', ...(options.headers ? { headers: options.headers } : {}) });

/** docs/api.md's list envelope around `type`. */
export const ApiList = (type: Type<unknown>, description = 'A page of the list, newest first.') =>
  applyDecorators(
    ApiExtraModels(type),
    ApiResponse({
      status: 200,
      description,
      schema: {
        type: 'object',
        required: ['object', 'data', 'has_more', 'next_cursor'],
        properties: {
          object: { type: 'string', enum: ['list'] },
          data: { type: 'array', items: { $ref: getSchemaPath(type) } },
          has_more: { type: 'boolean' },
          next_cursor: { type: 'string', nullable: true, description: 'Pass as `cursor` for the next page; null on the last.' },
        },
      },
    }),
  );

const binary = { type: 'string', format: 'binary' } as const;

/** Image bytes with their content type, ETag, and 304 on If-None-Match. */
export const ApiImage = (options: { types?: string[]; description: string; headers?: Headers }) =>
  applyDecorators(
    ApiResponse({
      status: 200,
      description: options.description,
      headers: { ETag: header('Strong validator of the image; send it back in If-None-Match.'), 'Cache-Control': header('Caching policy of the image.'), ...options.headers },
      content: Object.fromEntries((options.types ?? ['image/png', 'image/svg+xml', 'image/jpeg', 'image/webp']).map((type) => [type, { schema: binary }])),
    }),
    ApiResponse({ status: 304, description: 'Not modified: If-None-Match matched the current ETag.', headers: { ETag: header('The current ETag.') } }),
  );

/** A download: the file itself, or (`Accept: application/json` / `?response=json`) JSON with it base64-encoded. */
export const ApiFile = (json: Type<unknown>, options: { description: string; headers: Headers }) =>
  applyDecorators(
    ApiExtraModels(json),
    ApiResponse({
      status: 200,
      description: options.description,
      headers: options.headers,
      content: {
        'image/svg+xml': { schema: binary },
        'image/png': { schema: binary },
        'image/jpeg': { schema: binary },
        'image/webp': { schema: binary },
        'application/json': { schema: { $ref: getSchemaPath(json) } },
      },
    }),
  );
