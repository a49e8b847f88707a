import { Body, Controller, Get, Module, Post, Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { getMetadataStorage, IsDefined, IsString } from 'class-validator';
import { ERROR_CATALOG, ErrorCode } from '@flowsmith/contracts';
import { expectError, RunningGateway, startGateway, TestClient } from '@flowsmith/testing';
import { RequireScope } from '../auth/access.decorator';
import { CatalogRoute, RouteCatalog } from '../auth/route-catalog';
import { createGateway } from '../gateway';
import { isDocumented, openApiPath, OPENAPI_VERSION, SECURITY_SCHEME, buildOpenApiDocument } from './openapi';

// RouteParamtypes of @nestjs/common: BODY = 3, QUERY = 4.
const BODY = 3;
const QUERY = 4;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'array', 'object', 'null'];

type Json = any;

function resolvePointer(document: Json, pointer: string): Json {
  if (!pointer.startsWith('#/')) return undefined;
  return pointer
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((node, part) => (node === undefined ? undefined : node[part]), document);
}

/** Every object of the document with the path that leads to it. */
function* walk(node: Json, path = '#'): Generator<[string, Json]> {
  if (!node || typeof node !== 'object') return;
  yield [path, node];
  for (const [key, value] of Object.entries(node)) yield* walk(value, `${path}/${key}`);
}

/** A focused structural check of OpenAPI 3.1 (no validator is installed): what a client generator relies on. */
function structuralProblems(document: Json): string[] {
  const problems: string[] = [];
  if (document.openapi !== '3.1.0') problems.push(`openapi is ${document.openapi}, not 3.1.0`);
  if (typeof document.info?.title !== 'string' || typeof document.info?.version !== 'string') problems.push('info.title and info.version must be strings');
  if (!document.paths || typeof document.paths !== 'object') problems.push('paths must be an object');
  const operationIds = new Set<string>();
  const templates = new Map<string, string>();
  for (const path of Object.keys(document.paths ?? {})) {
    const shape = path.replace(/\{[^}]+\}/g, '{}');
    if (templates.has(shape)) problems.push(`paths ${templates.get(shape)} and ${path} are the same template`);
    templates.set(shape, path);
  }
  for (const [path, item] of Object.entries<Json>(document.paths ?? {})) {
    if (!path.startsWith('/')) problems.push(`path ${path} must start with /`);
    for (const [method, operation] of Object.entries<Json>(item)) {
      if (!METHODS.includes(method)) {
        if (method !== 'parameters' && method !== 'summary' && method !== 'description') problems.push(`${path}: unknown key ${method}`);
        continue;
      }
      const where = `${method.toUpperCase()} ${path}`;
      if (operation.operationId) {
        if (operationIds.has(operation.operationId)) problems.push(`${where}: duplicate operationId ${operation.operationId}`);
        operationIds.add(operation.operationId);
      }
      const responses = Object.entries<Json>(operation.responses ?? {});
      if (!responses.length) problems.push(`${where}: no responses`);
      for (const [status, response] of responses) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(status)) problems.push(`${where}: bad response key ${status}`);
        if (!response.$ref && typeof response.description !== 'string') problems.push(`${where} ${status}: response without description`);
      }
      const declared = new Set((operation.parameters ?? []).filter((p: Json) => p.in === 'path').map((p: Json) => p.name));
      for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) if (!declared.has(name)) problems.push(`${where}: path parameter {${name}} not declared`);
      for (const parameter of operation.parameters ?? []) {
        if (!['query', 'header', 'path', 'cookie'].includes(parameter.in)) problems.push(`${where}: parameter ${parameter.name} has in=${parameter.in}`);
        if (parameter.in === 'path' && parameter.required !== true) problems.push(`${where}: path parameter ${parameter.name} must be required`);
        if (!parameter.schema && !parameter.content) problems.push(`${where}: parameter ${parameter.name} has no schema`);
      }
      for (const requirement of operation.security ?? []) {
        for (const scheme of Object.keys(requirement)) if (!document.components?.securitySchemes?.[scheme]) problems.push(`${where}: unknown security scheme ${scheme}`);
      }
    }
  }
  for (const [at, node] of walk(document)) {
    if (typeof node.$ref === 'string' && resolvePointer(document, node.$ref) === undefined) problems.push(`${at}: $ref ${node.$ref} does not resolve`);
    if ('nullable' in node && !at.includes('/examples/') && !at.includes('/example')) problems.push(`${at}: nullable is OpenAPI 3.0; 3.1 uses type null`);
    if ((at.includes('/schema') || at.startsWith('#/components/schemas')) && !at.endsWith('/properties')) {
      const types = node.type === undefined ? [] : Array.isArray(node.type) ? node.type : [node.type];
      if (types.some((type: unknown) => typeof type !== 'string' || !JSON_TYPES.includes(type))) problems.push(`${at}: bad type ${JSON.stringify(node.type)}`);
      if (typeof node.exclusiveMinimum === 'boolean' || typeof node.exclusiveMaximum === 'boolean') problems.push(`${at}: boolean exclusiveMinimum/Maximum is 3.0`);
    }
  }
  return problems;
}

