import type { GenerateJobData, GenerateJobResult } from './generation';
import type { ParseJobData, ParseJobResult, RenderJobData, RenderJobResult } from './rendering';
import type { WebhookDeliverJobData, WebhookDeliverJobResult } from './webhooks';

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
  /** Webhook deliveries, consumed by the webhook workers (apps/webhook-worker). */
  Webhook = 'webhook',
}

/** Worker kinds as they announce themselves (heartbeats, readiness). A render worker consumes every render queue. */
export const WORKER_KINDS = [QueueName.Render, QueueName.Generation, QueueName.Webhook] as const;
export type WorkerKind = (typeof WORKER_KINDS)[number];
/**
 * The kinds a gateway's /readyz demands a live worker of: those its callers wait on. Webhook
 * deliveries wait in their queue until a webhook worker takes them, so none is needed to serve.
 */
export const READINESS_WORKER_KINDS: readonly WorkerKind[] = [QueueName.Render, QueueName.Generation];

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

export interface WebhookJobs {
  /** POST one event to one endpoint, signed; retried with backoff for WEBHOOK_RETRY_WINDOW_SECONDS. */
  deliver: { data: WebhookDeliverJobData; result: WebhookDeliverJobResult };
}

export interface QueueJobs {
  [QueueName.Render]: RenderJobs;
  [QueueName.RenderBestEffort]: RenderJobs;
  [QueueName.RenderHeavy]: RenderJobs;
  [QueueName.Generation]: GenerationJobs;
  [QueueName.Webhook]: WebhookJobs;
}

export type JobName<Q extends QueueName> = Extract<keyof QueueJobs[Q], string>;
export type JobData<Q extends QueueName, N extends JobName<Q>> = QueueJobs[Q][N] extends { data: infer D } ? D : never;
export type JobResult<Q extends QueueName, N extends JobName<Q>> = QueueJobs[Q][N] extends { result: infer R } ? R : never;
