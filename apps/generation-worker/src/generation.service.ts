import { Inject, Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import {
  ERROR_CATALOG, GenerateJobResult, GenerationErrorCode, GenerationFormat, GenerationHint, GenerationKind, LANGUAGES, looksLikePromptInjection, OutputFormat,
  ParseJobResult, QueueName, RENDER_BUDGET_MS, ThemeId,
} from '@flowsmith/contracts';
import { DiagramsRepository, EditRefused, FoldersRepository, Generation, GenerationsRepository, OnFinal } from '@flowsmith/database';
import { InjectQueueClient, QueueClient, RenderQueue } from '@flowsmith/queue';
import { generationEventObject, WebhookEvents } from '@flowsmith/webhooks';
import { MODEL_PROVIDER, ModelAnswer, ModelProvider, ModelRequest, ProviderError } from './providers/model-provider';

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
 * The generation pipeline, for new diagrams, edits and repairs in any GENERATION_FORMATS language:
 * screen for prompt injection, ask the model, validate the source with the real parser (the render
 * worker), ask once more with the parser's message if it fails, then save the diagram (or the
 * edit's revision), render its image so `image_url` is a cache hit, and spend the quota (release
 * it when no model ran), in one transaction with the status change. Provider overloads and 5xx are thrown back to BullMQ,
 * which retries with backoff; on the last attempt they fail the generation instead.
 */
@Injectable()
export class GenerationService {
  private readonly logger = new Logger(GenerationService.name);
  private readonly renderQueue: RenderQueue;

  constructor(
    private readonly generations: GenerationsRepository,
    private readonly folders: FoldersRepository,
    private readonly diagrams: DiagramsRepository,
    @Inject(MODEL_PROVIDER) private readonly provider: ModelProvider,
    @InjectQueueClient(QueueName.Render) renderQueue: QueueClient<QueueName.Render>,
    private readonly webhookEvents: WebhookEvents,
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
    const kind = generation.kind as GenerationKind;
    const sourceFormat = generation.sourceFormat as GenerationFormat;
    if (looksLikePromptInjection(generation.prompt)) {
      throw new GenerationFailure('prompt_injection', 'The prompt tries to change the generator\'s instructions; it was not sent to the model.');
    }
    const target = kind === 'edit' ? await this.editedDiagram(generation, sourceFormat) : null;
    const folderId = target ? target.folderId : generation.folderId;
    const context = folderId ? ((await this.folders.findVisible(folderId, generation.ownerId))?.context ?? null) : null;
    const request: ModelRequest = { task: kind, prompt: generation.prompt, sourceFormat, hint: generation.hint as GenerationHint | null, context, current: target?.source };
    if (kind === 'repair') {
      // A source that already parses needs no model, and spends nothing.
      const source = generation.mermaid ?? '';
      const parsed = await this.parse(source, sourceFormat);
      if (parsed.ok) return this.succeed(generation, { source, title: '' }, parsed.diagramType, false);
      request.current = source;
      request.currentError = parsed.error.message;
    }
    let answer = this.diagramOf(kind, await this.provider.generate(request));
    let parsed = await this.parse(answer.source, sourceFormat);
    if (!parsed.ok) {
      answer = this.diagramOf(kind, await this.provider.generate({ ...request, previous: { source: answer.source, parserError: parsed.error.message } }));
      parsed = await this.parse(answer.source, sourceFormat);
      if (!parsed.ok) throw new GenerationFailure('parse_failed_after_retry', `The model's ${LANGUAGES[sourceFormat].label} did not parse twice; last error: ${parsed.error.message}`);
    }
    if (generation.mode === 'async') await this.render(answer.source, sourceFormat, generation.theme as ThemeId, generation.format as OutputFormat);
    // The offline generator is rules, not a model: it spends no AI quota.
    return this.succeed(generation, answer, parsed.diagramType, this.provider.model !== 'offline', target?.revision);
  }

  /** An edit's diagram as it is now; its language must still be the one the edit was accepted for. */
  private async editedDiagram(generation: Generation, sourceFormat: GenerationFormat) {
    const diagram = generation.diagramId ? await this.diagrams.findVisible(generation.diagramId, generation.ownerId) : null;
    if (!diagram) throw new GenerationFailure('resource_not_found', 'The diagram was deleted before it could be edited.');
    if (diagram.sourceFormat !== sourceFormat) throw new GenerationFailure('precondition_failed', `The diagram's language changed to ${diagram.sourceFormat} since the edit was accepted; nothing was written.`);
    return diagram;
  }

