import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import {
  estimateElements, QueueName, RENDER_BUDGET_MS, renderCacheKey, renderChargeUnits, renderCostUnits, RenderFailure, RenderInput, RenderJobResult, renderQueueOf, RenderQueueName, RenderTenant,
} from '@flowsmith/contracts';
import { JobWaitTimeoutError, liveWorkers, QueueUnavailableError, RenderCache } from '@flowsmith/queue';
import { metrics } from '@flowsmith/observability';
import { ApiError, redisUnavailable } from '../common/api-error';
import { GatewayConfig } from '../common/gateway-config';
import { REDIS_COMMANDS } from '../redis.providers';
import { RateLimiter } from '../auth/rate-limiter';
import { RenderQueues } from '../queue-clients';
import { RenderSlots } from './render-slots';

/** How long a request over its tenant's in-flight cap waits for a slot before 429, and how often it looks. */
const SLOT_WAIT_MS = 3000;
const SLOT_POLL_MS = 100;
/** BullMQ's highest priority number. */
const MAX_PRIORITY = 2_097_152;
/** A failure that arrives this close to the caller's deadline is the deadline's doing (timers are not exact). */
const DEADLINE_SLACK_MS = 250;

export interface RenderedImage {
  data: Buffer;
  contentType: string;
  width: number;
  height: number;
  diagramType: string;
  etag: string;
  cached: boolean;
}

/** The ETag of a rendering: its content address, so it is known before anything renders. */
export function etagOf(cacheKey: string): string {
  return `"${cacheKey.slice(0, 40)}"`;
}

export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const value = tag.trim().replace(/^W\//, '');
    return value === '*' || value === etag;
  });
}

/** Maps what a worker reports about a source to docs/api.md's errors. */
export function failureToError(failure: RenderFailure, param?: string): ApiError {
  switch (failure.code) {
    case 'parse_failed':
      return new ApiError('parse_failed', failure.message, param ? { param } : {});
    case 'output_too_large':
      return new ApiError('output_too_large', failure.message, { param: 'scale' });
    case 'render_timeout':
      return new ApiError('render_timeout', 'The render took longer than 10 seconds. Simplify the diagram or split it.');
    case 'unsupported_format':
      return new ApiError('invalid_parameter', failure.message, { param: 'source_format' });
  }
}

/**
 * The gateway's side of rendering: a cache lookup by content address, else a job on the tenant's
 * render queue and a wait of at most the 10 s budget (504 render_timeout after), then the bytes
 * from the shared cache that the worker filled. Before a job is queued the tenant is admitted
 * (libs/contracts/src/fairness.ts): anonymous sources under their complexity ceiling, the source's
 * cost charged to the caller's bucket, and one of the tenant's in-flight slots taken.
 */
@Injectable()
export class RenderClient {
  private workersSeenAt = 0;
  private readonly waiters = new Set<(error: ApiError) => void>();
  private watchTimer?: NodeJS.Timeout;
  /** When the gateway's Redis connection was last lost (0: never): a wait it cut short is an outage. */
  private redisLostAt = 0;

  constructor(
    private readonly queues: RenderQueues,
    @Inject(REDIS_COMMANDS) private readonly redis: Redis,
    private readonly cache: RenderCache,
    private readonly config: GatewayConfig,
    private readonly slots: RenderSlots,
    private readonly limiter: RateLimiter,
  ) {
    this.redis.on('close', () => (this.redisLostAt = Date.now()));
  }

