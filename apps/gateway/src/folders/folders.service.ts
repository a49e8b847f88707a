import { Injectable } from '@nestjs/common';
import { Folder, FolderChanges, FoldersRepository } from '@flowsmith/database';
import { ApiError, notFound } from '../common/api-error';
import { listResponse, pageQuery, timestamp } from '../common/pagination';
import type { KeyActor } from '../auth/actor';
import { CreateFolderDto, ListFoldersQueryDto, UpdateFolderDto } from './folder.dto';

export function presentFolder(folder: Folder) {
  return {
    object: 'folder' as const,
    id: folder.id,
    name: folder.name,
    parent_id: folder.parentId,
    context: folder.context,
    organization_id: folder.organizationId,
    created_at: timestamp(folder.createdAt),
    updated_at: timestamp(folder.updatedAt),
  };
}

@Injectable()
export class FoldersService {
  constructor(private readonly folders: FoldersRepository) {}

  async create(actor: KeyActor, body: CreateFolderDto) {
    const parentId = body.parent_id ?? null;
    if (parentId && !(await this.folders.findVisible(parentId, actor.ownerId))) throw notFound('Folder', 'parent_id');
    const folder = await this.folders.create({
      ownerId: actor.ownerId,
      organizationId: actor.organizationId,
      createdBy: actor.userId,
      name: body.name,
      parentId,
      context: body.context ?? null,
    });
    return presentFolder(folder);
  }

  async list(actor: KeyActor, query: ListFoldersQueryDto) {
    const page = pageQuery('folders', query);
    if (query.parent_id && !(await this.folders.findVisible(query.parent_id, actor.ownerId))) throw notFound('Folder', 'parent_id');
    const rows = await this.folders.list(actor.ownerId, { parentId: query.parent_id }, page);
    return listResponse('folders', rows, page.limit, presentFolder);
  }

  async get(actor: KeyActor, id: string) {
    const folder = await this.folders.findVisible(id, actor.ownerId);
    if (!folder) throw notFound('Folder');
    return presentFolder(folder);
  }

  async update(actor: KeyActor, id: string, body: UpdateFolderDto) {
    if (!(await this.folders.findVisible(id, actor.ownerId))) throw notFound('Folder');
    if (body.parent_id && !(await this.folders.findVisible(body.parent_id, actor.ownerId))) throw notFound('Folder', 'parent_id');
    const changes: FolderChanges = {};
    if (body.name !== undefined) changes.name = body.name;
    if (body.context !== undefined) changes.context = body.context;
    if (body.parent_id !== undefined) changes.parentId = body.parent_id;
    const result = await this.folders.update(id, actor.ownerId, changes);
    if (result === 'cycle') {
      throw new ApiError('invalid_parameter', 'A folder cannot be moved into itself or one of its own sub-folders.', { param: 'parent_id' });
    }
    return presentFolder(result);
  }

  async delete(actor: KeyActor, id: string, force: boolean) {
    const result = await this.folders.delete(id, actor.ownerId, force);
    if (result === 'not_found') throw notFound('Folder');
    if (result === 'not_empty') {
      throw new ApiError('folder_not_empty', 'This folder holds diagrams or folders. Move them first, or delete with ?force=true to move them to its parent.');
    }
    return { object: 'folder' as const, id, deleted: true };
  }
}
