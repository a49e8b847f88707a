import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/access.decorator';
import type { KeyActor } from '../auth/actor';
import { CurrentKey } from '../auth/current-actor.decorator';
import { ResourceIdPipe } from '../common/resource-id.pipe';
import { ApiEndpoint, ApiList, ApiOk } from '../openapi/api-docs.decorators';
import { DeletedResource, FolderResource } from '../openapi/schemas';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { CreateFolderDto, DeleteFolderQueryDto, ListFoldersQueryDto, UpdateFolderDto } from './folder.dto';
import { FoldersService } from './folders.service';

const FolderId = () => Param('id', new ResourceIdPipe('Folder'));

@ApiTags('Folders')
@Controller('v1/folders')
export class FoldersController {
  constructor(private readonly folders: FoldersService) {}

  @Post()
  @ApiEndpoint('Create a folder', { description: 'Folders nest through parent_id; their context steers generations made into them.', errors: ['resource_not_found'] })
  @ApiOk(FolderResource, { status: 201, description: 'The folder.' })
  @RequireScope('folders:write')
  @Idempotent()
  create(@CurrentKey() actor: KeyActor, @Body() body: CreateFolderDto) {
    return this.folders.create(actor, body);
  }

  @Get()
  @ApiEndpoint('List folders', { errors: ['resource_not_found'] })
  @ApiList(FolderResource)
  @RequireScope('folders:read')
  list(@CurrentKey() actor: KeyActor, @Query() query: ListFoldersQueryDto) {
    return this.folders.list(actor, query);
  }

  @Get(':id')
  @ApiEndpoint('Get a folder')
  @ApiOk(FolderResource, { description: 'The folder.' })
  @RequireScope('folders:read')
  get(@CurrentKey() actor: KeyActor, @FolderId() id: string) {
    return this.folders.get(actor, id);
  }

  @Patch(':id')
  @ApiEndpoint('Update a folder', { description: 'Any of name, parent_id, context; a folder cannot move under itself.' })
  @ApiOk(FolderResource, { description: 'The updated folder.' })
  @RequireScope('folders:write')
  update(@CurrentKey() actor: KeyActor, @FolderId() id: string, @Body() body: UpdateFolderDto) {
    return this.folders.update(actor, id, body);
  }

  @Delete(':id')
  @ApiEndpoint('Delete a folder', { description: 'A folder that holds diagrams or folders is 409 folder_not_empty unless `force=true`, which moves its contents to its parent.', errors: ['folder_not_empty'] })
  @ApiOk(DeletedResource, { description: 'The deleted marker.' })
  @RequireScope('folders:write')
  delete(@CurrentKey() actor: KeyActor, @FolderId() id: string, @Query() query: DeleteFolderQueryDto) {
    return this.folders.delete(actor, id, query.force ?? false);
  }
}
