import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, PipeTransform, Post, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DEFAULT_THEME, isScaled } from '@flowsmith/contracts';
import { RequireScope } from '../auth/access.decorator';
import type { KeyActor } from '../auth/actor';
import { CurrentKey } from '../auth/current-actor.decorator';
import { GatewayConfig } from '../common/gateway-config';
import { ResourceIdPipe } from '../common/resource-id.pipe';
import { RenderClient } from '../rendering/render-client.service';
import { clampScale, sizeOf } from '../rendering/render-options';
import { ImageQueryDto } from '../rendering/rendering.dto';
import { ApiEndpoint, ApiImage, ApiList, ApiOk, header } from '../openapi/api-docs.decorators';
import { DeletedResource, DiagramResource, DiagramRevisionResource } from '../openapi/schemas';
import { notFound } from '../common/api-error';
import { ListQueryDto } from '../common/pagination';
import { revisionEtag } from './revisions';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { CreateDiagramDto, ListDiagramsQueryDto, UpdateDiagramDto } from './diagram.dto';
import { DiagramsService } from './diagrams.service';

const DiagramId = () => Param('id', new ResourceIdPipe('Diagram'));

/** A revision number in a path: a positive integer, or the 404 of a revision that does not exist. */
class RevisionNumberPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    if (!/^[1-9]\d{0,9}$/.test(value) || Number(value) > 2_147_483_647) throw notFound('Revision', 'revision');
    return Number(value);
  }
}
const RevisionNumber = () => Param('n', new RevisionNumberPipe());
const ETAG = { ETag: header('The diagram\'s revision, `"r<n>"`: send it in If-Match to update only that revision.') };

/** The diagram's ETag is its revision (revisions.ts). */
function tagged<T extends { revision: number }>(reply: FastifyReply, diagram: T): T {
  reply.header('ETag', revisionEtag(diagram.revision));
  return diagram;
}

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
  @ApiOk(DiagramResource, { status: 201, description: 'The diagram, at revision 1.', headers: ETAG })
  @RequireScope('diagrams:write')
  @Idempotent()
  async create(@CurrentKey() actor: KeyActor, @Body() body: CreateDiagramDto, @Res({ passthrough: true }) reply: FastifyReply) {
    return tagged(reply, await this.diagrams.create(actor, body));
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
  @ApiOk(DiagramResource, { description: 'The diagram.', headers: ETAG })
  @RequireScope('diagrams:read')
  async get(@CurrentKey() actor: KeyActor, @DiagramId() id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    return tagged(reply, await this.diagrams.get(actor, id));
  }

  @Get(':id/revisions')
  @ApiEndpoint('List a diagram\'s revisions', { description: 'Every change of the name or source, newest first. Immutable.' })
  @ApiList(DiagramRevisionResource, 'A page of revisions, newest first.')
  @RequireScope('diagrams:read')
  revisions(@CurrentKey() actor: KeyActor, @DiagramId() id: string, @Query() query: ListQueryDto) {
    return this.diagrams.revisions(actor, id, query);
  }

  @Get(':id/revisions/:n')
  @ApiParam({ name: 'n', schema: { type: 'integer', minimum: 1 }, description: 'The revision number, from 1.' })
  @ApiEndpoint('Get one revision of a diagram')
  @ApiOk(DiagramRevisionResource, { description: 'The revision.' })
  @RequireScope('diagrams:read')
  revision(@CurrentKey() actor: KeyActor, @DiagramId() id: string, @RevisionNumber() n: number) {
    return this.diagrams.revision(actor, id, n);
  }

  @Post(':id/revisions/:n/restore')
  @ApiParam({ name: 'n', schema: { type: 'integer', minimum: 1 }, description: 'The revision number, from 1.' })
  @HttpCode(200)
  @ApiEndpoint('Restore a revision', { description: 'Makes a new revision with that revision\'s name and source; history is only added to.' })
  @ApiOk(DiagramResource, { description: 'The diagram at its new revision.', headers: ETAG })
  @RequireScope('diagrams:write')
  async restore(@CurrentKey() actor: KeyActor, @DiagramId() id: string, @RevisionNumber() n: number, @Res({ passthrough: true }) reply: FastifyReply) {
    return tagged(reply, await this.diagrams.restore(actor, id, n));
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
    const input = await this.diagrams.image(actor, id, { theme: query.theme ?? DEFAULT_THEME, format, scale, page: query.page, layout: query.layout, look: query.look, embedFonts: query.embed_fonts === true, background: query.background, ...sizeOf(query) }, query.revision);
    reply.header('Cache-Control', 'private, no-cache').header('X-Scale', String(scale)).header('X-Scale-Clamped', String(clamped));
    const { body, image } = await this.renders.serve(reply, input, actor.render, ifNoneMatch);
    if (image) reply.header('X-Diagram-Type', image.diagramType);
    return body;
  }

  @Patch(':id')
  @ApiEndpoint('Update a diagram', {
    description: 'Any of name, source, source_format, folder_id. A change of name or source makes a new revision. With `If-Match: "r<n>"` (the ETag of a read) it applies only if the diagram is still at revision n, else 412 precondition_failed and nothing is written.',
    errors: ['parse_failed', 'source_too_large', 'resource_not_found', 'render_timeout', 'precondition_failed'],
  })
  @ApiHeader({ name: 'If-Match', required: false, description: 'The ETag of the revision the change is based on (`"r<n>"`).' })
  @ApiOk(DiagramResource, { description: 'The updated diagram.', headers: ETAG })
  @RequireScope('diagrams:write')
  async update(@CurrentKey() actor: KeyActor, @DiagramId() id: string, @Body() body: UpdateDiagramDto, @Headers('if-match') ifMatch: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    return tagged(reply, await this.diagrams.update(actor, id, body, ifMatch));
  }

  @Delete(':id')
  @ApiEndpoint('Delete a diagram')
  @ApiOk(DeletedResource, { description: 'The deleted marker.' })
  @RequireScope('diagrams:write')
  delete(@CurrentKey() actor: KeyActor, @DiagramId() id: string) {
    return this.diagrams.delete(actor, id);
  }
}
