import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { RequireScope } from '../auth/access.decorator';
import type { KeyActor } from '../auth/actor';
import { CurrentKey } from '../auth/current-actor.decorator';
import { ListQueryDto } from '../common/pagination';
import { ResourceIdPipe } from '../common/resource-id.pipe';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { CreateKeyDto } from './key.dto';
import { KeysService } from './keys.service';

@Controller('v1/keys')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Post()
  @RequireScope('keys:write')
  // The secret is shown once: it is never stored, so a replay returns the key with `secret: null`.
  @Idempotent({ redact: ['secret'] })
  create(@CurrentKey() actor: KeyActor, @Body() body: CreateKeyDto) {
    return this.keys.create(actor, body);
  }

  @Get()
  @RequireScope('keys:write')
  list(@CurrentKey() actor: KeyActor, @Query() query: ListQueryDto) {
    return this.keys.list(actor, query);
  }

  @Delete(':id')
  @RequireScope('keys:write')
  revoke(@CurrentKey() actor: KeyActor, @Param('id', new ResourceIdPipe('API key')) id: string) {
    return this.keys.revoke(actor, id);
  }
}