function handlerOf(route: CatalogRoute): string {
  return route.handler.split('.').pop() as string;
}

/** The DTOs a handler takes, by where they come from. */
function dtos(route: CatalogRoute): { body?: Type<unknown>; query: Type<unknown>[] } {
  const method = handlerOf(route);
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, route.controller, method) ?? {}) as Record<string, { index: number; data?: unknown }>;
  const types = (Reflect.getMetadata('design:paramtypes', route.controller.prototype, method) ?? []) as Type<unknown>[];
  const out: { body?: Type<unknown>; query: Type<unknown>[] } = { query: [] };
  for (const [key, arg] of Object.entries(args)) {
    const kind = Number(key.split(':')[0]);
    const type = types[arg.index];
    if (!type || (type as unknown) === Object || arg.data !== undefined) continue;
    if (kind === BODY) out.body = type;
    if (kind === QUERY) out.query.push(type);
  }
  return out;
}

function validatedProperties(dto: Type<unknown>): { all: string[]; required: string[] } {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  return {
    all: [...new Set(metadata.map((m) => m.propertyName))],
    required: [...new Set(metadata.filter((m) => m.type === 'isDefined').map((m) => m.propertyName))],
  };
}

/**
 * The drift check: the document and the routes the application registers must agree, and every
 * operation must be documented by decorators (summary, tags, success response, body properties),
 * with the scope, security and error responses its access policy implies.
 */
