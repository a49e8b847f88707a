import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import {
  ParseJobResult, QueueName, RENDER_BUDGET_MS, RenderFailure, RenderInput, renderCacheKey, RenderJobResult, SourceFormat,
} from '@flowsmith/contracts';
import { JobWaitTimeoutError, liveWorkers, QueueClient, QueueUnavailableError, RenderCache } from '@flowsmith/queue';
import { metrics } from '@flowsmith/observability';
import { ApiError } from '../common/api-error';
import { GatewayConfig } from '../common/gateway-config';
import { REDIS_COMMANDS } from '../redis.providers';
import { RENDER_QUEUE } from '../queue-clients';

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

/** Maps what a worker reports about a source to API.md's errors. */
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
 * The gateway's side of rendering: a cache lookup by content address, else a job on the render
 * queue and a wait of at most the 10 s budget (504 render_timeout after), then the bytes from the
 * shared cache that the worker filled.
 */
@Injectable()
export class RenderClient {
  private workersSeenAt = 0;

  constructor(
    @Inject(RENDER_QUEUE) private readonly queue: QueueClient,
    @Inject(REDIS_COMMANDS) private readonly redis: Redis,
    private readonly cache: RenderCache,
    private readonly config: GatewayConfig,
  ) {}

  async render(input: RenderInput, sourceParam?: string): Promise<RenderedImage> {
    const key = renderCacheKey(input);
    const hit = await this.cache.get(key);
    metrics.renderCache.inc({ result: hit ? 'hit' : 'miss' });
    if (hit) return { ...hit, etag: etagOf(key), cached: true };

    await this.requireWorker();
    const deadline = Date.now() + RENDER_BUDGET_MS;
    for (let attempt = 0; attempt < 2; attempt++) {
      // The content address is the job id, so identical renders in flight share one job.
      const jobId = attempt === 0 ? key : `${key}-${randomBytes(4).toString('hex')}`;
      const result = await this.run<RenderJobResult>('render', { ...input, cacheKey: key }, jobId, deadline);
      if (result && !result.ok) throw failureToError(result.error, sourceParam);
      const stored = await this.cache.get(key);
      if (stored) return { ...stored, etag: etagOf(key), cached: false };
      // Evicted between the worker's write and our read, or an old finished job answered: once more.
    }
    throw new ApiError('service_unavailable', 'The render could not complete. Retry shortly.', { headers: { 'Retry-After': '2' } });
  }

  /**
   * Answers an image route: the ETag is the content address, so a matching If-None-Match is a
   * 304 without rendering; otherwise the bytes, with their type. The route sets its own caching
   * headers first; the rendered image is returned for any header it adds after.
   */
  async serve(reply: FastifyReply, input: RenderInput, ifNoneMatch: string | undefined, options: { sourceParam?: string; contentType?: string } = {}) {
    const etag = etagOf(renderCacheKey(input));
    reply.header('ETag', etag);
    if (matchesEtag(ifNoneMatch, etag)) {
      reply.status(304);
      return { body: '' as const, image: null };
    }
    const image = await this.render(input, options.sourceParam);
    reply.header('Content-Type', options.contentType ?? image.contentType).header('X-Content-Type-Options', 'nosniff');
    return { body: image.data, image };
  }

  /** Parses a source in a worker; returns its diagram type or throws 400 parse_failed. */
  async parse(source: string, sourceFormat: SourceFormat): Promise<string> {
    await this.requireWorker();
    const result = await this.run<ParseJobResult>('parse', { source, sourceFormat }, undefined, Date.now() + RENDER_BUDGET_MS);
    if (!result) throw new ApiError('render_timeout', 'Parsing the source took longer than 10 seconds.');
    if (!result.ok) throw failureToError(result.error, 'source');
    return result.diagramType;
  }

  private async run<R>(name: 'render' | 'parse', data: object, jobId: string | undefined, deadline: number): Promise<R | null> {
    try {
      return await this.queue.addAndWait<R>(name, data, { jobId, timeoutMs: Math.max(1, deadline - Date.now()), failFast: true });
    } catch (error) {
      if (error instanceof QueueUnavailableError) {
        throw new ApiError('service_unavailable', 'The service is temporarily unavailable: Redis cannot be reached. Retry shortly.', { headers: { 'Retry-After': '5' } });
      }
      if (error instanceof JobWaitTimeoutError) {
        throw new ApiError('render_timeout', 'The render took longer than 10 seconds. Simplify the diagram or split it.');
      }
      if (name === 'render') return null; // finished and gone before we listened: the cache decides
      throw new ApiError('service_unavailable', 'The render worker failed to process the request. Retry shortly.', { headers: { 'Retry-After': '2' } });
    }
  }

  /** No live render worker: say so at once (503) rather than wait out the budget. */
  private async requireWorker(): Promise<void> {
    if (Date.now() - this.workersSeenAt < 2000) return;
    const env = this.config.env;
    const count = await liveWorkers(this.redis, env.REDIS_PREFIX, QueueName.Render, env.WORKER_HEARTBEAT_SECONDS).catch(() => 0);
    if (count === 0) {
      throw new ApiError('service_unavailable', 'No render worker is available. Retry shortly.', { headers: { 'Retry-After': '5' } });
    }
    this.workersSeenAt = Date.now();
  }
}
