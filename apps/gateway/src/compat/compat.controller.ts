import { ArgumentsHost, Body, Catch, Controller, ExceptionFilter, Get, Headers, HttpCode, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ImageFormat, isScaled, MAX_SOURCE_BYTES, RenderInput, SourceFormat, ThemeId } from '@flowsmith/contracts';
import { Access } from '../auth/access.decorator';
import type { Actor } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import { ApiError } from '../common/api-error';
import { toApiError } from '../common/error-envelope.filter';
import { GatewayConfig } from '../common/gateway-config';
import { RenderClient } from '../rendering/render-client.service';
import {
  backgroundOf,
  CompatError,
  decodeInk,
  decodeKroki,
  headerOptions,
  inkImageFormat,
  krokiOptions,
  krokiOutput,
  krokiSourceFormat,
  outputFromAccept,
  scaleOf,
  sizeOptionOf,
  themeOf,
} from './compat-protocol';

/**
 * Errors as Kroki and mermaid.ink answer their clients: the status, and the message as plain text
 * (asciidoctor-kroki, remark and the editors show the body as it is). Rate limits keep their
 * Retry-After and RateLimit-* headers.
 */
@Catch()
export class CompatErrorFilter implements ExceptionFilter {
  catch(thrown: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    let status: number;
    let message: string;
    if (thrown instanceof CompatError) {
      status = thrown.status;
      message = thrown.message;
    } else {
      const { error } = toApiError(thrown, request);
      for (const [name, value] of Object.entries(error.options.headers ?? {})) reply.header(name, value);
      status = error.status;
      message = error.message;
    }
    reply.status(status).header('Content-Type', 'text/plain; charset=utf-8').header('Access-Control-Allow-Origin', '*').send(`Error ${status}: ${message}\n`);
  }
}

/** The public image routes' caching: the same URL is the same picture (the ETag is its content address). */
const CACHE_CONTROL = 'public, max-age=3600, s-maxage=86400';

interface KrokiJsonBody {
  diagram_source?: unknown;
  diagram_type?: unknown;
  output_format?: unknown;
  diagram_options?: unknown;
}

/**
 * Kroki's HTTP API at /kroki and mermaid.ink's at /ink (docs/compat.md), so that tools written for
 * those servers (asciidoctor-kroki, GitLab, MkDocs, mermaid.ink links) work by changing the server
 * URL. Both render through the same queue, cache and workers as the API, in Flowsmith's themes.
 */
@ApiExcludeController()
@Controller()
@UseFilters(CompatErrorFilter)
export class CompatController {
  constructor(
    private readonly renders: RenderClient,
    private readonly config: GatewayConfig,
  ) {}

  @Get('kroki/:type/:output/:encoded')
  @Access({ scope: 'render:write', anonymous: 'compat' })
  async krokiGet(
    @CurrentActor() actor: Actor,
    @Param('type') type: string,
    @Param('output') output: string,
    @Param('encoded') encoded: string,
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    this.allow(actor);
    const sourceFormat = krokiSourceFormat(type);
    const format = krokiOutput(output);
    return this.draw(actor, reply, sourceFormat, decodeKroki(encoded), format, krokiOptions(query, headerOptions(request.headers)), request.headers['if-none-match']);
  }

  /** `POST /kroki/{type}/{output}` and `POST /kroki/{type}` (Accept picks the output): the source as the body, plain text or Kroki's JSON. */
  @Post('kroki/:type/:output')
  @HttpCode(200)
  @Access({ scope: 'render:write', anonymous: 'compat' })
  krokiPostTyped(
    @CurrentActor() actor: Actor,
    @Param('type') type: string,
    @Param('output') output: string,
    @Body() body: unknown,
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.krokiBody(actor, reply, request, type, body, query, () => krokiOutput(output));
  }

  @Post('kroki/:type')
  @HttpCode(200)
  @Access({ scope: 'render:write', anonymous: 'compat' })
  krokiPostAccept(
    @CurrentActor() actor: Actor,
    @Param('type') type: string,
    @Body() body: unknown,
    @Query() query: Record<string, unknown>,
    @Headers('accept') accept: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.krokiBody(actor, reply, request, type, body, query, (json) => (json ? krokiOutput(json) : outputFromAccept(accept)));
  }

  /** A POST with the type in the path: the output from the path, or from the JSON body's `output_format`, else Accept. */
  private krokiBody(actor: Actor, reply: FastifyReply, request: FastifyRequest, type: string, body: unknown, query: Record<string, unknown>, outputOf: (json?: string) => ImageFormat) {
    this.allow(actor);
    const { source, options, output } = sourceOfBody(body);
    return this.draw(actor, reply, krokiSourceFormat(type), source, outputOf(output), krokiOptions(query, headerOptions(request.headers), options));
  }