function driftProblems(document: Json, catalog: CatalogRoute[]): string[] {
  const problems: string[] = [];
  const documented = catalog.filter(isDocumented);
  const expected = new Set(documented.map((r) => `${r.method} ${openApiPath(r.path)}`));
  const actual = new Set<string>();
  for (const [path, item] of Object.entries<Json>(document.paths)) for (const method of Object.keys(item)) if (METHODS.includes(method)) actual.add(`${method.toUpperCase()} ${path}`);
  for (const route of expected) if (!actual.has(route)) problems.push(`${route}: a route of the application missing from the document`);
  for (const route of actual) if (!expected.has(route)) problems.push(`${route}: in the document but not a documented route of the application`);

  for (const route of documented) {
    const where = `${route.method} ${openApiPath(route.path)} (${route.handler})`;
    const operation = document.paths[openApiPath(route.path)]?.[route.method.toLowerCase()];
    if (!operation) continue;
    const access = route.access as Record<string, unknown>;
    if (typeof operation.summary !== 'string' || operation.summary.trim().length < 4) problems.push(`${where}: no summary (decorate it with @ApiEndpoint)`);
    if (!Array.isArray(operation.tags) || !operation.tags.length) problems.push(`${where}: no tags (@ApiTags on the controller)`);

    const responses = operation.responses ?? {};
    const successes = Object.entries<Json>(responses).filter(([status]) => /^2\d\d$/.test(status));
    if (!successes.length) problems.push(`${where}: no success response`);
    for (const [status, response] of successes) {
      if (!response.description || !response.description.trim()) problems.push(`${where} ${status}: success response without a description (a default, not a decorator)`);
      if (status !== '204' && !response.content) problems.push(`${where} ${status}: success response without a body schema`);
    }

    // Scope and security, from the policy.
    const scope = typeof access.scope === 'string' ? access.scope : null;
    if (operation['x-required-scope'] !== scope) problems.push(`${where}: x-required-scope ${operation['x-required-scope']} but the policy says ${scope}`);
    const security = JSON.stringify(operation.security);
    if (scope && !operation.security?.some((r: Json) => JSON.stringify(r) === JSON.stringify({ [SECURITY_SCHEME]: [scope] }))) problems.push(`${where}: security ${security} lacks ${scope}`);
    if (access.anyKey && security !== JSON.stringify([{ [SECURITY_SCHEME]: [] }])) problems.push(`${where}: any-key route with security ${security}`);
    if ((access.public || access.operations) && security !== '[]') problems.push(`${where}: public route with security ${security}`);
    if (access.anonymous && scope && !operation.security?.some((r: Json) => Object.keys(r).length === 0)) problems.push(`${where}: anonymous callers allowed but security has no {}`);

    // Error responses: each listed code under its status, and the ones every route of its kind can answer.
    const codes: ErrorCode[] = operation['x-error-codes'] ?? [];
    const must: ErrorCode[] = [];
    if (!access.operations) must.push('rate_limited', 'service_unavailable');
    if (scope) must.push('insufficient_scope');
    if ((scope || access.anyKey) && !access.anonymous) must.push('not_authenticated');
    if ((operation.parameters ?? []).some((p: Json) => p.in === 'path')) must.push('resource_not_found');
    if (operation.requestBody || (operation.parameters ?? []).some((p: Json) => p.in === 'query')) must.push('invalid_parameter');
    for (const code of must) if (!codes.includes(code)) problems.push(`${where}: does not document ${code}`);
    for (const code of codes) {
      const response = responses[String(ERROR_CATALOG[code].status)];
      if (!response?.content?.['application/json']?.examples?.[code]) problems.push(`${where}: ${code} has no ${ERROR_CATALOG[code].status} response with its example`);
    }

    // Request DTOs: every validated property documented, required ones required.
    const { body, query } = dtos(route);
    if (body) {
      const schemaRef = operation.requestBody?.content?.['application/json']?.schema?.$ref;
      const schema = schemaRef ? resolvePointer(document, schemaRef) : undefined;
      if (!schema) problems.push(`${where}: body ${body.name} has no request body schema`);
      else {
        const { all, required } = validatedProperties(body);
        for (const property of all) {
          const documentedProperty = schema.properties?.[property];
          if (!documentedProperty || !(documentedProperty.type || documentedProperty.enum || documentedProperty.$ref || documentedProperty.anyOf)) problems.push(`${where}: ${body.name}.${property} is not documented (@ApiProperty)`);
        }
        for (const property of Object.keys(schema.properties ?? {})) if (!all.includes(property)) problems.push(`${where}: ${body.name}.${property} documented but not accepted`);
        const documentedRequired = [...(schema.required ?? [])].sort();
        if (JSON.stringify(documentedRequired) !== JSON.stringify([...required].sort())) problems.push(`${where}: ${body.name} required ${documentedRequired} but validation requires ${required}`);
      }
    }
    for (const dto of query) {
      const { all, required } = validatedProperties(dto);
      for (const property of all) {
        const parameter = (operation.parameters ?? []).find((p: Json) => p.in === 'query' && p.name === property);
        if (!parameter) problems.push(`${where}: query ${dto.name}.${property} is not documented (@ApiProperty)`);
        else if (parameter.required !== required.includes(property)) problems.push(`${where}: query ${property} required=${parameter.required}`);
      }
    }
  }
  return problems;
}

