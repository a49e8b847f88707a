import { Queue, QueueEvents } from 'bullmq';
import { QueueName } from '@flowsmith/contracts';
import { DEFAULT_JOB_OPTIONS } from './job-options';
import { addAndWait, AddAndWaitOptions } from './queue-job-runner';
import { bullPrefix, BullConnection, openBullConnection, RedisSettings } from './redis';

/**
 * A producer's side of one queue: the queue with its default job options, and its events stream
 * for waiting on results. The gateway holds one per queue; the generation worker one for the
 * render queue.
 */
export class QueueClient {
  readonly queue: Queue;
  readonly events: QueueEvents;
  private readonly connection: BullConnection;

  constructor(name: QueueName, redis: RedisSettings, redisPrefix: string) {
    this.connection = openBullConnection(redis);
    const common = { connection: this.connection.connection, prefix: bullPrefix(redisPrefix) };
    // Results travel in the events stream; keep it bounded.
    this.queue = new Queue(name, { ...common, defaultJobOptions: DEFAULT_JOB_OPTIONS[name], streams: { events: { maxLen: 5000 } } });
    this.events = new QueueEvents(name, common);
    // waitUntilFinished adds two listeners per job waited on; a busy gateway waits on hundreds at once.
    this.events.setMaxListeners(0);
  }

  addAndWait<R>(jobName: string, data: object, options: AddAndWaitOptions): Promise<R> {
    return addAndWait<R>(this.queue, this.events, jobName, data, options);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close()]);
    await this.connection.close();
  }
}
