import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DEFAULT_THEME, GENERATION_FORMATS, GenerateJobResult, isGenerationFormat, looksLikePromptInjection, QueueName } from '@flowsmith/contracts';
import {
  DiagramsRepository, FoldersRepository, Generation, generationJobPriority, GenerationsRepository, NewGeneration, periodResetsAt, usagePeriod, UsageRepository,
} from '@flowsmith/database';
import { metrics } from '@flowsmith/observability';
import { JobWaitTimeoutError, liveWorkers, QueueClient, QueueUnavailableError } from '@flowsmith/queue';
import type { KeyActor } from '../auth/actor';
import { ApiError, notFound } from '../common/api-error';
import { GatewayConfig } from '../common/gateway-config';
import { ListQueryDto, listResponse, pageQuery, timestamp } from '../common/pagination';
import { presentDiagram } from '../diagrams/diagram.presenter';
import { REDIS_COMMANDS } from '../redis.providers';
import { GENERATION_QUEUE } from '../queue-clients';
import { EditDto, GenerateDto, RepairDto, SyncGenerateDto } from './generation.dto';

/** How long the synchronous route waits for its generation (provider retries included). */
const SYNC_BUDGET_MS = 120_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a request asks of a new Generation; `promptParam` names the body field its prompt came from (for errors). */
type Admission = Omit<NewGeneration, 'id' | 'ownerId' | 'organizationId' | 'createdBy' | 'apiKeyId'> & { promptParam?: string };

/** The fields of an Admission that only some kinds set. */
const NOTHING_TO_EDIT = { diagramId: null, source: null, hint: null, theme: DEFAULT_THEME, format: 'svg', name: null, folderId: null, promptParam: 'prompt' } as const;

export function newGenerationId(): string {
  return `gen_${randomBytes(12).toString('hex')}`;
}

@Injectable()
export class GenerationsService {
  constructor(
    private readonly generations: GenerationsRepository,
    private readonly diagrams: DiagramsRepository,
    private readonly folders: FoldersRepository,
    private readonly usage: UsageRepository,
    private readonly config: GatewayConfig,
    @Inject(GENERATION_QUEUE) private readonly generationQueue: QueueClient<QueueName.Generation>,
    @Inject(REDIS_COMMANDS) private readonly redis: Redis,
  ) {}

  /**
   * Plan check, injection screen, the owner's cap on generations in flight and the quota
   * reservation: everything that can refuse before any work. The cap and the reservation are one
   * statement (GenerationsRepository.createWithReservation), exact under concurrent submits.
   */
  private async admit(actor: KeyActor, input: Admission) {
    const limits = this.aiLimits(actor);
    if (input.mode === 'sync' && looksLikePromptInjection(input.prompt)) {
      throw new ApiError('prompt_injection', 'The prompt tries to change the generator\'s instructions; it was not sent to the model.', { param: input.promptParam });
    }
    if (input.folderId && !(await this.folders.findVisible(input.folderId, actor.ownerId))) throw notFound('Folder', 'folder_id');
    const { promptParam: _, ...fields } = input;
    const generation = await this.generations.createWithReservation(
      { id: newGenerationId(), ownerId: actor.ownerId, organizationId: actor.organizationId, createdBy: actor.userId, apiKeyId: actor.keyId, ...fields },
      limits.ai_per_month,
      this.config.env.GENERATION_IN_FLIGHT_PER_OWNER,
    );
    if (!generation) {
      // One read to say why: the statement refuses both ways alike.
      const cap = this.config.env.GENERATION_IN_FLIGHT_PER_OWNER;
      const { aiReserved } = await this.usage.counters(actor.ownerId, usagePeriod());
      if (aiReserved >= cap) {
        metrics.rateLimitDenials.inc({ bucket: 'generations_in_flight' });
        throw new ApiError('rate_limited', `${aiReserved} generations of this account are already queued or in progress, the most it may have at once (${cap}). Retry when one has finished.`, {
          headers: { 'Retry-After': String(await this.retryAfterSeconds()) },
        });
      }
      throw new ApiError('quota_exhausted', `This ${actor.plan} plan's ${limits.ai_per_month} AI generations for the month are spent or in use; the bucket resets at ${timestamp(periodResetsAt())}.`);
    }
    return generation;
  }

