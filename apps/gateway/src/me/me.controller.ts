import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access } from '../auth/access.decorator';
import type { KeyActor } from '../auth/actor';
import { CurrentKey } from '../auth/current-actor.decorator';
import { ApiEndpoint, ApiOk } from '../openapi/api-docs.decorators';
import { KeyIdentity } from '../openapi/schemas';

/**
 * `GET /v1/me`: what the calling key is: its id, owner, plan and scopes. Needs no scope, touches
 * no database (the key is already authenticated), so clients can check a key cheaply and the
 * gateway benchmark can measure auth + rate limit alone.
 */
@ApiTags('Keys')
@Controller('v1/me')
export class MeController {
  @Get()
  @ApiEndpoint('Describe the calling key', { description: 'Its id, owner, plan and scopes. Any valid key may call it, whatever its scopes.' })
  @ApiOk(KeyIdentity, { description: 'The key\'s identity.' })
  @Access({ anyKey: true })
  me(@CurrentKey() actor: KeyActor) {
    return identityOf(actor);
  }
}

/** The body of `GET /v1/me`; a browser session (sessions/sessions.controller.ts) carries it as `user`. */
export function identityOf(actor: Pick<KeyActor, 'keyId' | 'userId' | 'organizationId' | 'plan' | 'scopes'>) {
  return {
    object: 'api_key_identity' as const,
    key_id: actor.keyId,
    user_id: actor.userId,
    organization_id: actor.organizationId,
    plan: actor.plan,
    scopes: [...actor.scopes],
  };
}
