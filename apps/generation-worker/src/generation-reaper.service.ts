import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { GenerationWorkerEnv } from '@flowsmith/config';
import { ERROR_CATALOG, QueueName, RENDER_BUDGET_MS } from '@flowsmith/contracts';
import { GenerationsRepository } from '@flowsmith/database';
import { WORKER_ENV } from '@flowsmith/queue';
import { generationEventObject, WebhookEvents } from '@flowsmith/webhooks';
import { GenerationRecovery } from './generation-recovery';

/**
 * Looks after generations that nobody will finish, in every generation worker at once:
 * - recovery (generation-recovery.ts), every few seconds: a generation unmoved for
 *   GENERATION_RECOVER_AFTER_SECONDS whose job is missing from Redis is queued again, so a Redis
 *   that lost its data costs a minute, not the generation;
 * - the reaper: a generation still queued or processing past GENERATION_REAP_AFTER_SECONDS (its
 *   worker died for good, its job failed where no worker could record it) is failed with
 *   upstream_timeout and its reserved unit released, by one conditional statement, so each
 *   generation is reaped exactly once however many reapers run. A job that turns up later finds
 *   its generation final and does nothing.
 * The two never take the same generation: recovery looks only at generations created within
 * GENERATION_REAP_AFTER_SECONDS, and a re-queued one gets that long again before the reaper.
 */
@Injectable()
export class GenerationReaper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(GenerationReaper.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private recoveryTimer?: NodeJS.Timeout;
  private recovering?: Promise<unknown>;
  private readonly recovery?: GenerationRecovery;

  constructor(
    private readonly generations: GenerationsRepository,
    @Inject(WORKER_ENV) private readonly env: GenerationWorkerEnv,
    @InjectQueue(QueueName.Generation) queue: Queue,
    private readonly webhookEvents: WebhookEvents,
  ) {
    if (env.GENERATION_RECOVER_AFTER_SECONDS > 0) {
      this.recovery = new GenerationRecovery(generations, queue, { graceSeconds: env.GENERATION_RECOVER_AFTER_SECONDS, maxAgeSeconds: env.GENERATION_REAP_AFTER_SECONDS });
    }
  }

  /** A tenth of the deadline, between 1 s and a minute: a stuck generation fails at most 10% late. */
  get intervalMs(): number {
    return Math.min(60_000, Math.max(1000, Math.floor((this.env.GENERATION_REAP_AFTER_SECONDS * 1000) / 10)));
  }

  onApplicationBootstrap(): void {
    // One attempt: two model calls, two parses and a render; the lock period on top for a takeover.
    const attemptMs = 2 * this.env.ANTHROPIC_TIMEOUT_MS + 3 * RENDER_BUDGET_MS + this.env.GENERATION_LOCK_MS;
    if (this.env.GENERATION_REAP_AFTER_SECONDS * 1000 < attemptMs) {
      this.logger.warn(`GENERATION_REAP_AFTER_SECONDS (${this.env.GENERATION_REAP_AFTER_SECONDS}) is shorter than one attempt may take (${Math.ceil(attemptMs / 1000)} s): slow generations may be failed while they run`);
    }
    if (this.recovery && this.env.GENERATION_RECOVER_AFTER_SECONDS >= this.env.GENERATION_REAP_AFTER_SECONDS) {
      this.logger.warn(`GENERATION_RECOVER_AFTER_SECONDS (${this.env.GENERATION_RECOVER_AFTER_SECONDS}) is not below GENERATION_REAP_AFTER_SECONDS (${this.env.GENERATION_REAP_AFTER_SECONDS}): generations whose jobs vanish are failed, never queued again`);
    }
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    // The reaper's first pass goes first, so generations past its deadline are failed, not re-queued.
    this.tick();
    if (this.recovery) {
      this.recoveryTimer = setInterval(() => this.recoveryTick(), GenerationRecovery.intervalMs(this.env.GENERATION_RECOVER_AFTER_SECONDS));
      this.recoveryTimer.unref();
    }
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.recoveryTimer);
    await Promise.all([this.running, this.recovering]);
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.reapOnce()
      .catch((error: Error) => this.logger.warn(`reaping abandoned generations failed (will retry): ${error.message}`))
      .finally(() => (this.running = undefined));
  }

  private recoveryTick(): void {
    if (this.recovering || this.running || !this.recovery) return;
    this.recovering = this.recovery
      .recoverOnce()
      .then(({ requeued, failed }) => {
        if (requeued.length) this.logger.warn(`queued ${requeued.length} generation(s) again, whose jobs were missing from Redis: ${requeued.join(', ')}`);
        if (failed.length) this.logger.warn(`failed ${failed.length} generation(s) whose jobs had failed for good, quota released: ${failed.join(', ')}`);
        return this.announceFailed(failed);
      })
      .catch((error: Error) => this.logger.warn(`recovering generations with lost jobs failed (will retry): ${error.message}`))
      .finally(() => (this.recovering = undefined));
  }

  /** One pass: the ids it failed. */
  async reapOnce(now: Date = new Date()): Promise<string[]> {
    const seconds = this.env.GENERATION_REAP_AFTER_SECONDS;
    const reaped = await this.generations.reapStale(new Date(now.getTime() - seconds * 1000), {
      type: ERROR_CATALOG.upstream_timeout.type,
      code: 'upstream_timeout',
      message: `The generation was abandoned: it was not finished in time (no progress for ${seconds} s; its worker stopped or its job was lost). No quota was spent; retry it.`,
    });
    if (reaped.length) this.logger.warn(`failed ${reaped.length} abandoned generation(s), quota released: ${reaped.map((r) => r.id).join(', ')}`);
    await this.announceFailed(reaped.map((r) => r.id));
    return reaped.map((r) => r.id);
  }

  /** generation.failed for generations failed here, right after (one statement failed them all: no transaction to join). */
  private async announceFailed(ids: string[]): Promise<void> {
    for (const id of ids) {
      const generation = await this.generations.findById(id);
      if (generation) await this.webhookEvents.emit(generation.ownerId, 'generation.failed', generationEventObject(generation));
    }
  }
}
