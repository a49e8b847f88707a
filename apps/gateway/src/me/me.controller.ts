import { Controller, Get } from '@nestjs/common';
import { Access } from '../auth/access.decorator';
import type { KeyActor } from '../auth/actor';
import { CurrentKey } from '../auth/current-actor.decorator';

/**
 * `GET /v1/me`: what the calling key is: its id, owner, plan and scopes. Needs no scope, touches
 * no database (the key is already authenticated), so clients can check a key cheaply and the
 * gateway benchmark can measure auth + rate limit alone.
 */
@Controller('v1/me')
export class MeController {
  @Get()
  @Access({ anyKey: true })
  me(@CurrentKey() actor: KeyActor) {
    return {
      object: 'api_key_identity' as const,
      key_id: actor.keyId,
      user_id: actor.userId,
      organization_id: actor.organizationId,
      plan: actor.plan,
      scopes: [...actor.scopes],
    };
  }
}