  private aiLimits(actor: KeyActor) {
    const limits = this.config.plans[actor.plan];
    if (!limits.ai_enabled) throw new ApiError('plan_not_allowed', `The ${actor.plan} plan does not include AI generation. Upgrade to pro or premium.`);
    return limits;
  }

  async submit(actor: KeyActor, body: GenerateDto) {
    const generation = await this.admit(actor, {
      ...NOTHING_TO_EDIT,
      mode: 'async',
      kind: 'generate',
      sourceFormat: body.source_format ?? 'mermaid',
      prompt: body.prompt,
      hint: body.hint ?? null,
      theme: body.theme ?? DEFAULT_THEME,
      format: body.format ?? 'png',
      name: body.name ?? null,
      folderId: body.folder_id ?? null,
    });
    return this.enqueue(actor, generation);
  }

  /** An AI edit: a Generation of kind `edit` whose success is the diagram's next revision. */
  async edit(actor: KeyActor, diagramId: string, body: EditDto) {
    this.aiLimits(actor);
    const diagram = UUID.test(diagramId) ? await this.diagrams.findVisible(diagramId, actor.ownerId) : null;
    if (!diagram) throw notFound('Diagram');
    if (!isGenerationFormat(diagram.sourceFormat)) {
      throw new ApiError('instruction_rejected', `AI edits write ${GENERATION_FORMATS.join(', ')}; this diagram is ${diagram.sourceFormat}.`);
    }
    const generation = await this.admit(actor, {
      ...NOTHING_TO_EDIT,
      mode: 'async',
      kind: 'edit',
      sourceFormat: diagram.sourceFormat,
      diagramId: diagram.id,
      prompt: body.instruction,
      promptParam: 'instruction',
      theme: body.theme ?? DEFAULT_THEME,
      format: body.format ?? 'png',
    });
    return this.enqueue(actor, generation);
  }

  private async enqueue(actor: KeyActor, generation: Generation) {
    try {
      await this.generationQueue.enqueue('generate', { generationId: generation.id }, { jobId: generation.id, ...this.priorityOf(actor) });
    } catch {
      throw await this.unqueued(generation.id);
    }
    return this.present(generation);
  }

  async generateNow(actor: KeyActor, body: SyncGenerateDto, requestId: string) {
    const sourceFormat = body.source_format ?? 'mermaid';
    const generation = await this.admit(actor, { ...NOTHING_TO_EDIT, mode: 'sync', kind: 'generate', sourceFormat, prompt: body.prompt, hint: body.hint ?? null });
    const { result, model, quota } = await this.runNow(actor, generation);
    return {
      object: 'ai_generation' as const,
      // Mermaid sources are also `mermaid`, as before source_format existed.
      ...(result.sourceFormat === 'mermaid' ? { mermaid: result.source } : {}),
      source: result.source,
      source_format: result.sourceFormat,
      diagram_type: result.diagramType,
      model,
      request_id: requestId,
      quota,
    };
  }

  /** A source made to parse: returned as it is (no model, no quota) when it already does. */
  async repair(actor: KeyActor, body: RepairDto, requestId: string) {
    const generation = await this.admit(actor, {
      ...NOTHING_TO_EDIT, mode: 'sync', kind: 'repair', sourceFormat: body.source_format, source: body.source, prompt: body.error ?? '', promptParam: 'error',
    });
    const { result, model, quota } = await this.runNow(actor, generation);
    return {
      object: 'ai_repair' as const,
      source: result.source,
      source_format: result.sourceFormat,
      diagram_type: result.diagramType,
      repaired: result.source !== body.source,
      model,
      request_id: requestId,
      quota,
    };
  }