  private async succeed(generation: Generation, answer: { source: string; title: string }, diagramType: string | undefined, spend: boolean, editedRevision?: number): Promise<GenerateJobResult> {
    let done: Generation | null;
    const event = this.finalEvent('generation.succeeded');
    try {
      done = await this.generations.succeed(generation.id, {
        source: answer.source,
        diagramType: diagramType ?? '',
        model: this.provider.model,
        diagram: generation.mode === 'async' && generation.kind === 'generate' ? { name: generation.name ?? answer.title } : null,
        edited: editedRevision !== undefined ? { revision: editedRevision } : undefined,
        spend,
      }, event.record);
    } catch (error) {
      if (error instanceof EditRefused) throw new GenerationFailure(error.reason === 'not_found' ? 'resource_not_found' : 'precondition_failed', error.message);
      throw error;
    }
    await event.enqueue();
    if (!done) return this.finalResult(generation.id);
    return this.succeeded(done);
  }

  private diagramOf(kind: GenerationKind, answer: ModelAnswer) {
    if (answer.kind === 'not_a_diagram') {
      const what = kind === 'edit' ? 'The instruction was not applied' : kind === 'repair' ? 'The source was not repaired' : 'The prompt does not describe a diagram';
      throw new GenerationFailure('instruction_rejected', `${what}: ${answer.reason}`);
    }
    return answer;
  }

  /** The parser's verdict; a parser that ran out of time has none, and the job is retried rather than the model asked to fix a source that may be fine. */
  private async parse(source: string, sourceFormat: GenerationFormat): Promise<ParseJobResult & { diagramType?: string }> {
    const result = await this.renderQueue.parse({ source, sourceFormat }, { timeoutMs: RENDER_BUDGET_MS });
    if (!result.ok && result.error.code === 'render_timeout') throw new Error(`the ${sourceFormat} parser did not answer in time: ${result.error.message}`);
    return result;
  }

  /** Renders into the shared cache, so the first fetch of image_url is a hit. */
  private async render(source: string, sourceFormat: GenerationFormat, theme: ThemeId, format: OutputFormat): Promise<void> {
    const input = { source, sourceFormat, theme, format, scale: 1 as const, watermark: false };
    const result = await this.renderQueue.render(input, { timeoutMs: RENDER_BUDGET_MS });
    if (result && !result.ok) this.logger.warn(`generated diagram did not render: ${result.error.code}`);
  }

  /** The queue gave up on this generation's job: fail it so the client and the quota know. */
  async giveUp(generationId: string, reason: string): Promise<void> {
    this.logger.error(`generation ${generationId} failed after its last attempt: ${reason}`);
    const event = this.finalEvent('generation.failed');
    await this.generations.fail(generationId, errorObject('upstream_error', 'The generation could not be completed; no quota was spent. Retry it.'), this.provider.model, event.record).catch(() => undefined);
    await event.enqueue();
  }

  private async failWith(id: string, code: GenerationErrorCode, message: string): Promise<GenerateJobResult> {
    const event = this.finalEvent('generation.failed');
    await this.generations.fail(id, errorObject(code, message), this.provider.model, event.record);
    await event.enqueue();
    return { status: 'failed', error: { code, message } };
  }

  /** The generation's webhook event, recorded in the transaction that makes it final; its deliveries queued once that has committed. */
  private finalEvent(type: 'generation.succeeded' | 'generation.failed'): { record: OnFinal; enqueue: () => Promise<void> } {
    const deliveries: string[] = [];
    return {
      record: async (generation, tx) => {
        deliveries.push(...(await this.webhookEvents.record(generation.ownerId, type, generationEventObject(generation), tx)));
      },
      enqueue: () => this.webhookEvents.enqueue(deliveries),
    };
  }

  private succeeded(generation: Generation): GenerateJobResult {
    return {
      status: 'succeeded', source: generation.mermaid ?? '', sourceFormat: generation.sourceFormat as GenerationFormat, diagramType: generation.diagramType ?? '',
      diagramId: generation.diagramId, revision: generation.revision,
    };
  }

  private async finalResult(id: string): Promise<GenerateJobResult> {
    const generation = await this.generations.findById(id);
    if (!generation) throw new UnrecoverableError(`generation ${id} does not exist`);
    if (generation.status === 'succeeded') return this.succeeded(generation);
    const error = (generation.error ?? {}) as { code?: GenerationErrorCode; message?: string };
    return { status: 'failed', error: { code: error.code ?? 'upstream_error', message: error.message ?? 'The generation failed.' } };
  }
}
