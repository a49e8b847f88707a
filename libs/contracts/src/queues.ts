import type { GenerateJobData, GenerateJobResult } from './generation';
import type { ParseJobData, ParseJobResult, RenderJobData, RenderJobResult } from './rendering';

/**
 * Queue names. These strings are Redis key names in production: never rename one without a
 * migration plan that drains the old queue first.
 */
export enum QueueName {
  /** Renders for keys on paid plans, and the generation worker's own renders. */
  Render = 'render',
  /**
   * Renders for free keys, anonymous callers and the public routes (embeds, shares). The same
   * render workers consume it with one page fewer than they have, so this traffic can never take
   * every page away from paying keys (libs/contracts/src/fairness.ts).
   */
  RenderBestEffort = 'render-best-effort',
  /**
   * Paying keys' heavy sources (more than one cost unit: libs/contracts/src/fairness.ts). Apart
   * from the small ones, so that one owner's heavy renders never hold the job slots and pages
   * another owner's small renders need; consumed like the best-effort queue.
   */
  RenderHeavy = 'render-heavy',
  Generation = 'generation',
}

/** Worker kinds as they announce themselves (heartbeats, readiness). A render worker consumes every render queue. */
export const WORKER_KINDS = [QueueName.Render, QueueName.Generation] as const;
export type WorkerKind = (typeof WORKER_KINDS)[number];

/**
 * Typed jobs per queue, keyed by job name: producers (QueueClient) and workers (JobHandlers in
 * libs/queue) are typed by these, so a job name declared here without a handler, or a job that
 * names an undeclared job or carries the wrong payload, does not compile.
 */
export interface RenderJobs {
  /** Render a source to SVG or PNG into the render cache. */
  render: { data: RenderJobData; result: RenderJobResult };
  /** Parse a source and detect its diagram type. */
  parse: { data: ParseJobData; result: ParseJobResult };
}
export interface GenerationJobs {
  /** Turn a queued Generation into a saved, rendered diagram (or a failure). */
  generate: { data: GenerateJobData; result: GenerateJobResult };
}

export interface QueueJobs {
  [QueueName.Render]: RenderJobs;
  [QueueName.RenderBestEffort]: RenderJobs;
  [QueueName.RenderHeavy]: RenderJobs;
  [QueueName.Generation]: GenerationJobs;
}

export type JobName<Q extends QueueName> = Extract<keyof QueueJobs[Q], string>;
export type JobData<Q extends QueueName, N extends JobName<Q>> = QueueJobs[Q][N] extends { data: infer D } ? D : never;
export type JobResult<Q extends QueueName, N extends JobName<Q>> = QueueJobs[Q][N] extends { result: infer R } ? R : never;