  /** Runs a sync generation through the queue and waits for it; its failure is the response's error. */
  private async runNow(actor: KeyActor, generation: Generation) {
    let result: GenerateJobResult;
    try {
      result = await this.generationQueue.enqueueAndWait('generate', { generationId: generation.id }, { jobId: generation.id, timeoutMs: SYNC_BUDGET_MS, failFast: true, ...this.priorityOf(actor) });
    } catch (error) {
      if (error instanceof QueueUnavailableError) throw await this.unqueued(generation.id);
      if (error instanceof JobWaitTimeoutError) throw new ApiError('upstream_timeout', 'The generation did not finish in time. Poll GET /v1/generations for its outcome, or retry.');
      throw new ApiError('upstream_error', 'The generation could not be completed; no quota was spent. Retry it.');
    }
    if (result.status === 'failed') throw new ApiError(result.error.code, result.error.message);
    const limits = this.config.plans[actor.plan];
    const [counters, stored] = await Promise.all([this.usage.counters(actor.ownerId, usagePeriod()), this.generations.findVisible(generation.id, actor.ownerId)]);
    return { result, model: stored?.model ?? null, quota: { limit: limits.ai_per_month, used: counters.aiUsed, resets_at: timestamp(periodResetsAt()) } };
  }

  /** Paying plans' jobs ahead of every free one (generationJobPriority). */
  private priorityOf(actor: KeyActor): { priority?: number } {
    const priority = generationJobPriority(actor.plan);
    return priority ? { priority } : {};
  }

  /**
   * Redis did not take the job (or went away while we waited): the generation fails now, releasing
   * its unit, and the client gets a 503 to retry. A job that reaches a worker later finds it final.
   */
  private async unqueued(id: string): Promise<ApiError> {
    const message = 'The service is temporarily unavailable: the generation could not be queued. No quota was spent; retry shortly.';
    await this.generations.fail(id, { type: 'api_error', code: 'service_unavailable', message }, null).catch(() => undefined);
    return new ApiError('service_unavailable', message, { headers: { 'Retry-After': '5' } });
  }

  async get(actor: KeyActor, id: string) {
    const generation = /^gen_[0-9a-f]{24}$/.test(id) ? await this.generations.findVisible(id, actor.ownerId) : null;
    if (!generation) throw notFound('Generation');
    return this.present(generation);
  }

  async list(actor: KeyActor, query: ListQueryDto) {
    const page = pageQuery('generations', query);
    const rows = await this.generations.list(actor.ownerId, page);
    const presented = await Promise.all(rows.slice(0, page.limit).map((row) => this.present(row)));
    const envelope = listResponse('generations', rows, page.limit, (row) => row.id);
    return { ...envelope, data: presented };
  }

  /**
   * Seconds a poller should wait: the queue's backlog spread over the live workers, at an
   * estimated 2 s a generation, never below 1 (docs/api.md).
   */
  async retryAfterSeconds(): Promise<number> {
    const env = this.config.env;
    const [waiting, workers] = await Promise.all([
      // Prioritized jobs (free plans: generationJobPriority) wait in a set of their own.
      this.generationQueue.queue.getJobCountByTypes('waiting', 'prioritized').catch(() => 0),
      liveWorkers(this.redis, env.REDIS_PREFIX, QueueName.Generation, env.WORKER_HEARTBEAT_SECONDS).catch(() => 1),
    ]);
    return Math.min(30, Math.max(1, Math.ceil((waiting * 2) / Math.max(1, workers * 4))));
  }

  async present(generation: Generation) {
    const diagram = generation.status === 'succeeded' && generation.diagramId ? await this.diagrams.findVisible(generation.diagramId, generation.ownerId) : null;
    return {
      object: 'generation' as const,
      id: generation.id,
      kind: generation.kind,
      status: generation.status,
      prompt: generation.prompt,
      source_format: generation.sourceFormat,
      hint: generation.hint,
      theme: generation.theme,
      format: generation.format,
      model: generation.model,
      diagram_id: generation.diagramId,
      revision: generation.revision,
      diagram: diagram ? presentDiagram(diagram) : null,
      image_url: diagram ? `/api/v1/diagrams/${diagram.id}/image?theme=${generation.theme}&format=${generation.format}` : null,
      error: generation.error ?? null,
      created_at: timestamp(generation.createdAt),
      completed_at: timestamp(generation.completedAt),
    };
  }
}
