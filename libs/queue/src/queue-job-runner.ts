import { Job, Queue, QueueEvents } from 'bullmq';
import { isRedisConnectionLost } from './redis-outage';

export class JobWaitTimeoutError extends Error {
  constructor(ms: number) {
    super(`The job did not finish within ${ms} ms`);
    this.name = 'JobWaitTimeoutError';
  }
}

/** Redis did not take the job, or went away while we waited for it: a 503, not a timeout. */
export class QueueUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueUnavailableError';
  }
}

/**
 * How long adding a job may take before Redis counts as unreachable. BullMQ's connections queue
 * commands while Redis is away (they must, for workers), so an add would otherwise wait out the
 * whole outage.
 */
export const QUEUE_ADD_TIMEOUT_MS = 3000;

export interface AddAndWaitOptions {
  jobId?: string;
  timeoutMs: number;
  /**
   * Request paths: give up at once (QueueUnavailableError) when the events connection reports
   * Redis gone, instead of waiting out the budget. Workers leave it off and ride the outage out.
   */
  failFast?: boolean;
  /**
   * BullMQ priority (1 runs first; higher numbers later). Workers take a queue's plain wait list
   * before its prioritized jobs, so a job with a priority runs after every job without one.
   */
  priority?: number;
}

/** Rejects after `ms` with `error()`, unless `promise` settles first. */
export function within<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Adds a job, or throws QueueUnavailableError when Redis does not take it in time. */
export async function addJob(queue: Queue, name: string, data: object, options: object, timeoutMs = QUEUE_ADD_TIMEOUT_MS): Promise<Job> {
  const adding = queue.add(name, data as never, options) as Promise<Job>;
  adding.catch(() => undefined); // settles later, after we have given up on it
  return within(adding, timeoutMs, () => new QueueUnavailableError(`Redis did not accept the ${name} job within ${timeoutMs} ms`));
}

const watchers = new WeakMap<QueueEvents, Set<(error: Error) => void>>();

/** Rejects as soon as `events`' connection reports Redis gone; `stop` removes the watch. */
function connectionLost(events: QueueEvents): { lost: Promise<never>; stop: () => void } {
  let set = watchers.get(events);
  if (!set) {
    const listeners = new Set<(error: Error) => void>();
    events.on('error', (error: Error) => {
      if (isRedisConnectionLost(error)) for (const listener of [...listeners]) listener(error);
    });
    watchers.set(events, listeners);
    set = listeners;
  }
  const watch = set;
  let listener!: (error: Error) => void;
  const lost = new Promise<never>((_, reject) => {
    listener = (error) => reject(new QueueUnavailableError(`Redis connection lost while waiting for the job: ${error.message}`));
    watch.add(listener);
  });
  lost.catch(() => undefined);
  return { lost, stop: () => watch.delete(listener) };
}

/**
 * Adds a job and waits for its result, at most `timeoutMs`. Used wherever one process needs
 * another's work synchronously (the gateway and the generation worker asking the render worker).
 */
export async function addAndWait<R>(queue: Queue, events: QueueEvents, name: string, data: object, options: AddAndWaitOptions): Promise<R> {
  const started = Date.now();
  const jobOptions = {
    ...(options.jobId ? { jobId: options.jobId } : { removeOnComplete: { age: 60 } }),
    ...(options.priority ? { priority: options.priority } : {}),
  };
  const job = options.failFast ? await addJob(queue, name, data, jobOptions, Math.min(options.timeoutMs, QUEUE_ADD_TIMEOUT_MS)) : ((await queue.add(name, data as never, jobOptions)) as Job);
  const remaining = Math.max(1, options.timeoutMs - (options.failFast ? Date.now() - started : 0));
  const watch = options.failFast ? connectionLost(events) : undefined;
  try {
    const finished = job.waitUntilFinished(events, remaining) as Promise<R>;
    finished.catch(() => undefined); // it may reject after the connection watch has won
    return await (watch ? Promise.race([finished, watch.lost]) : finished);
  } catch (error) {
    if (((error as Error).message ?? '').includes('timed out before finishing')) throw new JobWaitTimeoutError(options.timeoutMs);
    throw error;
  } finally {
    watch?.stop();
  }
}
