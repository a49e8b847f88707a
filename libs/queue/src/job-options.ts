import type { DefaultJobOptions, WorkerOptions } from 'bullmq';
import type { GenerationWorkerEnv } from '@flowsmith/config';
import { QueueName, RenderQueueName } from '@flowsmith/contracts';

/**
 * Every queue's job defaults in one place. Failed and completed jobs are kept by count so Redis
 * memory stays bounded; attempts and backoff are what a job gets unless its producer says otherwise.
 */
// Every render queue (one per lane: libs/contracts/src/fairness.ts): output lives in the render cache; a job's result is a few fields, kept a
// minute so a waiter that arrives late still reads it. Job ids are content addresses, which dedupes
// renders in flight; a failed job is dropped at once so it cannot answer a later request.
const RENDER_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 200 },
  removeOnComplete: { age: 60, count: 10_000 },
  removeOnFail: true,
};

export const DEFAULT_JOB_OPTIONS: Record<QueueName, DefaultJobOptions> = {
  [QueueName.Render]: RENDER_JOB_OPTIONS,
  [QueueName.RenderBestEffort]: RENDER_JOB_OPTIONS,
  [QueueName.RenderHeavy]: RENDER_JOB_OPTIONS,
  // Provider 429s, 5xx and overloads are retried up to 5 attempts; 'provider' is the generation
  // worker's backoff strategy (the provider's Retry-After, else exponential with jitter).
  [QueueName.Generation]: {
    attempts: 5,
    backoff: { type: 'provider', delay: 1000 },
    removeOnComplete: { count: 1000, age: 24 * 3600 },
    removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
  },
  // A delivery is retried until WEBHOOK_RETRY_WINDOW_SECONDS has passed since its event: the webhook
  // worker decides that and ends the job itself (apps/webhook-worker), so attempts is only a ceiling;
  // 'webhook' is its backoff strategy (libs/webhooks/src/backoff.ts). Its row in Postgres is the log.
  [QueueName.Webhook]: {
    attempts: 100,
    backoff: { type: 'webhook', delay: 1000 },
    removeOnComplete: { count: 10_000, age: 3600 },
    removeOnFail: { count: 10_000, age: 7 * 24 * 3600 },
  },
};

/** Render workers: how long a job may run before its lock lapses and it counts as stalled. */
export const WORKER_LOCK_DURATION_MS: Record<RenderQueueName, number> = {
  [QueueName.Render]: 15_000,
  [QueueName.RenderBestEffort]: 15_000,
  [QueueName.RenderHeavy]: 15_000,
};

/**
 * The generation worker's lock, from GENERATION_LOCK_MS (its one source, default 30 s: libs/config):
 * a dead worker's job is taken over after one lock period, and stalls are looked for twice per period.
 * Give it to the worker when it is built: BullMQ renews a job's lock every half of the lockDuration
 * the worker was built with, so a lock changed afterwards lapses between renewals.
 */
export function generationWorkerLock(env: Pick<GenerationWorkerEnv, 'GENERATION_LOCK_MS'>): Pick<WorkerOptions, 'lockDuration' | 'stalledInterval'> {
  return { lockDuration: env.GENERATION_LOCK_MS, stalledInterval: Math.max(1000, Math.floor(env.GENERATION_LOCK_MS / 2)) };
}
