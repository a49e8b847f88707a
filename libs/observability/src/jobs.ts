import { describeSource, rootLogger } from './logging';
import { metrics } from './metrics';

interface ObservedJob {
  id?: string;
  name: string;
  attemptsMade: number;
  data: unknown;
}

/** A job's result that is a clean refusal (a source that does not parse) rather than a success. */
function isRejection(result: unknown): boolean {
  return typeof result === 'object' && result !== null && (result as { ok?: unknown }).ok === false;
}

/** What a job's payload looks like in logs: ids and sizes, never a source or a prompt. */
function describeJobData(data: unknown): Record<string, unknown> {
  if (typeof data !== 'object' || data === null) return {};
  const { source, sourceFormat, format, theme, generationId } = data as Record<string, unknown>;
  return {
    ...(typeof source === 'string' ? describeSource(source, typeof sourceFormat === 'string' ? sourceFormat : undefined) : {}),
    ...(typeof format === 'string' ? { format } : {}),
    ...(typeof theme === 'string' ? { theme } : {}),
    ...(typeof generationId === 'string' ? { generation_id: generationId } : {}),
  };
}

/**
 * Runs one job and records how it went: a duration by queue, job name and outcome, and one log
 * line at the end with the job's id (and its payload described, never its source).
 */
export async function observeJob<T>(queue: string, job: ObservedJob, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const ids = { job_id: job.id, queue, job_name: job.name, attempt: job.attemptsMade + 1 };
  try {
    const result = await work();
    const outcome = isRejection(result) ? 'rejected' : 'completed';
    const duration = seconds();
    metrics.jobDuration.observe({ queue, job: job.name, outcome }, duration);
    rootLogger().info({ ...ids, outcome, duration_ms: Math.round(duration * 1000), ...describeJobData(job.data) }, 'job finished');
    return result;
  } catch (error) {
    const duration = seconds();
    if ((error as Error).name === 'JobAbandonedError') {
      // Expected under load (its caller already has its 504): counted, logged at debug.
      metrics.jobDuration.observe({ queue, job: job.name, outcome: 'abandoned' }, duration);
      rootLogger().debug({ ...ids, outcome: 'abandoned', reason: (error as Error).message }, 'job skipped');
      throw error;
    }
    metrics.jobDuration.observe({ queue, job: job.name, outcome: 'failed' }, duration);
    rootLogger().warn({ ...ids, outcome: 'failed', duration_ms: Math.round(duration * 1000), error: (error as Error).message, ...describeJobData(job.data) }, 'job failed');
    throw error;
  }
}
