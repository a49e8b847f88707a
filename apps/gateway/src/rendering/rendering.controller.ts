import { Body, Controller, Get, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DEFAULT_THEME, FILE_EXTENSIONS, isScaled, MAX_EMBED_SOURCE_BYTES, THEMES } from '@flowsmith/contracts';
import { Access } from '../auth/access.decorator';
import type { Actor } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import { ApiError } from '../common/api-error';
import { GatewayConfig } from '../common/gateway-config';
import { ApiEndpoint, ApiFile, ApiImage, ApiList, ApiOk, header } from '../openapi/api-docs.decorators';
import { ExportResource, RenderResource, ThemeResource } from '../openapi/schemas';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { ExportQuota } from '../usage/export-quota.service';
import { RenderClient } from './render-client.service';
import { clampScale, drawOptionsOf, exportFilename, sizeOf, sourceFormatOf } from './render-options';
import { BeautifyDto, EmbedQueryDto, ExportDto, ExportQueryDto } from './rendering.dto';

/** The public routes send CORS headers; nothing else does (docs/api.md). */
function publicHeaders(reply: FastifyReply): void {
  reply.header('Access-Control-Allow-Origin', '*');
}

@ApiTags('Rendering')
@Controller('v1')
export class RenderingController {
  constructor(
    private readonly renders: RenderClient,
    private readonly quota: ExportQuota,
    private readonly config: GatewayConfig,
  ) {}

  @Get('themes')
  @ApiEndpoint('List themes (public)', { description: 'Every route that takes `theme` accepts every id listed here and nothing else. CORS open.' })
  @ApiList(ThemeResource, 'Every theme.')
  @Access({ public: true, anonymous: 'anonymous' })
  themes(@Res({ passthrough: true }) reply: FastifyReply) {
    publicHeaders(reply);
    reply.header('Cache-Control', 'public, max-age=300');
    return { object: 'list', data: THEMES.map((theme) => ({ object: 'theme', ...theme })), has_more: false, next_cursor: null };
  }

  /** Renders to SVG and returns it in JSON. Not metered; anonymous output is watermarked. */
  @Post('beautify')
  @HttpCode(200)
  @ApiEndpoint('Render source to SVG (stateless)', {
    description: 'Returns the SVG in JSON. Not metered; anonymous callers are let in (limited per IP) and their output is watermarked. The source is never stored.',
    errors: ['parse_failed', 'source_too_large', 'output_too_large', 'render_timeout'],
  })
  @ApiOk(RenderResource, { description: 'The rendered SVG.' })
  @Access({ scope: 'render:write', anonymous: 'anonymous' })
  async beautify(@CurrentActor() actor: Actor, @Body() body: BeautifyDto) {
    const theme = body.theme ?? DEFAULT_THEME;
    const watermarked = actor.kind === 'anonymous';
    const { format, detected } = sourceFormatOf(body.source, body.source_format);
    const image = await this.renders.render(
      { source: body.source, sourceFormat: format, theme, format: 'svg', scale: 1, watermark: watermarked, embedFonts: body.embed_fonts === true, background: body.background, ...sizeOf(body), ...drawOptionsOf(format, body) },
      actor.render,
      'source',
    );
    return {
      object: 'render' as const,
      source_format: format,
      detected_format: detected,
      diagram_type: image.diagramType,
      svg: image.data.toString('utf8'),
      meta: { theme, width: image.width, height: image.height, watermarked },
      usage: await this.quota.peek(actor),
    };
  }