describe('the OpenAPI document', () => {
  let gateway: RunningGateway;
  let client: TestClient;
  let document: Json;

  beforeAll(async () => {
    gateway = await startGateway(createGateway);
    client = new TestClient(gateway.url);
    const response = await client.get('/api/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    document = response.body;
  });
  afterAll(async () => {
    await gateway.close();
  });

  const catalog = () => gateway.app.get(RouteCatalog).routes();

  it(`is a structurally valid OpenAPI ${OPENAPI_VERSION} document`, () => {
    expect(structuralProblems(document)).toEqual([]);
    expect(document.components.securitySchemes[SECURITY_SCHEME]).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.components.schemas.ErrorEnvelope.required).toEqual(['error', 'request_id']);
    if (process.env.OPENAPI_DUMP) require('node:fs').writeFileSync(process.env.OPENAPI_DUMP, JSON.stringify(document, null, 2));
  });

  it('documents every route the gateway registers, and nothing else, with its scope, security, errors and DTOs', () => {
    expect(catalog().filter(isDocumented).length).toBeGreaterThan(20);
    expect(driftProblems(document, catalog())).toEqual([]);
  });

  it('leaves the documentation routes and pages out of the document, but gives them a public policy', () => {
    const docs = catalog().filter((route) => !isDocumented(route));
    expect(docs.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['GET /api/openapi.json', 'GET /api/docs', 'GET /api/docs/:asset']));
    for (const route of docs) expect(document.paths[openApiPath(route.path)]?.[route.method.toLowerCase()]).toBeUndefined();
    expect(Object.keys(document.paths).every((path) => path.startsWith('/api/v1/') || ['/healthz', '/readyz', '/metrics'].includes(path))).toBe(true);
  });

  it('describes binary image responses, the 202 Location and the list envelope', () => {
    const image = document.paths['/api/v1/diagrams/{id}/image'].get;
    expect(Object.keys(image.responses['200'].content).sort()).toEqual(['image/jpeg', 'image/png', 'image/svg+xml', 'image/webp']);
    expect(image.responses['200'].headers).toEqual(expect.objectContaining({ ETag: expect.any(Object), 'RateLimit-Remaining': expect.any(Object) }));
    expect(image.responses['304']).toBeDefined();
    const submit = document.paths['/api/v1/diagrams/generate'].post;
    expect(submit.responses['202'].headers).toEqual(expect.objectContaining({ Location: expect.any(Object), 'Retry-After': expect.any(Object) }));
    expect(submit.parameters.some((p: Json) => p.in === 'header' && p.name === 'Idempotency-Key')).toBe(true);
    expect(submit.responses['429'].headers['Retry-After']).toBeDefined();
    const list = document.paths['/api/v1/diagrams'].get.responses['200'].content['application/json'].schema;
    expect(list.properties.next_cursor.type).toEqual(['string', 'null']);
    expect(list.properties.data.items.$ref).toBe('#/components/schemas/DiagramResource');
    expect(document.paths['/api/v1/share/{id}'].get.security).toEqual([]);
    expect(document.paths['/api/v1/beautify'].post.security).toEqual([{ [SECURITY_SCHEME]: ['render:write'] }, {}]);
  });

  it('is public and outside the rate limits, with the docs UI and its assets served locally', async () => {
    const json = await client.get('/api/openapi.json', { headers: { authorization: 'Bearer not-a-key' } });
    expect(json.status).toBe(200);
    expect(json.headers.get('ratelimit-limit')).toBeNull();

    const page = await client.get('/api/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    // Only its own files run (checked in Chromium: Swagger UI draws every operation under this policy).
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'self'; script-src 'self';.*frame-ancestors 'none'/);
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(5);
    for (const asset of assets) {
      expect(asset.startsWith('/api/docs/')).toBe(true); // no CDN
      const response = await client.get(asset);
      expect({ asset, status: response.status }).toEqual({ asset, status: 200 });
      expect(response.bytes.length).toBeGreaterThan(0);
      expect(response.headers.get('content-type')).toMatch(asset.endsWith('.js') ? /javascript/ : asset.endsWith('.css') ? /text\/css/ : /image\/png/);
    }
    expect((await client.get('/api/docs/swagger-initializer.js')).text).toContain('"/api/openapi.json"');
    expectError(await client.get('/api/docs/package.json'), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
    expectError(await client.get('/api/docs/..%2F..%2Fpackage.json'), { status: 404, type: 'not_found_error', code: 'resource_not_found' });
  });
});

// A route with a policy but no documentation must fail the drift check.
class UndocumentedBody {
  @IsDefined()
  @IsString()
  name: string;
}

@Controller('v1/undocumented')
class UndocumentedController {
  @Get()
  @RequireScope('diagrams:read')
  list() {
    return [];
  }

  @Post()
  @RequireScope('diagrams:write')
  create(@Body() body: UndocumentedBody) {
    return body;
  }
}

@Module({ imports: [DiscoveryModule], controllers: [UndocumentedController], providers: [RouteCatalog] })
class UndocumentedModule {}

describe('the drift check', () => {
  it('fails a route that lacks documentation', async () => {
    const app = await NestFactory.create<NestFastifyApplication>(UndocumentedModule, new FastifyAdapter(), { logger: false });
    app.setGlobalPrefix('api');
    await app.init();
    try {
      const problems = driftProblems(JSON.parse(JSON.stringify(buildOpenApiDocument(app))), app.get(RouteCatalog).routes());
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^GET \/api\/v1\/undocumented .*no summary/),
          expect.stringMatching(/^GET \/api\/v1\/undocumented .*no tags/),
          expect.stringMatching(/^GET \/api\/v1\/undocumented .*success response without a description/),
          expect.stringMatching(/^POST \/api\/v1\/undocumented .*UndocumentedBody\.name is not documented/),
        ]),
      );
    } finally {
      await app.close();
    }
  });
});
