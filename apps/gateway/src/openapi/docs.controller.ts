import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Controller, Get, Injectable, INestApplication, Module, Param, Res } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Access } from '../auth/access.decorator';
import { notFound } from '../common/api-error';
import { buildOpenApiDocument } from './openapi';

export const OPENAPI_JSON_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/docs';

/** The document, built once from the running application (it needs every module scanned). */
@Injectable()
export class ApiDocument {
  private app?: INestApplication;
  private document?: OpenAPIObject;

  attach(app: INestApplication): void {
    this.app = app;
  }

  get(): OpenAPIObject {
    if (!this.app) throw new Error('ApiDocument used before attach(app)');
    this.document ??= buildOpenApiDocument(this.app);
    return this.document;
  }
}

const INITIALIZER = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(OPENAPI_JSON_PATH)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
  });
};
`;

const HTML = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>Flowsmith API</title>
    <link rel="stylesheet" type="text/css" href="${DOCS_PATH}/swagger-ui.css">
    <link rel="stylesheet" type="text/css" href="${DOCS_PATH}/index.css">
    <link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-32x32.png" sizes="32x32">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${DOCS_PATH}/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="${DOCS_PATH}/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
    <script src="${DOCS_PATH}/swagger-initializer.js" charset="UTF-8"></script>
  </body>
</html>
`;

/** Swagger UI runs only its own files from here (it sets inline styles and draws data: icons). */
const DOCS_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'";

/** Swagger UI's files, served from the installed swagger-ui-dist (no CDN); nothing else of that folder. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'index.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};
/** swagger-ui-dist as @nestjs/swagger resolves it (it is that package's dependency, at the version it supports). */
const SWAGGER_UI_DIR = dirname(createRequire(require.resolve('@nestjs/swagger')).resolve('swagger-ui-dist/package.json'));
const assetCache = new Map<string, Buffer>();

function asset(name: string): Buffer {
  let data = assetCache.get(name);
  if (!data) {
    data = readFileSync(join(SWAGGER_UI_DIR, name));
    assetCache.set(name, data);
  }
  return data;
}

/**
 * `GET /api/openapi.json` and the docs UI at `/api/docs`: public, outside auth and rate limits,
 * and not part of the document they serve. Controller routes (rather than SwaggerModule.setup's
 * raw Fastify routes) so they carry an access policy and sit in the RouteCatalog like every route.
 */
@Controller()
export class DocsController {
  constructor(private readonly document: ApiDocument) {}

  @Get('openapi.json')
  @Access({ public: true, documentation: true })
  openapi(@Res({ passthrough: true }) reply: FastifyReply) {
    reply.header('Cache-Control', 'public, max-age=300').header('Access-Control-Allow-Origin', '*');
    return this.document.get();
  }

  @Get('docs')
  @Access({ public: true, documentation: true })
  ui(@Res({ passthrough: true }) reply: FastifyReply) {
    reply.header('Content-Type', 'text/html; charset=utf-8').header('Cache-Control', 'public, max-age=300').header('Content-Security-Policy', DOCS_CSP);
    return HTML;
  }

  @Get('docs/:asset')
  @Access({ public: true, documentation: true })
  asset(@Param('asset') name: string, @Res({ passthrough: true }) reply: FastifyReply) {
    reply.header('Cache-Control', 'public, max-age=86400');
    if (name === 'swagger-initializer.js') {
      reply.header('Content-Type', 'application/javascript; charset=utf-8');
      return INITIALIZER;
    }
    const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!type) throw notFound('Documentation asset');
    reply.header('Content-Type', type);
    return asset(name);
  }
}

@Module({ controllers: [DocsController], providers: [ApiDocument] })
export class DocsModule {}
