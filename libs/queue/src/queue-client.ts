import { Queue, QueueEvents } from 'bullmq';
import { QueueName } from '@flowsmith/contracts';
import { DEFAULT_JOB_OPTIONS } from './job-options';
import { addAndWait } from './queue-job-runner';
import { bullConnection, bullPrefix } from './redis';

/**
 * A producer's side of one queue: the queue with its default job options, and its events stream
 * for waiting on results. The gateway holds one per queue; the generation worker one for the
 * render queue.
 */
export class QueueClient {
  readonly queue: Queue;
  readonly events: QueueEvents;

  constructor(name: QueueName, redisUrl: string, redisPrefix: string) {
    const common = { connection: bullConnection(redisUrl), prefix: bullPrefix(redisPrefix) };
    // Results travel in the events stream; keep it bounded.
    this.queue = new Queue(name, { ...common, defaultJobOptions: DEFAULT_JOB_OPTIONS[name], streams: { events: { maxLen: 5000 } } });
    this.events = new QueueEvents(name, common);
  }

  addAndWait<R>(jobName: string, data: object, options: { jobId?: string; timeoutMs: number }): Promise<R> {
    return addAndWait<R>(this.queue, this.events, jobName, data, options);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }
}
