import { randomBytes } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import { ParseJobData, ParseJobResult, renderCacheKey, RenderInput, RenderJobData, RenderJobResult, RenderQueueName } from '@flowsmith/contracts';
import type { QueueClient } from './queue-client';
import type { AddAndWaitOptions } from './queue-job-runner';

export interface RenderWaitOptions extends Omit<AddAndWaitOptions, 'jobId'> {
  /** The content address, when the caller has it already (renderCacheKey(input) otherwise). */
  cacheKey?: string;
  /** When the caller stops waiting (JobDeadline): a worker skips the job after it. */
  deadline?: number;
  /**
   * A job of its own instead of the content address as job id: for a second try, when the job
   * under the content address answered without leaving the rendering in the cache.
   */
  fresh?: boolean;
}

const TIMED_OUT = 'render_timeout: ';

/**
 * A render that ran out of its caller's time. The worker fails the job with it instead of
 * completing it with the render_timeout value: a completed job stays under its content address for
 * a minute (job-options.ts) and would answer every later request of the same source with the
 * timeout at once, although the next try may well finish (the first render of a cold worker, a
 * busy minute). A failed render job is dropped at once and never retried; RenderQueue.render
 * turns it back into the value for the caller that waited.
 */
export class RenderTimedOutError extends UnrecoverableError {
  constructor(message: string) {
    super(`${TIMED_OUT}${message}`);
    this.name = 'RenderTimedOutError';
  }
}

/**
 * The one producer of render jobs, for the gateway (one per render lane) and the generation worker
 * alike: the rendering goes to the render cache under its content address (renderCacheKey), which
 * is also the job id, so identical renders in flight share one job.
 */
export class RenderQueue {
  constructor(readonly client: QueueClient<RenderQueueName>) {}

  /** Renders `input` into the render cache and waits for what the worker says about it. */
  async render(input: RenderInput, options: RenderWaitOptions): Promise<RenderJobResult> {
    const { cacheKey = renderCacheKey(input), deadline, fresh, ...wait } = options;
    const data: RenderJobData = deadline === undefined ? { ...input, cacheKey } : { ...input, cacheKey, deadline };
    const jobId = fresh ? `${cacheKey}-${randomBytes(4).toString('hex')}` : cacheKey;
    try {
      return await this.client.enqueueAndWait('render', data, { ...wait, jobId });
    } catch (error) {
      // BullMQ hands a waiter the failed job's reason as a plain Error's message.
      const message = (error as Error)?.message;
      if (typeof message === 'string' && message.startsWith(TIMED_OUT)) return { ok: false, error: { code: 'render_timeout', message: message.slice(TIMED_OUT.length) } };
      throw error;
    }
  }

  /** Parses a source and detects its diagram type. */
  parse(data: ParseJobData, options: Omit<AddAndWaitOptions, 'jobId'>): Promise<ParseJobResult> {
    return this.client.enqueueAndWait('parse', data, options);
  }
}
