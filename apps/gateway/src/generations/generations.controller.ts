import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequireScope } from '../auth/access.decorator';
import type { KeyActor } from '../auth/actor';
import { CurrentKey } from '../auth/current-actor.decorator';
import { ListQueryDto } from '../common/pagination';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { GenerateDto, SyncGenerateDto } from './generation.dto';
import { GenerationsService } from './generations.service';

@Controller('v1')
export class GenerationsController {
  constructor(private readonly generations: GenerationsService) {}

  /** 202 at once; the client polls the Location. */
  @Post('diagrams/generate')
  @HttpCode(202)
  @RequireScope('generate', { ai: true })
  @Idempotent()
  async submit(@CurrentKey() actor: KeyActor, @Body() body: GenerateDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const generation = await this.generations.submit(actor, body);
    reply.header('Location', `/api/v1/generations/${generation.id}`).header('Retry-After', '1');
    return generation;
  }

  @Get('generations/:id')
  @RequireScope('diagrams:read')
  async get(@CurrentKey() actor: KeyActor, @Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const generation = await this.generations.get(actor, id);
    if (generation.status === 'queued' || generation.status === 'processing') reply.header('Retry-After', String(await this.generations.retryAfterSeconds()));
    return generation;
  }

  @Get('generations')
  @RequireScope('diagrams:read')
  list(@CurrentKey() actor: KeyActor, @Query() query: ListQueryDto) {
    return this.generations.list(actor, query);
  }

  /** The same pipeline through the same queue, waited for; saves nothing. */
  @Post('ai/generate')
  @HttpCode(200)
  @RequireScope('ai:write', { ai: true })
  @Idempotent()
  generateNow(@CurrentKey() actor: KeyActor, @Body() body: SyncGenerateDto, @Req() request: FastifyRequest) {
    return this.generations.generateNow(actor, body, String(request.id));
  }
}