  /** The file itself (or JSON with it in base64); spends one export. */
  @Post('export')
  @HttpCode(200)
  @ApiEndpoint('Export source to a file (stateless)', {
    description: 'The file itself, or with `Accept: application/json` / `?response=json` JSON with it base64-encoded. Spends one export; anonymous callers get one per IP per 24 h, watermarked.',
    errors: ['parse_failed', 'source_too_large', 'output_too_large', 'render_timeout', 'quota_exhausted'],
  })
  @ApiFile(ExportResource, {
    description: 'The exported file (`Content-Disposition: attachment; filename="diagram-<type>-<sha6>.<ext>"`).',
    headers: {
      'Content-Disposition': header('`attachment; filename="…"`'),
      'X-Diagram-Type': header('The detected diagram type.'),
      'X-Source-Format': header('The source\'s format, as given or detected.'),
      'X-Detected-Format': header('The format detected, when the request sent no `source_format`.'),
      'X-Theme': header('The theme rendered.'),
      'X-Watermark': header('`true` for anonymous callers.'),
      'X-Scale': header('The scale rendered.'),
      'X-Scale-Clamped': header('`true` when the scale was clamped to the plan.'),
      'X-Quota-Plan': header('The caller\'s plan.'),
      'X-Quota-Used': header('Exports used this period.'),
      'X-Quota-Limit': header('The period\'s limit, or `unlimited`.'),
      'X-Quota-Resets-At': header('When the bucket resets (ISO 8601).'),
    },
  })
  @Access({ scope: 'export:write', anonymous: 'anonymous' })
  @Idempotent()
  async export(
    @CurrentActor() actor: Actor,
    @Body() body: ExportDto,
    @Query() query: ExportQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const format = body.format ?? 'svg';
    const theme = body.theme ?? DEFAULT_THEME;
    const { scale, clamped } = isScaled(format) ? clampScale(body.scale ?? 1, actor, this.config) : { scale: 1 as const, clamped: false };
    const watermark = actor.kind === 'anonymous';
    // Spent once the file exists: a render that fails holds no unit (usage/export-quota.service.ts).
    await this.quota.check(actor);
    // An exported SVG travels: it carries the subset of its fonts (libs/rendering/src/svg/embed-fonts.ts).
    const { format: sourceFormat, detected } = sourceFormatOf(body.source, body.source_format);
    const image = await this.renders.render(
      { source: body.source, sourceFormat, theme, format, scale, watermark, embedFonts: format === 'svg', background: body.background, ...sizeOf(body), ...drawOptionsOf(sourceFormat, body) },
      actor.render,
      'source',
    );
    const allowance = await this.quota.spend(actor);
    const filename = exportFilename(body.source, image.diagramType, FILE_EXTENSIONS[format], query.filename ?? body.filename);
    const headers: Record<string, string> = {
      'X-Diagram-Type': image.diagramType,
      'X-Source-Format': sourceFormat,
      ...(detected ? { 'X-Detected-Format': detected } : {}),
      'X-Theme': theme,
      'X-Watermark': String(watermark),
      'X-Scale': String(scale),
      'X-Scale-Clamped': String(clamped),
      'X-Quota-Plan': allowance.plan,
      'X-Quota-Used': String(allowance.used),
      'X-Quota-Limit': allowance.limit === null ? 'unlimited' : String(allowance.limit),
      'X-Quota-Resets-At': allowance.resetsAt ?? '',
    };
    for (const [name, value] of Object.entries(headers)) reply.header(name, value);
    if (query.response === 'json' || (accept ?? '').split(',').some((type) => type.trim().startsWith('application/json'))) {
      return {
        object: 'export' as const,
        filename,
        content_type: image.contentType,
        source_format: sourceFormat,
        detected_format: detected,
        diagram_type: image.diagramType,
        theme,
        format,
        scale,
        scale_clamped: clamped,
        watermarked: watermark,
        width: image.width,
        height: image.height,
        data: image.data.toString('base64'),
        quota: { plan: allowance.plan, used: allowance.used, limit: allowance.limit, resets_at: allowance.resetsAt },
      };
    }
    reply.header('Content-Type', image.contentType).header('Content-Disposition', `attachment; filename="${filename}"`).header('X-Content-Type-Options', 'nosniff');
    return image.data;
  }

  /**
   * The embed: `<img src=".../beautify.svg?source=...">`. Any language (`source_format`, or
   * detected), always watermarked, keys ignored; a source that fails still answers 200 with an SVG
   * that shows the error.
   */
  @Get('beautify.svg')
  @ApiEndpoint('Embed: render a source to SVG from the URL (public)', {
    description: 'For `<img src="…/beautify.svg?source=…">`. Any language: `source_format`, or detected from the source (`X-Detected-Format`). Always watermarked, any key ignored; a source that does not parse still gets 200 with an SVG that shows the error. `Cache-Control: public, max-age=3600, s-maxage=86400`; CORS open.',
    errors: ['source_too_large', 'render_timeout'],
  })
  @ApiImage({ types: ['image/svg+xml'], description: 'The SVG (or a fallback SVG showing the parse error).' })
  @Access({ public: true, anonymous: 'embed', ignoreKey: true })
  async embed(@CurrentActor() actor: Actor, @Query() query: EmbedQueryDto, @Headers('if-none-match') ifNoneMatch: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    publicHeaders(reply);
    const decoded = Buffer.from(query.source.replace(/\s/g, ''), 'base64');
    if (decoded.length > MAX_EMBED_SOURCE_BYTES) {
      throw new ApiError('source_too_large', `The embedded source is ${decoded.length} bytes decoded; at most ${MAX_EMBED_SOURCE_BYTES}.`, { param: 'source' });
    }
    const source = decoded.toString('utf8');
    if (!source.trim() || source.includes('\uFFFD')) {
      throw new ApiError('invalid_parameter', 'source must be base64url (or base64) of UTF-8 diagram source.', { param: 'source' });
    }
    const { format, detected } = sourceFormatOf(source, query.source_format);
    const input = { source, sourceFormat: format, theme: query.theme ?? DEFAULT_THEME, format: 'svg' as const, scale: 1 as const, watermark: true, fallback: true, embedFonts: query.embed_fonts === true, ...drawOptionsOf(format, query) };
    reply.header('Cache-Control', 'public, max-age=3600, s-maxage=86400');
    if (detected) reply.header('X-Detected-Format', detected);
    return (await this.renders.serve(reply, input, actor.render, ifNoneMatch, { sourceParam: 'source', contentType: 'image/svg+xml; charset=utf-8' })).body;
  }
}
