import { Controller, Get } from '@nestjs/common';
import { periodResetsAt, usagePeriod, UsageRepository } from '@flowsmith/database';
import { ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/access.decorator';
import type { KeyActor } from '../auth/actor';
import { CurrentKey } from '../auth/current-actor.decorator';
import { GatewayConfig } from '../common/gateway-config';
import { timestamp } from '../common/pagination';
import { ApiEndpoint, ApiOk } from '../openapi/api-docs.decorators';
import { UsageResource } from '../openapi/schemas';

@ApiTags('Usage')
@Controller('v1/usage')
export class UsageController {
  constructor(
    private readonly usage: UsageRepository,
    private readonly config: GatewayConfig,
  ) {}

  /** The owner's monthly buckets: every key of the owner reads the same numbers. */
  @Get()
  @ApiEndpoint('Get the owner\'s usage', { description: 'Monthly buckets, shared by all of the owner\'s keys; they reset at 00:00 UTC on the 1st. `limit: null` is unlimited.' })
  @ApiOk(UsageResource, { description: 'The usage.' })
  @RequireScope('usage:read')
  async get(@CurrentKey() actor: KeyActor) {
    const now = new Date();
    const limits = this.config.plans[actor.plan];
    const [counters, shares] = await Promise.all([this.usage.counters(actor.ownerId, usagePeriod(now)), this.usage.activeShares(actor.ownerId)]);
    const resetsAt = timestamp(periodResetsAt(now));
    return {
      object: 'usage' as const,
      plan: actor.plan,
      actor: 'api_key' as const,
      exports: { used: counters.exportsUsed, limit: limits.exports_per_month, resets_at: resetsAt },
      ai: {
        enabled: limits.ai_enabled,
        used: counters.aiUsed,
        reserved: counters.aiReserved,
        limit: limits.ai_enabled ? limits.ai_per_month : 0,
        resets_at: resetsAt,
      },
      shares: { used: shares, limit: limits.shares },
    };
  }
}
