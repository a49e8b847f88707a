import { Body, Controller, Delete, Get, Headers, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Access, RequireScope } from '../auth/access.decorator';
import type { KeyActor } from '../auth/actor';
import { CurrentKey } from '../auth/current-actor.decorator';
import { notFound } from '../common/api-error';
import { ListQueryDto } from '../common/pagination';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { RenderClient } from '../rendering/render-client.service';
import { CreateShareDto } from './share.dto';
import { SharesService } from './shares.service';

@Controller('v1')
export class SharesController {
  constructor(
    private readonly shares: SharesService,
    private readonly renders: RenderClient,
  ) {}

  @Post('share')
  @RequireScope('share:write')
  @Idempotent()
  create(@CurrentKey() actor: KeyActor, @Body() body: CreateShareDto) {
    return this.shares.create(actor, body);
  }

  @Get('shares')
  @RequireScope('share:write')
  list(@CurrentKey() actor: KeyActor, @Query() query: ListQueryDto) {
    return this.shares.list(actor, query);
  }

  @Delete('share/:id')
  @RequireScope('share:write')
  revoke(@CurrentKey() actor: KeyActor, @Param('id') id: string) {
    return this.shares.revoke(actor, id);
  }

  /** Public: `GET /v1/share/{id}.svg` or `.png`, unwatermarked, cacheable by CDNs for 5 minutes. */
  @Get('share/:file')
  @Access({ public: true, anonymous: 'embed', ignoreKey: true })
  async read(@Param('file') file: string, @Headers('if-none-match') ifNoneMatch: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    const match = /^([0-9A-Za-z]+)\.(svg|png)$/.exec(file);
    if (!match) throw notFound('Share');
    reply.header('Access-Control-Allow-Origin', '*');
    const input = await this.shares.renderInput(match[1], match[2] as 'svg' | 'png');
    reply.header('Cache-Control', 'public, s-maxage=300');
    return (await this.renders.serve(reply, input, ifNoneMatch)).body;
  }
}
