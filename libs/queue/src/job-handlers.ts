import { Job, UnrecoverableError } from 'bullmq';
import { JobData, JobDeadline, JobName, JobResult, QueueName } from '@flowsmith/contracts';
import { observeJob } from '@flowsmith/observability';

/**
 * One handler per job name of a queue, typed by the contracts (QueueJobs): a worker whose map
 * leaves a declared job name without a handler does not compile. The job names a worker handles
 * at run time are its map's keys.
 */
export type JobHandlers<Q extends QueueName> = {
  [N in JobName<Q>]: (job: Job<JobData<Q, N>, JobResult<Q, N>, N>) => Promise<JobResult<Q, N>>;
};

/**
 * A job that reached a worker after its caller stopped waiting (libs/contracts/src/rendering.ts,
 * JobDeadline). It fails without retries and without being run: nobody would read its result.
 */
export class JobAbandonedError extends UnrecoverableError {
  constructor(lateByMs: number) {
    super(`skipped: its caller stopped waiting ${lateByMs} ms ago`);
    this.name = 'JobAbandonedError';
  }
}

/**
 * Routes a job to its handler, with the job's id on every log line and its duration measured. A
 * job nobody handles can never succeed: it fails without retries. A job past its deadline is
 * skipped, so abandoned work (a burst whose callers all got 504) drains in milliseconds.
 */
export async function dispatchJob<Q extends QueueName>(queue: Q, handlers: JobHandlers<Q>, job: Job): Promise<unknown> {
  const handler = Object.hasOwn(handlers, job.name) ? (handlers as unknown as Record<string, (job: Job) => Promise<unknown>>)[job.name] : undefined;
  if (!handler) throw new UnrecoverableError(`No handler for job "${job.name}" on queue "${queue}"`);
  return observeJob(queue, job, () => {
    const deadline = (job.data as JobDeadline | undefined)?.deadline;
    const late = typeof deadline === 'number' ? Date.now() - deadline : 0;
    if (late > 0) throw new JobAbandonedError(late);
    return handler(job);
  });
}
