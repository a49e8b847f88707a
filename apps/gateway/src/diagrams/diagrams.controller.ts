import { Body, Controller, Delete, Get, Headers, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { isScaled } from '@flowsmith/contracts';
import { RequireScope } from '../auth/access.decorator';
import type { KeyActor } from '../auth/actor';
import { CurrentKey } from '../auth/current-actor.decorator';
import { GatewayConfig } from '../common/gateway-config';
import { ResourceIdPipe } from '../common/resource-id.pipe';
import { RenderClient } from '../rendering/render-client.service';
import { clampScale } from '../rendering/render-options';
import { ImageQueryDto } from '../rendering/rendering.dto';
import { ApiEndpoint, ApiImage, ApiList, ApiOk, header } from '../openapi/api-docs.decorators';
import { DeletedResource, DiagramResource } from '../openapi/schemas';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { CreateDiagramDto, ListDiagramsQueryDto, UpdateDiagramDto } from './diagram.dto';
import { DiagramsService } from './diagrams.service';

const DiagramId = () => Param('id', new ResourceIdPipe('Diagram'));

@ApiTags('Diagrams')
@Controller('v1/diagrams')
export class DiagramsController {
  constructor(
    private readonly diagrams: DiagramsService,
    private readonly renders: RenderClient,
    private readonly config: GatewayConfig,
  ) {}

  @Post()
  @ApiEndpoint('Create a diagram', { description: 'The source is parsed on write; one that does not parse is 400 parse_failed.', errors: ['parse_failed', 'source_too_large', 'resource_not_found', 'render_timeout'] })
  @ApiOk(DiagramResource, { status: 201, description: 'The diagram.' })
  @RequireScope('diagrams:write')
  @Idempotent()
  create(@CurrentKey() actor: KeyActor, @Body() body: CreateDiagramDto) {
    return this.diagrams.create(actor, body);
  }

  @Get()
  @ApiEndpoint('List diagrams', { errors: ['resource_not_found'] })
  @ApiList(DiagramResource)
  @RequireScope('diagrams:read')
  list(@CurrentKey() actor: KeyActor, @Query() query: ListDiagramsQueryDto) {
    return this.diagrams.list(actor, query);
  }

  @Get(':id')
  @ApiEndpoint('Get a diagram')
  @ApiOk(DiagramResource, { description: 'The diagram.' })
  @RequireScope('diagrams:read')
  get(@CurrentKey() actor: KeyActor, @DiagramId() id: string) {
    return this.diagrams.get(actor, id);
  }

  /** The rendered image: bytes, ETag, and 304 on If-None-Match; the scale is clamped to the plan. */
  @Get(':id/image')
  @ApiEndpoint('Render a diagram to an image', {
    description: 'The image bytes (PNG or SVG) with an ETag; 304 on If-None-Match. Never calls the model, never spends quota.',
    errors: ['output_too_large', 'render_timeout'],
  })
  @ApiImage({
    description: 'The image.',
    headers: { 'X-Scale': header('The scale rendered.'), 'X-Scale-Clamped': header('`true` when the scale was clamped to the plan.'), 'X-Diagram-Type': header('The detected diagram type.') },
  })
  @RequireScope('diagrams:read')
  async image(
    @CurrentKey() actor: KeyActor,
    @DiagramId() id: string,
    @Query() query: ImageQueryDto,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const format = query.format ?? 'png';
    const { scale, clamped } = isScaled(format) ? clampScale(query.scale ?? 1, actor, this.config) : { scale: 1 as const, clamped: false };
    const input = await this.diagrams.image(actor, id, { theme: query.theme ?? 'light', format, scale, page: query.page, layout: query.layout, look: query.look, embedFonts: query.embed_fonts === true, background: query.background });
    reply.header('Cache-Control', 'private, no-cache').header('X-Scale', String(scale)).header('X-Scale-Clamped', String(clamped));
    const { body, image } = await this.renders.serve(reply, input, actor.render, ifNoneMatch);
    if (image) reply.header('X-Diagram-Type', image.diagramType);
    return body;
  }

  @Patch(':id')
  @ApiEndpoint('Update a diagram', { description: 'Any of name, source, source_format, folder_id.', errors: ['parse_failed', 'source_too_large', 'resource_not_found', 'render_timeout'] })
  @ApiOk(DiagramResource, { description: 'The updated diagram.' })
  @RequireScope('diagrams:write')
  update(@CurrentKey() actor: KeyActor, @DiagramId() id: string, @Body() body: UpdateDiagramDto) {
    return this.diagrams.update(actor, id, body);
  }

  @Delete(':id')
  @ApiEndpoint('Delete a diagram')
  @ApiOk(DeletedResource, { description: 'The deleted marker.' })
  @RequireScope('diagrams:write')
  delete(@CurrentKey() actor: KeyActor, @DiagramId() id: string) {
    return this.diagrams.delete(actor, id);
  }
}