  /** `POST /kroki` with JSON `{diagram_source, diagram_type, output_format, diagram_options}`. */
  @Post('kroki')
  @HttpCode(200)
  @Access({ scope: 'render:write', anonymous: 'compat' })
  async krokiPost(@CurrentActor() actor: Actor, @Body() body: unknown, @Headers('accept') accept: string | undefined, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    this.allow(actor);
    const json = (body && typeof body === 'object' ? body : {}) as KrokiJsonBody;
    if (typeof json.diagram_type !== 'string') throw new CompatError(400, 'diagram_type is required (a Kroki diagram type, e.g. mermaid or plantuml).');
    const { source, options } = sourceOfBody(body);
    const output = typeof json.output_format === 'string' ? krokiOutput(json.output_format) : outputFromAccept(accept);
    return this.draw(actor, reply, krokiSourceFormat(json.diagram_type), source, output, krokiOptions(headerOptions(request.headers), options));
  }

  @Get('ink/svg/:encoded')
  @Access({ scope: 'render:write', anonymous: 'compat' })
  inkSvg(@CurrentActor() actor: Actor, @Param('encoded') encoded: string, @Query() query: Record<string, string>, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.ink(actor, reply, request, encoded, 'svg', query);
  }

  @Get('ink/img/:encoded')
  @Access({ scope: 'render:write', anonymous: 'compat' })
  inkImg(@CurrentActor() actor: Actor, @Param('encoded') encoded: string, @Query() query: Record<string, string>, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.ink(actor, reply, request, encoded, inkImageFormat(query.type), query);
  }

  @Get('ink/pdf/:encoded')
  @Access({ scope: 'render:write', anonymous: 'compat' })
  inkPdf(@CurrentActor() actor: Actor, @Param('encoded') encoded: string, @Query() query: Record<string, string>, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.ink(actor, reply, request, encoded, 'pdf', query);
  }

  /** A mermaid.ink link: the packed code, its theme unless the query names one, in mermaid's `default` otherwise. */
  private ink(actor: Actor, reply: FastifyReply, request: FastifyRequest, encoded: string, format: ImageFormat, query: Record<string, string>) {
    this.allow(actor);
    const diagram = decodeInk(encoded);
    return this.draw(actor, reply, 'mermaid', diagram.code, format, { ...query, theme: query.theme ?? diagram.theme ?? '' }, request.headers['if-none-match'], 'default');
  }

  /** KROKI_API: `off` serves nothing here, `key` only callers with a key. */
  private allow(actor: Actor): void {
    const mode = this.config.env.KROKI_API;
    if (mode === 'off') throw new CompatError(404, 'The Kroki and mermaid.ink routes are off on this server (KROKI_API=off).');
    if (mode === 'key' && actor.kind === 'anonymous') throw new ApiError('not_authenticated', "This server's Kroki and mermaid.ink routes need an API key: send 'Authorization: Bearer <api key>'.");
  }

  private async draw(
    actor: Actor,
    reply: FastifyReply,
    sourceFormat: SourceFormat,
    source: string,
    format: ImageFormat,
    options: Record<string, string>,
    ifNoneMatch?: string | string[],
    defaultTheme: string = 'light',
  ) {
    if (!source.trim()) throw new CompatError(400, 'The diagram source is empty.');
    if (Buffer.byteLength(source) > MAX_SOURCE_BYTES) throw new CompatError(413, `The diagram source is over ${MAX_SOURCE_BYTES} bytes.`);
    const theme: ThemeId = themeOf(options.theme || undefined, themeOf(defaultTheme, 'light'));
    // Kroki's option (names lower-cased), or mermaid.ink's bgColor.
    const background = backgroundOf(options.background ?? options.bgColor ?? options.bgcolor);
    const width = sizeOptionOf('width', options.width);
    const height = sizeOptionOf('height', options.height);
    const input: RenderInput = { source, sourceFormat, theme, format, scale: isScaled(format) ? scaleOf(options.scale) : 1, watermark: false, ...(background ? { background } : {}), ...(width ? { width } : {}), ...(height ? { height } : {}) };
    reply.header('Access-Control-Allow-Origin', '*').header('Cache-Control', CACHE_CONTROL);
    const served = await this.renders.serve(reply, input, actor.render, typeof ifNoneMatch === 'string' ? ifNoneMatch : undefined, { sourceParam: 'diagram_source' });
    if (served.image) reply.header('X-Diagram-Type', served.image.diagramType);
    return served.body;
  }
}

/** A POST body: the source as plain text, or Kroki's JSON with `diagram_source` (and options, output). */
function sourceOfBody(body: unknown): { source: string; options?: Record<string, unknown>; output?: string } {
  if (typeof body === 'string') return { source: body };
  if (Buffer.isBuffer(body)) return { source: body.toString('utf8') };
  if (body && typeof body === 'object') {
    const json = body as KrokiJsonBody;
    if (typeof json.diagram_source !== 'string') throw new CompatError(400, 'diagram_source is required: the diagram as text (or send it as a text/plain body).');
    const options = json.diagram_options && typeof json.diagram_options === 'object' ? (json.diagram_options as Record<string, unknown>) : undefined;
    return { source: json.diagram_source, options, output: typeof json.output_format === 'string' ? json.output_format : undefined };
  }
  throw new CompatError(400, 'Send the diagram as a text/plain body, or JSON with diagram_source.');
}
