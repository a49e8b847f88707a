import { Job, Queue, QueueEvents } from 'bullmq';

export class JobWaitTimeoutError extends Error {
  constructor(ms: number) {
    super(`The job did not finish within ${ms} ms`);
    this.name = 'JobWaitTimeoutError';
  }
}

/**
 * Adds a job and waits for its result, at most `timeoutMs`. Used wherever one process needs
 * another's work synchronously (the gateway and the generation worker asking the render worker).
 */
export async function addAndWait<R>(queue: Queue, events: QueueEvents, name: string, data: object, options: { jobId?: string; timeoutMs: number }): Promise<R> {
  const job = (await queue.add(name, data as never, options.jobId ? { jobId: options.jobId } : { removeOnComplete: { age: 60 } })) as Job;
  try {
    return (await job.waitUntilFinished(events, options.timeoutMs)) as R;
  } catch (error) {
    if (((error as Error).message ?? '').includes('timed out before finishing')) throw new JobWaitTimeoutError(options.timeoutMs);
    throw error;
  }
}
