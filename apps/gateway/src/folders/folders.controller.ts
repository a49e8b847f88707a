import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { RequireScope } from '../auth/access.decorator';
import type { KeyActor } from '../auth/actor';
import { CurrentKey } from '../auth/current-actor.decorator';
import { ResourceIdPipe } from '../common/resource-id.pipe';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { CreateFolderDto, DeleteFolderQueryDto, ListFoldersQueryDto, UpdateFolderDto } from './folder.dto';
import { FoldersService } from './folders.service';

const FolderId = () => Param('id', new ResourceIdPipe('Folder'));

@Controller('v1/folders')
export class FoldersController {
  constructor(private readonly folders: FoldersService) {}

  @Post()
  @RequireScope('folders:write')
  @Idempotent()
  create(@CurrentKey() actor: KeyActor, @Body() body: CreateFolderDto) {
    return this.folders.create(actor, body);
  }

  @Get()
  @RequireScope('folders:read')
  list(@CurrentKey() actor: KeyActor, @Query() query: ListFoldersQueryDto) {
    return this.folders.list(actor, query);
  }

  @Get(':id')
  @RequireScope('folders:read')
  get(@CurrentKey() actor: KeyActor, @FolderId() id: string) {
    return this.folders.get(actor, id);
  }

  @Patch(':id')
  @RequireScope('folders:write')
  update(@CurrentKey() actor: KeyActor, @FolderId() id: string, @Body() body: UpdateFolderDto) {
    return this.folders.update(actor, id, body);
  }

  @Delete(':id')
  @RequireScope('folders:write')
  delete(@CurrentKey() actor: KeyActor, @FolderId() id: string, @Query() query: DeleteFolderQueryDto) {
    return this.folders.delete(actor, id, query.force ?? false);
  }
}
