import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { GenerationWorkerEnv } from '@flowsmith/config';
import { ERROR_CATALOG, RENDER_BUDGET_MS } from '@flowsmith/contracts';
import { GenerationsRepository } from '@flowsmith/database';
import { WORKER_ENV } from '@flowsmith/queue';

/**
 * Fails generations left queued or processing past GENERATION_REAP_AFTER_SECONDS: their worker
 * died for good, their job failed where no worker could record it (the database was down), or
 * Redis lost it. Each is failed with upstream_timeout and its reserved unit released, by one
 * conditional statement, so every generation worker can run a reaper: each generation is reaped
 * exactly once. A job that turns up later finds its generation final and does nothing.
 */
@Injectable()
export class GenerationReaper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(GenerationReaper.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly generations: GenerationsRepository,
    @Inject(WORKER_ENV) private readonly env: GenerationWorkerEnv,
  ) {}

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
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    this.tick();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.reapOnce()
      .catch((error: Error) => this.logger.warn(`reaping abandoned generations failed (will retry): ${error.message}`))
      .finally(() => (this.running = undefined));
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
    return reaped.map((r) => r.id);
  }
}
