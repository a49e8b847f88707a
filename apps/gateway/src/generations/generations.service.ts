import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { GenerateJobResult, looksLikePromptInjection, QueueName } from '@flowsmith/contracts';
import { DiagramsRepository, FoldersRepository, Generation, generationJobPriority, GenerationsRepository, periodResetsAt, usagePeriod, UsageRepository } from '@flowsmith/database';
import { metrics } from '@flowsmith/observability';
import { JobWaitTimeoutError, liveWorkers, QueueClient, QueueUnavailableError } from '@flowsmith/queue';
import type { KeyActor } from '../auth/actor';
import { ApiError, notFound } from '../common/api-error';
import { GatewayConfig } from '../common/gateway-config';
import { ListQueryDto, listResponse, pageQuery, timestamp } from '../common/pagination';
import { presentDiagram } from '../diagrams/diagram.presenter';
import { REDIS_COMMANDS } from '../redis.providers';
import { GENERATION_QUEUE } from '../queue-clients';
import { GenerateDto, SyncGenerateDto } from './generation.dto';

/** How long the synchronous route waits for its generation (provider retries included). */
const SYNC_BUDGET_MS = 120_000;

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
  private async admit(actor: KeyActor, body: SyncGenerateDto, extra: { mode: 'async' | 'sync'; theme: string; format: string; name: string | null; folderId: string | null }) {
    const limits = this.config.plans[actor.plan];
    if (!limits.ai_enabled) throw new ApiError('plan_not_allowed', `The ${actor.plan} plan does not include AI generation. Upgrade to pro or premium.`);
    if (extra.mode === 'sync' && looksLikePromptInjection(body.prompt)) {
      throw new ApiError('prompt_injection', 'The prompt tries to change the generator\'s instructions; it was not sent to the model.', { param: 'prompt' });
    }
    if (extra.folderId && !(await this.folders.findVisible(extra.folderId, actor.ownerId))) throw notFound('Folder', 'folder_id');
    const generation = await this.generations.createWithReservation(
      {
        id: newGenerationId(),
        ownerId: actor.ownerId,
        organizationId: actor.organizationId,
        createdBy: actor.userId,
        apiKeyId: actor.keyId,
        mode: extra.mode,
        prompt: body.prompt,
        hint: body.hint ?? null,
        theme: extra.theme,
        format: extra.format,
        name: extra.name,
        folderId: extra.folderId,
      },
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

  async submit(actor: KeyActor, body: GenerateDto) {
    const generation = await this.admit(actor, body, {
      mode: 'async',
      theme: body.theme ?? 'light',
      format: body.format ?? 'png',
      name: body.name ?? null,
      folderId: body.folder_id ?? null,
    });
    try {
      await this.generationQueue.enqueue('generate', { generationId: generation.id }, { jobId: generation.id, ...this.priorityOf(actor) });
    } catch {
      throw await this.unqueued(generation.id);
    }
    return this.present(generation);
  }

  async generateNow(actor: KeyActor, body: SyncGenerateDto, requestId: string) {
    const generation = await this.admit(actor, body, { mode: 'sync', theme: 'light', format: 'svg', name: null, folderId: null });
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
    const counters = await this.usage.counters(actor.ownerId, usagePeriod());
    return {
      object: 'ai_generation' as const,
      mermaid: result.mermaid,
      diagram_type: result.diagramType,
      request_id: requestId,
      quota: { limit: limits.ai_per_month, used: counters.aiUsed, resets_at: timestamp(periodResetsAt()) },
    };
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
      status: generation.status,
      prompt: generation.prompt,
      hint: generation.hint,
      theme: generation.theme,
      format: generation.format,
      model: generation.model,
      diagram: diagram ? presentDiagram(diagram) : null,
      image_url: diagram ? `/api/v1/diagrams/${diagram.id}/image?theme=${generation.theme}&format=${generation.format}` : null,
      error: generation.error ?? null,
      created_at: timestamp(generation.createdAt),
      completed_at: timestamp(generation.completedAt),
    };
  }
}
