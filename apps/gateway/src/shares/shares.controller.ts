import { Body, Controller, Delete, Get, Headers, Param, Post, Query, Res } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { OutputFormat } from '@flowsmith/contracts';
import { Access, RequireScope } from '../auth/access.decorator';
import type { Actor, KeyActor } from '../auth/actor';
import { CurrentActor, CurrentKey } from '../auth/current-actor.decorator';
import { notFound } from '../common/api-error';
import { ListQueryDto } from '../common/pagination';
import { ApiEndpoint, ApiImage, ApiList, ApiOk } from '../openapi/api-docs.decorators';
import { DeletedResource, ShareResource } from '../openapi/schemas';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { RenderClient } from '../rendering/render-client.service';
import { sizeOf } from '../rendering/render-options';
import { ShareImageQueryDto } from '../rendering/rendering.dto';
import { CreateShareDto } from './share.dto';
import { SharesService } from './shares.service';

/** The file name's extension picks the picture: `.jpg` and `.jpeg` are both JPEG. */
const SHARE_EXTENSIONS: Record<string, OutputFormat> = { svg: 'svg', png: 'png', jpg: 'jpeg', jpeg: 'jpeg', webp: 'webp', pdf: 'pdf' };

@ApiTags('Shares')
@Controller('v1')
export class SharesController {
  constructor(
    private readonly shares: SharesService,
    private readonly renders: RenderClient,
  ) {}

  @Post('share')
  @ApiEndpoint('Publish a share link', { description: 'Of a stored diagram (`diagram_id`) or of a source. Counts against the plan\'s share cap.', errors: ['parse_failed', 'source_too_large', 'resource_not_found', 'quota_exhausted', 'render_timeout'] })
  @ApiOk(ShareResource, { status: 201, description: 'The share, with its public URLs.' })
  @RequireScope('share:write')
  @Idempotent()
  create(@CurrentKey() actor: KeyActor, @Body() body: CreateShareDto) {
    return this.shares.create(actor, body);
  }

  @Get('shares')
  @ApiEndpoint('List shares')
  @ApiList(ShareResource)
  @RequireScope('share:write')
  list(@CurrentKey() actor: KeyActor, @Query() query: ListQueryDto) {
    return this.shares.list(actor, query);
  }

  @Delete('share/:id')
  @ApiEndpoint('Revoke a share', { description: 'Its URLs answer 404 from then on.' })
  @ApiOk(DeletedResource, { description: 'The deleted marker.' })
  @RequireScope('share:write')
  revoke(@CurrentKey() actor: KeyActor, @Param('id') id: string) {
    return this.shares.revoke(actor, id);
  }

  /** Public: `GET /v1/share/{id}.svg`, `.png`, `.jpg`, `.webp` or `.pdf`, unwatermarked, cacheable by CDNs for 5 minutes. */
  // `:id` like the DELETE beside it (OpenAPI allows one template per path); the value is `<id>.svg|png`.
  @Get('share/:id')
  @ApiEndpoint('Read a shared image (public)', {
    description: '`{id}` is the share id with `.svg`, `.png`, `.jpg`, `.webp` or `.pdf`; `width` and/or `height` size the drawing. Public, unwatermarked, any key ignored; ETag with 304 on If-None-Match; `Cache-Control: public, s-maxage=300`; CORS open.',
    errors: ['render_timeout'],
  })
  @ApiParam({ name: 'id', description: 'The share id and the format: `<id>.svg`, `<id>.png`, `<id>.jpg` (or `.jpeg`), `<id>.webp` or `<id>.pdf`.', schema: { type: 'string', pattern: '^[0-9A-Za-z]+\\.(svg|png|jpg|jpeg|webp|pdf)$' }, example: 'aB3dE5fG7h.svg' })
  @ApiImage({ description: 'The shared image.' })
  @Access({ public: true, anonymous: 'embed', ignoreKey: true })
  async read(@CurrentActor() actor: Actor, @Param('id') file: string, @Query() query: ShareImageQueryDto, @Headers('if-none-match') ifNoneMatch: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    const match = /^([0-9A-Za-z]+)\.(svg|png|jpg|jpeg|webp|pdf)$/.exec(file);
    if (!match) throw notFound('Share');
    const format = SHARE_EXTENSIONS[match[2]];
    reply.header('Access-Control-Allow-Origin', '*');
    const { input, tenant } = await this.shares.renderTarget(match[1], format, actor.render);
    reply.header('Cache-Control', 'public, s-maxage=300');
    return (await this.renders.serve(reply, { ...input, ...sizeOf(query) }, tenant, ifNoneMatch)).body;
  }
}
