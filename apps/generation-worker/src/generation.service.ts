import { Inject, Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import {
  ERROR_CATALOG, GenerateJobResult, GenerationErrorCode, GenerationHint, looksLikePromptInjection, OutputFormat, ParseJobResult,
  QueueName, RENDER_BUDGET_MS, ThemeId,
} from '@flowsmith/contracts';
import { FoldersRepository, Generation, GenerationsRepository } from '@flowsmith/database';
import { InjectQueueClient, QueueClient, RenderQueue } from '@flowsmith/queue';
import { MODEL_PROVIDER, ModelAnswer, ModelProvider, ProviderError } from './providers/model-provider';

/** A failure that ends the generation (no retry can fix it). */
class GenerationFailure extends Error {
  constructor(readonly code: GenerationErrorCode, message: string) {
    super(message);
  }
}

function errorObject(code: GenerationErrorCode, message: string) {
  const catalog = (ERROR_CATALOG as Record<string, { type: string }>)[code];
  return { type: catalog?.type ?? 'api_error', code, message };
}

/**
 * The generation pipeline: screen for prompt injection, ask the model, validate the Mermaid with
 * the real parser (the render worker), ask once more with the parser's message if it fails, then
 * save the diagram, render its image so `image_url` is a cache hit, and spend the quota, in one
 * transaction with the status change. Provider overloads and 5xx are thrown back to BullMQ,
 * which retries with backoff; on the last attempt they fail the generation instead.
 */
@Injectable()
export class GenerationService {
  private readonly logger = new Logger(GenerationService.name);
  private readonly renderQueue: RenderQueue;

  constructor(
    private readonly generations: GenerationsRepository,
    private readonly folders: FoldersRepository,
    @Inject(MODEL_PROVIDER) private readonly provider: ModelProvider,
    @InjectQueueClient(QueueName.Render) renderQueue: QueueClient<QueueName.Render>,
  ) {
    // QueueName.Render: the lane of paid keys and of the generation worker's own renders.
    this.renderQueue = new RenderQueue(renderQueue);
  }

  async run(generationId: string, lastAttempt: boolean): Promise<GenerateJobResult> {
    const generation = await this.generations.markProcessing(generationId);
    if (!generation) return this.finalResult(generationId); // already final: a re-run after a crash
    try {
      return await this.pipeline(generation);
    } catch (error) {
      if (error instanceof GenerationFailure) return this.failWith(generation.id, error.code, error.message);
      if (error instanceof ProviderError) {
        if (error.retryable && !lastAttempt) throw error; // BullMQ backs off and retries
        return this.failWith(generation.id, error.code, error.message);
      }
      throw error; // infrastructure (database, Redis): retried, and failed by the reaper if it never recovers
    }
  }

  private async pipeline(generation: Generation): Promise<GenerateJobResult> {
    if (looksLikePromptInjection(generation.prompt)) {
      throw new GenerationFailure('prompt_injection', 'The prompt tries to change the generator\'s instructions; it was not sent to the model.');
    }
    const context = generation.folderId ? ((await this.folders.findVisible(generation.folderId, generation.ownerId))?.context ?? null) : null;
    const request = { prompt: generation.prompt, hint: generation.hint as GenerationHint | null, context };

    let answer = this.diagramOf(await this.provider.generate(request));
    let parsed = await this.parse(answer.mermaid);
    if (!parsed.ok) {
      answer = this.diagramOf(await this.provider.generate({ ...request, previous: { mermaid: answer.mermaid, parserError: parsed.error.message } }));
      parsed = await this.parse(answer.mermaid);
      if (!parsed.ok) throw new GenerationFailure('parse_failed_after_retry', `The model's Mermaid did not parse twice; last error: ${parsed.error.message}`);
    }
    if (generation.mode === 'async') await this.render(answer.mermaid, generation.theme as ThemeId, generation.format as OutputFormat);
    const done = await this.generations.succeed(generation.id, {
      mermaid: answer.mermaid,
      diagramType: parsed.diagramType,
      model: this.provider.model,
      diagram: generation.mode === 'async' ? { name: generation.name ?? answer.title } : null,
    });
    if (!done) return this.finalResult(generation.id);
    return { status: 'succeeded', mermaid: answer.mermaid, diagramType: parsed.diagramType, diagramId: done.diagramId };
  }

  private diagramOf(answer: ModelAnswer) {
    if (answer.kind === 'not_a_diagram') throw new GenerationFailure('instruction_rejected', `The prompt does not describe a diagram: ${answer.reason}`);
    return answer;
  }

  private async parse(mermaid: string): Promise<ParseJobResult & { diagramType?: string }> {
    return this.renderQueue.parse({ source: mermaid, sourceFormat: 'mermaid' }, { timeoutMs: RENDER_BUDGET_MS });
  }

  /** Renders into the shared cache, so the first fetch of image_url is a hit. */
  private async render(mermaid: string, theme: ThemeId, format: OutputFormat): Promise<void> {
    const input = { source: mermaid, sourceFormat: 'mermaid' as const, theme, format, scale: 1 as const, watermark: false };
    const result = await this.renderQueue.render(input, { timeoutMs: RENDER_BUDGET_MS });
    if (result && !result.ok) this.logger.warn(`generated diagram did not render: ${result.error.code}`);
  }

  /** The queue gave up on this generation's job: fail it so the client and the quota know. */
  async giveUp(generationId: string, reason: string): Promise<void> {
    this.logger.error(`generation ${generationId} failed after its last attempt: ${reason}`);
    await this.generations.fail(generationId, errorObject('upstream_error', 'The generation could not be completed; no quota was spent. Retry it.'), this.provider.model).catch(() => undefined);
  }

  private async failWith(id: string, code: GenerationErrorCode, message: string): Promise<GenerateJobResult> {
    await this.generations.fail(id, errorObject(code, message), this.provider.model);
    return { status: 'failed', error: { code, message } };
  }

  private async finalResult(id: string): Promise<GenerateJobResult> {
    const generation = await this.generations.findById(id);
    if (!generation) throw new UnrecoverableError(`generation ${id} does not exist`);
    if (generation.status === 'succeeded') return { status: 'succeeded', mermaid: generation.mermaid ?? '', diagramType: generation.diagramType ?? '', diagramId: generation.diagramId };
    const error = (generation.error ?? {}) as { code?: GenerationErrorCode; message?: string };
    return { status: 'failed', error: { code: error.code ?? 'upstream_error', message: error.message ?? 'The generation failed.' } };
  }
}
