import type { Queue } from 'bullmq';
import { ERROR_CATALOG, GenerateJobData, JobName, PlanName, QueueName } from '@flowsmith/contracts';
import { generationJobPriority, GenerationsRepository } from '@flowsmith/database';
import { addJob, within } from '@flowsmith/queue';

export interface GenerationRecoveryOptions {
  /** GENERATION_RECOVER_AFTER_SECONDS: how long a generation may sit without its job. */
  graceSeconds: number;
  /** GENERATION_REAP_AFTER_SECONDS: older generations are left to the reaper. */
  maxAgeSeconds: number;
  /** Rows read and job states asked per page, and pages per pass (the rest wait for the next pass). */
  pageSize?: number;
  pagesPerPass?: number;
  /** How long a pass may wait on Redis before it gives up (the next pass tries again). */
  redisTimeoutMs?: number;
}

export interface RecoveryPass {
  /** Generations whose job was missing, queued again under the same job id. */
  requeued: string[];
  /** Generations whose job had failed for good without the generation being failed (its worker could not write). */
  failed: string[];
  checked: number;
}

/**
 * Finds generations whose BullMQ job no longer exists (Redis restarted without its data, a flush, a
 * gateway that died between saving a generation and queueing it) and queues each again, with its
 * generation id as the job id as the gateway does, so a job that does exist is never duplicated.
 * A generation is claimed by one conditional statement before its job is added
 * (GenerationsRepository.claimForRecovery), so when every generation worker runs this at once each
 * lost generation is re-queued by one of them.
 *
 * Exactly once still holds if a job turns up twice (a worker still running the lost job while the
 * new one starts): GenerationsRepository.succeed saves the diagram and spends the unit in one
 * transaction that requires the status `processing`, so the second run's transaction rolls back
 * and its next attempt finds the generation final (GenerationService.run).
 */
export class GenerationRecovery {
  private cursor?: { updatedAt: Date; id: string };
  private readonly pageSize: number;
  private readonly pagesPerPass: number;
  private readonly redisTimeoutMs: number;

  constructor(
    private readonly generations: GenerationsRepository,
    private readonly queue: Queue,
    private readonly options: GenerationRecoveryOptions,
  ) {
    this.pageSize = options.pageSize ?? 200;
    this.pagesPerPass = options.pagesPerPass ?? 10;
    this.redisTimeoutMs = options.redisTimeoutMs ?? 10_000;
  }

  /** How often to look: a third of the grace period, between half a second and 10 s. */
  static intervalMs(graceSeconds: number): number {
    return Math.min(10_000, Math.max(500, Math.floor((graceSeconds * 1000) / 3)));
  }

  /**
   * One pass over up to pagesPerPass pages of candidates, resuming where the last pass stopped,
   * so a backlog larger than one pass is still covered within a few passes.
   */
  async recoverOnce(): Promise<RecoveryPass> {
    const { graceSeconds, maxAgeSeconds } = this.options;
    const pass: RecoveryPass = { requeued: [], failed: [], checked: 0 };
    for (let page = 0; page < this.pagesPerPass; page++) {
      const candidates = await this.generations.recoveryCandidates(graceSeconds, maxAgeSeconds, this.pageSize, this.cursor);
      this.cursor = candidates.length === this.pageSize ? candidates[candidates.length - 1] : undefined;
      pass.checked += candidates.length;
      if (candidates.length) await this.recoverPage(candidates, pass);
      if (!this.cursor) break;
    }
    return pass;
  }

  private async recoverPage(candidates: Array<{ id: string; plan: PlanName }>, pass: RecoveryPass): Promise<void> {
    const { graceSeconds } = this.options;
    const ids = candidates.map((c) => c.id);
    const planOf = new Map(candidates.map((c) => [c.id, c.plan]));
    // A Redis that is down or loading its file throws here (never 'unknown'): nothing is decided.
    const timeout = this.redisTimeoutMs;
    const states = await within(Promise.all(ids.map((id) => this.queue.getJobState(id))), timeout, () => new Error(`Redis did not tell the state of ${ids.length} jobs within ${timeout} ms`));
    const lost = ids.filter((_, i) => states[i] === 'unknown');
    const failedJobs = ids.filter((_, i) => states[i] === 'failed');

    const claimed = await this.generations.claimForRecovery(lost, graceSeconds);
    await Promise.all(
      claimed.map(async (id) => {
        const name: JobName<QueueName.Generation> = 'generate';
        const data: GenerateJobData = { generationId: id };
        // The priority the gateway gave it (GenerationsService.submit), from the owner's plan now.
        const priority = generationJobPriority(planOf.get(id) ?? 'free');
        await addJob(this.queue, name, data, { jobId: id, ...(priority ? { priority } : {}) }, timeout);
        pass.requeued.push(id);
      }),
    );

    // Its worker's own giveUp (generation.processor.ts) normally fails it at once; this catches the
    // case where it could not (the database was away), instead of waiting for the reaper.
    for (const id of failedJobs) {
      const failed = await this.generations.fail(id, { type: ERROR_CATALOG.upstream_error.type, code: 'upstream_error', message: 'The generation could not be completed; no quota was spent. Retry it.' }, null);
      if (failed) pass.failed.push(id);
    }
  }
}
