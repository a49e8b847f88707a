import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap, Type } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { GenerationWorkerEnv } from '@flowsmith/config';
import { QueueName } from '@flowsmith/contracts';
import { dispatchJob, generationWorkerLock, JobHandlers, WORKER_ENV } from '@flowsmith/queue';
import { GenerationService } from './generation.service';
import { ProviderError } from './providers/model-provider';

/**
 * Backoff for provider errors: the provider's Retry-After when it sent one, else exponential from
 * one second with ±50% jitter, capped at a minute.
 */
export function providerBackoff(attemptsMade: number, _type: string | undefined, error?: Error): number {
  if (error instanceof ProviderError && error.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, 60_000);
  const base = Math.min(1000 * 2 ** Math.max(0, attemptsMade - 1), 60_000);
  return Math.round(base * (0.5 + Math.random()));
}

/**
 * The generation queue's consumer. Nest builds its BullMQ worker from the class's @Processor
 * options, and the lock comes from the env (GENERATION_LOCK_MS), so the module registers the
 * class that generationProcessor(env) decorates: BullMQ sizes the lock's renewal from the
 * options the worker is built with.
 */
@Injectable()
export class GenerationProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly handlers: JobHandlers<QueueName.Generation>;

  constructor(
    private readonly generations: GenerationService,
    @Inject(WORKER_ENV) private readonly env: GenerationWorkerEnv,
  ) {
    super();
    this.handlers = {
      generate: (job) => this.generations.run(job.data.generationId, job.attemptsMade + 1 >= (job.opts.attempts ?? 1)),
    };
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.env.WORKER_CONCURRENCY ?? 4;
    void this.worker.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }

  process(job: Job): Promise<unknown> {
    return dispatchJob(QueueName.Generation, this.handlers, job);
  }

  /**
   * A job BullMQ gives up on (errors on every attempt, or stalled too often) must not leave its
   * Generation in `processing` with quota reserved: it fails, and the reservation is released.
   */
  @OnWorkerEvent('failed')
  async onFailed(job: Job | undefined, error: Error): Promise<void> {
    if (!job || job.name !== 'generate') return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError' || /stalled more than allowable limit/i.test(error.message);
    if (final) await this.generations.giveUp(job.data.generationId, error.message);
  }
}

/** GenerationProcessor as the generation queue's processor, its worker locked for GENERATION_LOCK_MS (generationWorkerLock). */
export function generationProcessor(env: Pick<GenerationWorkerEnv, 'GENERATION_LOCK_MS'>): Type<GenerationProcessor> {
  @Processor(QueueName.Generation, { ...generationWorkerLock(env), maxStalledCount: 3, autorun: false, settings: { backoffStrategy: providerBackoff } })
  @Injectable()
  class LockedGenerationProcessor extends GenerationProcessor {}
  return LockedGenerationProcessor;
}
