import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequireScope } from '../auth/access.decorator';
import type { KeyActor } from '../auth/actor';
import { CurrentKey } from '../auth/current-actor.decorator';
import { ListQueryDto } from '../common/pagination';
import { ApiEndpoint, ApiList, ApiOk, header } from '../openapi/api-docs.decorators';
import { AiGenerationResource, AiRepairResource, GenerationResource } from '../openapi/schemas';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { EditDto, GenerateDto, RepairDto, SyncGenerateDto } from './generation.dto';
import { GenerationsService } from './generations.service';

@ApiTags('Generation')
@Controller('v1')
export class GenerationsController {
  constructor(private readonly generations: GenerationsService) {}

  /** 202 at once; the client polls the Location. */
  @Post('diagrams/generate')
  @HttpCode(202)
  @ApiEndpoint('Generate a diagram from a prompt (asynchronous)', {
    description: 'Queues a Generation and answers 202 at once; poll its Location until it succeeds or fails. Prompt-injection patterns are refused before any model call.',
    errors: ['plan_not_allowed', 'prompt_injection', 'quota_exhausted', 'resource_not_found'],
  })
  @ApiOk(GenerationResource, {
    status: 202,
    description: 'The queued generation.',
    headers: { Location: header('`/api/v1/generations/{id}`: where to poll.'), 'Retry-After': header('Seconds before the first poll.', 'integer') },
  })
  @RequireScope('generate', { ai: true })
  @Idempotent()
  async submit(@CurrentKey() actor: KeyActor, @Body() body: GenerateDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const generation = await this.generations.submit(actor, body);
    reply.header('Location', `/api/v1/generations/${generation.id}`).header('Retry-After', '1');
    return generation;
  }

  /** An AI edit: 202 at once, polled like a generation; its success is the diagram's next revision. */
  @Post('diagrams/:id/edits')
  @HttpCode(202)
  @ApiEndpoint('Edit a diagram with AI (asynchronous)', {
    description:
      'Queues a Generation of kind `edit` and answers 202 at once; poll its Location. The model gets the current source, its language and the folder\'s context; ' +
      'on success the edited source, checked by the parser, is the diagram\'s next revision (`diagram_id`, `revision`).',
    errors: ['plan_not_allowed', 'instruction_rejected', 'quota_exhausted', 'resource_not_found'],
  })
  @ApiOk(GenerationResource, {
    status: 202,
    description: 'The queued edit.',
    headers: { Location: header('`/api/v1/generations/{id}`: where to poll.'), 'Retry-After': header('Seconds before the first poll.', 'integer') },
  })
  @RequireScope('generate', { ai: true })
  @Idempotent()
  async edit(@CurrentKey() actor: KeyActor, @Param('id') id: string, @Body() body: EditDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const generation = await this.generations.edit(actor, id, body);
    reply.header('Location', `/api/v1/generations/${generation.id}`).header('Retry-After', '1');
    return generation;
  }

  @Get('generations/:id')
  @ApiEndpoint('Get a generation', { description: 'While queued or processing it carries Retry-After.' })
  @ApiOk(GenerationResource, { description: 'The generation.', headers: { 'Retry-After': header('While queued or processing: seconds before the next poll.', 'integer') } })
  @RequireScope('diagrams:read')
  async get(@CurrentKey() actor: KeyActor, @Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const generation = await this.generations.get(actor, id);
    if (generation.status === 'queued' || generation.status === 'processing') reply.header('Retry-After', String(await this.generations.retryAfterSeconds()));
    return generation;
  }

  @Get('generations')
  @ApiEndpoint('List generations')
  @ApiList(GenerationResource)
  @RequireScope('diagrams:read')
  list(@CurrentKey() actor: KeyActor, @Query() query: ListQueryDto) {
    return this.generations.list(actor, query);
  }

  /** The same pipeline through the same queue, waited for; saves nothing. */
  @Post('ai/generate')
  @HttpCode(200)
  @ApiEndpoint('Generate a diagram\'s source from a prompt (synchronous)', {
    description: 'Runs the generation pipeline, waits for it and saves nothing. AI quota is spent only on success.',
    errors: ['plan_not_allowed', 'prompt_injection', 'instruction_rejected', 'parse_failed_after_retry', 'quota_exhausted', 'safety_blocked', 'upstream_error', 'upstream_timeout'],
  })
  @ApiOk(AiGenerationResource, { description: 'The generated source and the owner\'s AI quota.' })
  @RequireScope('ai:write', { ai: true })
  @Idempotent()
  generateNow(@CurrentKey() actor: KeyActor, @Body() body: SyncGenerateDto, @Req() request: FastifyRequest) {
    return this.generations.generateNow(actor, body, String(request.id));
  }

  /** The pipeline's parse-and-retry on a caller's source, waited for; saves nothing. */
  @Post('ai/repair')
  @HttpCode(200)
  @ApiEndpoint('Repair a source that does not parse (synchronous)', {
    description: 'Parses the source; if it fails, the model fixes it (one more round if its fix fails too). A source that already parses comes back unchanged, with no model call and no quota spent.',
    errors: ['plan_not_allowed', 'prompt_injection', 'instruction_rejected', 'parse_failed_after_retry', 'quota_exhausted', 'safety_blocked', 'source_too_large', 'upstream_error', 'upstream_timeout'],
  })
  @ApiOk(AiRepairResource, { description: 'A source that parses, and the owner\'s AI quota.' })
  @RequireScope('ai:write', { ai: true })
  @Idempotent()
  repair(@CurrentKey() actor: KeyActor, @Body() body: RepairDto, @Req() request: FastifyRequest) {
    return this.generations.repair(actor, body, String(request.id));
  }
}
