import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus registry and every metric Flowsmith exports. One registry per process
 * (gateway or worker); each process exports only what it does, since a series appears on its
 * first observation. Names and labels are a contract with dashboards and autoscalers
 * (deploy/kubernetes): rename none without updating them.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const metrics = {
  httpDuration: new Histogram({
    name: 'flowsmith_http_request_duration_seconds',
    help: 'HTTP request latency by method, route (the route pattern, not the path) and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
  rateLimitDenials: new Counter({
    name: 'flowsmith_rate_limit_denials_total',
    help: 'Requests refused with 429 rate_limited, by bucket (key, ai, anonymous, embed).',
    labelNames: ['bucket'] as const,
    registers: [registry],
  }),
  renderCache: new Counter({
    name: 'flowsmith_render_cache_requests_total',
    help: 'Render cache lookups by result (hit or miss); the hit ratio is hit / (hit + miss).',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  jobDuration: new Histogram({
    name: 'flowsmith_job_duration_seconds',
    help: 'Time a worker spent on a job, by queue, job name and outcome (completed, rejected: a clean refusal such as a parse error, failed: thrown, retried by BullMQ unless final).',
    labelNames: ['queue', 'job', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
  renders: new Counter({
    name: 'flowsmith_renders_total',
    help: 'Renders by engine (source format), output format and outcome.',
    labelNames: ['engine', 'format', 'outcome'] as const,
    registers: [registry],
  }),
  renderDuration: new Histogram({
    name: 'flowsmith_render_duration_seconds',
    help: 'Time of one render inside the worker, by engine and output format.',
    labelNames: ['engine', 'format'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
  engineRestarts: new Counter({
    name: 'flowsmith_engine_restarts_total',
    help: 'Restarts of a render engine process: chromium (crashed, disconnected or recycled) and plantuml (the JVM died, hung, ran out of heap or was killed), raster (a PNG drawing passed its deadline or memory cap, or crashed).',
    labelNames: ['engine', 'reason'] as const,
    registers: [registry],
  }),
  modelCalls: new Counter({
    name: 'flowsmith_model_calls_total',
    help: 'Calls to the model provider by provider, model and outcome (ok or an error code).',
    labelNames: ['provider', 'model', 'outcome'] as const,
    registers: [registry],
  }),
  modelTokens: new Counter({
    name: 'flowsmith_model_tokens_total',
    help: 'Tokens the model provider reported, by direction (input, output).',
    labelNames: ['provider', 'model', 'direction'] as const,
    registers: [registry],
  }),
};

/** Anything that can count its BullMQ jobs by state (a bullmq Queue). */
export interface CountableQueue {
  readonly name: string;
  getJobCounts(...states: string[]): Promise<Record<string, number>>;
}

const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed', 'paused', 'waiting-children'];
const countedQueues = new Map<string, CountableQueue>();

/**
 * Queue depth, read from Redis when scraped (not kept in memory): every process that knows a
 * queue reports it, so dashboards take max() across instances. A scrape while Redis is away
 * leaves the gauge unset rather than hanging.
 */
new Gauge({
  name: 'flowsmith_queue_jobs',
  help: 'Jobs in each BullMQ queue by state, as Redis holds them at scrape time.',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    await Promise.all(
      [...countedQueues.values()].map(async (queue) => {
        const counts = await withTimeout(queue.getJobCounts(...QUEUE_STATES), 1000).catch(() => null);
        if (!counts) return;
        for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }),
    );
  },
});

/** Reports a queue's depth on /metrics from now on. */
export function countQueue(queue: CountableQueue): void {
  countedQueues.set(queue.name, queue);
}

/** Stops reporting a queue (its connection is closing). */
export function uncountQueue(queue: CountableQueue): void {
  if (countedQueues.get(queue.name) === queue) countedQueues.delete(queue.name);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
}

/** The Prometheus text exposition of everything above. */
export async function metricsText(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
