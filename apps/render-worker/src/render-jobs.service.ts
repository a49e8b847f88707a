import { availableParallelism } from 'node:os';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { RenderWorkerEnv } from '@flowsmith/config';
import { ParseJobData, ParseJobResult, RenderJobData, RenderJobResult } from '@flowsmith/contracts';
import { metrics } from '@flowsmith/observability';
import { RenderCache, RenderTimedOutError, WORKER_ENV, WORKER_REDIS } from '@flowsmith/queue';
import { Renderer } from '@flowsmith/rendering';

const DRAIN_SLACK_MS = 3_000;
/**
 * Jobs of the paying queue a worker runs at once, per browser page. A PlantUML, SVG or parse job
 * needs no page (PlantUML runs on the JVM's threads, rasterizing in its own process pool), and a
 * page-bound job waits for a page inside the BrowserPool, bounded by its caller's deadline; with
 * one job a page, eight concurrent callers waited in BullMQ while the JVM idled (bench/RESULTS.md,
 * issue 13).
 */
const JOBS_PER_PAGE = 4;

/** What the render queue's jobs do: render into the shared cache, or parse. */
@Injectable()
export class RenderJobsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RenderJobsService.name);
  readonly renderer: Renderer;
  private readonly cache: RenderCache;

  constructor(@Inject(WORKER_ENV) private readonly env: RenderWorkerEnv, @Inject(WORKER_REDIS) redis: Redis) {
    this.renderer = new Renderer({
      chromiumPath: env.CHROMIUM_PATH,
      pages: this.concurrency,
      maxRendersPerPage: env.RENDER_MAX_PER_PAGE,
      maxRendersPerBrowser: env.RENDER_MAX_PER_BROWSER,
      renderTimeoutMs: env.RENDER_TIMEOUT_MS,
      javaPath: env.JAVA_PATH,
      plantumlJar: env.PLANTUML_JAR,
      rasterProcesses: env.RENDER_RASTER_PROCESSES,
      rasterMemoryMb: env.RENDER_RASTER_MEMORY_MB,
      rasterWarm: env.RENDER_RASTER_WARM,
      scriptThreads: env.RENDER_SCRIPT_THREADS,
      checkSamples: env.RENDER_CHECK_SAMPLES,
      warmAll: true,
    });
    this.cache = new RenderCache(redis, env.REDIS_PREFIX, env.RENDER_CACHE_MAX_MB * 1024 * 1024);
  }

  /** Browser pages: one per core unless configured. */
  get concurrency(): number {
    return this.env.RENDER_PAGES ?? this.env.WORKER_CONCURRENCY ?? availableParallelism();
  }

  /** Jobs of the paying queue at once. */
  get jobConcurrency(): number {
    return this.concurrency * JOBS_PER_PAGE;
  }

  /**
   * Jobs of the best-effort queue at once: half the paying queue's, so free and anonymous work
   * never holds as many jobs as paying work may (its pages and JVM threads are capped inside the
   * engines as well: BrowserPool, PlantumlPool).
   */
  get bestEffortJobConcurrency(): number {
    return Math.max(1, Math.floor(this.jobConcurrency / 2));
  }

  /**
   * Jobs of the heavy queue at once (paying keys' heavy sources, mostly page-bound): one fewer
   * than the pages, at least one, so small paying renders always keep a page.
   */
  get heavyJobConcurrency(): number {
    return Math.max(1, this.concurrency - 1);
  }

  /**
   * How long a shutdown waits for the jobs in hand: every render ends by its deadline (at most
   * RENDER_TIMEOUT_MS from its start, a raster process killed at it), plus time to write results.
   */
  get drainMs(): number {
    return this.env.RENDER_TIMEOUT_MS + DRAIN_SLACK_MS;
  }

  async onModuleInit(): Promise<void> {
    const slow = await this.renderer.start();
    if (slow.length) this.logger.warn(`These languages' samples ran out of time three times at start (a busy machine?); they are served anyway: ${slow.join(', ')}`);
    this.logger.log(`Chromium up with ${this.concurrency} warm page(s)`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.renderer.close();
  }

  /** `bestEffort`: a job of the best-effort queue, which never takes a kind's last warm page. */
  async render(data: RenderJobData, lane: { bestEffort: boolean } = { bestEffort: false }): Promise<RenderJobResult> {
    const labels = { engine: data.sourceFormat, format: data.format };
    const started = performance.now();
    const outcome = await this.renderer.render(data, { fallback: data.fallback, deadline: data.deadline, bestEffort: lane.bestEffort });
    metrics.renderDuration.observe(labels, (performance.now() - started) / 1000);
    metrics.renders.inc({ ...labels, outcome: outcome.ok ? 'ok' : outcome.error.code });
    // A timeout is this moment's, not the source's: the job fails and is dropped (RenderTimedOutError).
    if (!outcome.ok && outcome.error.code === 'render_timeout') throw new RenderTimedOutError(outcome.error.message);
    if (!outcome.ok) return outcome;
    const { output } = outcome;
    await this.cache.set(data.cacheKey, output);
    return { ok: true, cacheKey: data.cacheKey, contentType: output.contentType, width: output.width, height: output.height, diagramType: output.diagramType, bytes: output.data.length };
  }

  parse(data: ParseJobData, lane: { bestEffort: boolean } = { bestEffort: false }): Promise<ParseJobResult> {
    return this.renderer.parse(data.source, data.sourceFormat, { deadline: data.deadline, bestEffort: lane.bestEffort });
  }
}
