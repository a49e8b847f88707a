import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/access.decorator';
import type { KeyActor } from '../auth/actor';
import { CurrentKey } from '../auth/current-actor.decorator';
import { ListQueryDto } from '../common/pagination';
import { ResourceIdPipe } from '../common/resource-id.pipe';
import { ApiEndpoint, ApiList, ApiOk } from '../openapi/api-docs.decorators';
import { CreatedKeyResource, KeyResource } from '../openapi/schemas';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { CreateKeyDto } from './key.dto';
import { KeysService } from './keys.service';

@ApiTags('Keys')
@Controller('v1/keys')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Post()
  @ApiEndpoint('Create an API key', { description: 'The secret is in this response only. A key may grant only scopes the creating key holds.' })
  @ApiOk(CreatedKeyResource, { status: 201, description: 'The key, with its secret.' })
  @RequireScope('keys:write')
  // The secret is shown once: it is never stored, so a replay returns the key with `secret: null`.
  @Idempotent({ redact: ['secret'] })
  create(@CurrentKey() actor: KeyActor, @Body() body: CreateKeyDto) {
    return this.keys.create(actor, body);
  }

  @Get()
  @ApiEndpoint('List API keys', { description: 'Without secrets.' })
  @ApiList(KeyResource)
  @RequireScope('keys:write')
  list(@CurrentKey() actor: KeyActor, @Query() query: ListQueryDto) {
    return this.keys.list(actor, query);
  }

  @Delete(':id')
  @ApiEndpoint('Revoke an API key', { description: 'Takes effect on the next request, on every gateway instance.' })
  @ApiOk(KeyResource, { description: 'The revoked key.' })
  @RequireScope('keys:write')
  revoke(@CurrentKey() actor: KeyActor, @Param('id', new ResourceIdPipe('API key')) id: string) {
    return this.keys.revoke(actor, id);
  }
}
