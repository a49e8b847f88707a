import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { RequireScope } from '../auth/access.decorator';
import type { KeyActor } from '../auth/actor';
import { CurrentKey } from '../auth/current-actor.decorator';
import { ResourceIdPipe } from '../common/resource-id.pipe';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { CreateDiagramDto, ListDiagramsQueryDto, UpdateDiagramDto } from './diagram.dto';
import { DiagramsService } from './diagrams.service';

const DiagramId = () => Param('id', new ResourceIdPipe('Diagram'));

@Controller('v1/diagrams')
export class DiagramsController {
  constructor(private readonly diagrams: DiagramsService) {}

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
