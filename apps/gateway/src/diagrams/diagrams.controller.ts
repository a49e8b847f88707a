import { Body, Controller, Delete, Get, Headers, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { RequireScope } from '../auth/access.decorator';
import type { KeyActor } from '../auth/actor';
import { CurrentKey } from '../auth/current-actor.decorator';
import { GatewayConfig } from '../common/gateway-config';
import { ResourceIdPipe } from '../common/resource-id.pipe';
import { RenderClient } from '../rendering/render-client.service';
import { clampScale } from '../rendering/render-options';
import { ImageQueryDto } from '../rendering/rendering.dto';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { CreateDiagramDto, ListDiagramsQueryDto, UpdateDiagramDto } from './diagram.dto';
import { DiagramsService } from './diagrams.service';

const DiagramId = () => Param('id', new ResourceIdPipe('Diagram'));

@Controller('v1/diagrams')
export class DiagramsController {
  constructor(
    private readonly diagrams: DiagramsService,
    private readonly renders: RenderClient,
    private readonly config: GatewayConfig,
  ) {}

  @Post()
  @RequireScope('diagrams:write')
  @Idempotent()
  create(@CurrentKey() actor: KeyActor, @Body() body: CreateDiagramDto) {
    return this.diagrams.create(actor, body);
  }

  @Get()
  @RequireScope('diagrams:read')
  list(@CurrentKey() actor: KeyActor, @Query() query: ListDiagramsQueryDto) {
    return this.diagrams.list(actor, query);
  }

  @Get(':id')
  @RequireScope('diagrams:read')
  get(@CurrentKey() actor: KeyActor, @DiagramId() id: string) {
    return this.diagrams.get(actor, id);
  }

  /** The rendered image: bytes, ETag, and 304 on If-None-Match; the scale is clamped to the plan. */
  @Get(':id/image')
  @RequireScope('diagrams:read')
  async image(
    @CurrentKey() actor: KeyActor,
    @DiagramId() id: string,
    @Query() query: ImageQueryDto,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const format = query.format ?? 'png';
    const { scale, clamped } = format === 'png' ? clampScale(query.scale ?? 1, actor, this.config) : { scale: 1 as const, clamped: false };
    const input = await this.diagrams.image(actor, id, { theme: query.theme ?? 'light', format, scale, page: query.page });
    reply.header('Cache-Control', 'private, no-cache').header('X-Scale', String(scale)).header('X-Scale-Clamped', String(clamped));
    const { body, image } = await this.renders.serve(reply, input, ifNoneMatch);
    if (image) reply.header('X-Diagram-Type', image.diagramType);
    return body;
  }

  @Patch(':id')
  @RequireScope('diagrams:write')
  update(@CurrentKey() actor: KeyActor, @DiagramId() id: string, @Body() body: UpdateDiagramDto) {
    return this.diagrams.update(actor, id, body);
  }

  @Delete(':id')
  @RequireScope('diagrams:write')
  delete(@CurrentKey() actor: KeyActor, @DiagramId() id: string) {
    return this.diagrams.delete(actor, id);
  }
}
