import { Job, JobsOptions, Queue, QueueEvents } from 'bullmq';
import { JobData, JobName, JobResult, QueueName } from '@flowsmith/contracts';
import { DEFAULT_JOB_OPTIONS } from './job-options';
import { addAndWait, AddAndWaitOptions, addJob, QUEUE_ADD_TIMEOUT_MS } from './queue-job-runner';
import { bullPrefix, BullConnection, openBullConnection, RedisSettings } from './redis';

/**
 * A producer's side of one queue: the queue with its default job options, and its events stream
 * for waiting on results. Jobs are typed by the queue's contract (libs/contracts/src/queues.ts,
 * QueueJobs): a job name the queue does not declare, or a payload of the wrong shape, does not
 * compile, and a waited-on job's result has its declared type. The gateway holds one per queue;
 * the generation worker one for the render queue (QueueClientModule builds and closes them).
 */
export class QueueClient<Q extends QueueName = QueueName> {
  readonly queue: Queue;
  readonly events: QueueEvents;
  private readonly connection: BullConnection;

  constructor(
    readonly name: Q,
    redis: RedisSettings,
    redisPrefix: string,
  ) {
    this.connection = openBullConnection(redis);
    const common = { connection: this.connection.connection, prefix: bullPrefix(redisPrefix) };
    // Results travel in the events stream; keep it bounded.
    this.queue = new Queue(name, { ...common, defaultJobOptions: DEFAULT_JOB_OPTIONS[name], streams: { events: { maxLen: 5000 } } });
    this.events = new QueueEvents(name, common);
    // waitUntilFinished adds two listeners per job waited on; a busy gateway waits on hundreds at once.
    this.events.setMaxListeners(0);
  }

  /**
   * Adds a job without waiting for it; throws QueueUnavailableError when Redis does not take it
   * within `addTimeoutMs`.
   */
  enqueue<N extends JobName<Q>>(name: N, data: JobData<Q, N>, options: JobsOptions = {}, addTimeoutMs = QUEUE_ADD_TIMEOUT_MS): Promise<Job> {
    return addJob(this.queue, name, data as object, options, addTimeoutMs);
  }

  /** Adds a job and waits for its result, at most `options.timeoutMs` (queue-job-runner.ts, addAndWait). */
  enqueueAndWait<N extends JobName<Q>>(name: N, data: JobData<Q, N>, options: AddAndWaitOptions): Promise<JobResult<Q, N>> {
    return addAndWait<JobResult<Q, N>>(this.queue, this.events, name, data as object, options);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close()]);
    await this.connection.close();
  }
}