  async render(input: RenderInput, tenant: RenderTenant, sourceParam?: string): Promise<RenderedImage> {
    const key = renderCacheKey(input);
    const hit = await this.cache.get(key);
    metrics.renderCache.inc({ result: hit ? 'hit' : 'miss' });
    if (hit) return { ...hit, etag: etagOf(key), cached: true };

    await this.requireWorker();
    const deadline = Date.now() + RENDER_BUDGET_MS;
    const elements = estimateElements(input.source, input.sourceFormat);
    const release = await this.admit(elements, renderChargeUnits(elements, input), tenant, deadline, sourceParam);
    // Paying keys' heavy sources have a lane of their own (render-heavy); in the best-effort lane
    // they wait behind small ones (a BullMQ priority). Small jobs keep BullMQ's plain wait list (no
    // priority), which is what KEDA's list trigger counts.
    const units = renderCostUnits(elements);
    const queue = renderQueueOf(tenant.tier, units);
    const priority = queue === QueueName.RenderBestEffort && units > 1 ? Math.min(units, MAX_PRIORITY) : undefined;
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        // The content address is the job id (RenderQueue), so identical renders in flight share one job.
        const result = await this.run(queue, input, key, attempt > 0, deadline, priority);
        if (result && !result.ok) throw failureToError(result.error, sourceParam);
        const stored = await this.cache.get(key);
        if (stored) return { ...stored, etag: etagOf(key), cached: false };
        // Evicted between the worker's write and our read, an old finished job answered, or the
        // job was skipped because an earlier caller of the same content had stopped waiting: once more.
      }
    } finally {
      await release();
    }
    // A job the worker skipped at the caller's deadline can report that before our own wait times
    // out: the budget ran out, which is a 504 like any other, not an outage.
    if (Date.now() >= deadline - DEADLINE_SLACK_MS) throw failureToError({ code: 'render_timeout', message: '' }, sourceParam);
    throw new ApiError('service_unavailable', 'The render could not complete. Retry shortly.', { headers: { 'Retry-After': '2' } });
  }

  /**
   * Answers an image route: the ETag is the content address, so a matching If-None-Match is a
   * 304 without rendering; otherwise the bytes, with their type. The route sets its own caching
   * headers first; the rendered image is returned for any header it adds after.
   */
  async serve(reply: FastifyReply, input: RenderInput, tenant: RenderTenant, ifNoneMatch: string | undefined, options: { sourceParam?: string; contentType?: string } = {}) {
    const etag = etagOf(renderCacheKey(input));
    reply.header('ETag', etag);
    if (matchesEtag(ifNoneMatch, etag)) {
      reply.status(304);
      return { body: '' as const, image: null };
    }
    const image = await this.render(input, tenant, options.sourceParam);
    reply.header('Content-Type', options.contentType ?? image.contentType).header('X-Content-Type-Options', 'nosniff');
    return { body: image.data, image };
  }

  /**
   * Lets a render be queued, or refuses it: a ceiling on anonymous complexity (413), the source's
   * cost beyond the request's own unit charged to the caller's bucket (429), and one of the
   * tenant's in-flight slots (waited for up to SLOT_WAIT_MS, then 429). Returns what gives the slot back.
   */
  private async admit(elements: number, units: number, tenant: RenderTenant, deadline: number, sourceParam?: string): Promise<() => Promise<void>> {
    const env = this.config.env;
    if (tenant.tier === 'anonymous' && elements > env.RENDER_ANONYMOUS_MAX_ELEMENTS) {
      throw new ApiError(
        'source_too_large',
        `This source has about ${elements} elements; anonymous callers may render at most ${env.RENDER_ANONYMOUS_MAX_ELEMENTS}. Use an API key to render larger diagrams.`,
        { param: sourceParam ?? 'source', anonymousHint: true },
      );
    }
    if (units > 1 && tenant.bucket) {
      const { key, limit, windowMs } = tenant.bucket;
      const decision = await this.limiter.consume([{ key, limit }], windowMs, undefined, units - 1);
      if (decision.kind === 'denied') {
        const reset = Math.max(1, Math.ceil(decision.resetMs / 1000));
        throw new ApiError(
          'rate_limited',
          `This source has about ${elements} elements and, in this format and scale, costs ${units} requests of the limit of ${limit} per ${windowMs / 1000} seconds (${decision.used} used). Retry after ${reset} seconds, or split the diagram.`,
          { headers: { 'Retry-After': String(reset) }, anonymousHint: tenant.tier === 'anonymous' },
        );
      }
    }
    // Over the cap, a request waits a little for one of its tenant's own renders to finish (a page
    // that shows a few diagrams at once is served in turn), then is refused. The waiting happens
    // here, per tenant, never in the shared queue.
    const waitUntil = Math.min(deadline - 1000, Date.now() + SLOT_WAIT_MS);
    let slot = await this.takeSlot(tenant, deadline);
    while (!slot.ok && Date.now() + SLOT_POLL_MS < waitUntil) {
      await new Promise((resolve) => setTimeout(resolve, SLOT_POLL_MS));
      slot = await this.takeSlot(tenant, deadline);
    }
    if (!slot.ok) {
      metrics.rateLimitDenials.inc({ bucket: 'in_flight' });
      throw new ApiError(
        'rate_limited',
        `${slot.held} renders of this ${tenant.tier === 'anonymous' ? 'address' : 'account'} are already in progress, the most it may have at once (${tenant.maxInFlight}). Retry when one has finished.`,
        { headers: { 'Retry-After': '1' }, anonymousHint: tenant.tier === 'anonymous' },
      );
    }
    return slot.release;
  }

  private takeSlot(tenant: RenderTenant, deadline: number) {
    return this.slots.acquire(tenant, deadline).catch(() => {
      throw redisUnavailable();
    });
  }

  /** One render job and its wait; null when it finished and was gone before we listened (the cache then decides). */
  private async run(queueName: RenderQueueName, input: RenderInput, cacheKey: string, fresh: boolean, deadline: number, priority?: number): Promise<RenderJobResult | null> {
    const queue = this.queues.of(queueName);
    const watch = this.watchWorkers();
    const waitedFrom = Date.now();
    try {
      const job = queue.render(input, { cacheKey, fresh, deadline, timeoutMs: Math.max(1, deadline - Date.now()), failFast: true, priority });
      return await Promise.race([job, watch.gone]);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      if (error instanceof QueueUnavailableError) throw redisUnavailable();
      if (error instanceof JobWaitTimeoutError) {
        // A job queued just before Redis went away cannot report back: the outage is the answer
        // (503, retry), not the diagram's size, also when Redis is back by the time the wait ends.
        if (this.redis.status !== 'ready' || this.redisLostAt >= waitedFrom) throw redisUnavailable();
        throw new ApiError('render_timeout', 'The render took longer than 10 seconds. Simplify the diagram or split it.');
      }
      return null;
    } finally {
      watch.stop();
    }
  }

  /**
   * While callers wait, the render workers' heartbeats are checked once a second (one check for
   * all of them): when the last worker falls silent (killed, out of memory, partitioned), every
   * waiting caller gets a 503 at once rather than a 504 when its budget runs out.
   */
  private watchWorkers(): { gone: Promise<never>; stop: () => void } {
    let fail!: (error: ApiError) => void;
    const gone = new Promise<never>((_, reject) => (fail = reject));
    gone.catch(() => undefined);
    this.waiters.add(fail);
    if (!this.watchTimer) {
      this.watchTimer = setInterval(() => {
        this.countWorkers().then((count) => {
          if (count > 0) return;
          for (const waiter of this.waiters) waiter(noWorker());
        }, () => undefined);
      }, 1000);
      this.watchTimer.unref();
    }
    return {
      gone,
      stop: () => {
        this.waiters.delete(fail);
        if (this.waiters.size === 0 && this.watchTimer) {
          clearInterval(this.watchTimer);
          this.watchTimer = undefined;
        }
      },
    };
  }

  private countWorkers(): Promise<number> {
    const env = this.config.env;
    return liveWorkers(this.redis, env.REDIS_PREFIX, QueueName.Render, env.WORKER_HEARTBEAT_SECONDS);
  }

  /** No live render worker: say so at once (503) rather than wait out the budget. */
  private async requireWorker(): Promise<void> {
    if (Date.now() - this.workersSeenAt < 1000) return;
    const count = await this.countWorkers().catch(() => 0);
    if (count === 0) throw noWorker();
    this.workersSeenAt = Date.now();
  }
}

function noWorker(): ApiError {
  return new ApiError('service_unavailable', 'No render worker is available. Retry shortly.', { headers: { 'Retry-After': '5' } });
}
