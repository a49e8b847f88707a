import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import type { WorkerEnv } from '@flowsmith/config';
import { QueueName, WorkerKind } from '@flowsmith/contracts';
import { DEFAULT_JOB_OPTIONS } from './job-options';
import { BullConnection, bullPrefix, createRedis, openBullConnection, RedisClient } from './redis';
import { WorkerHeartbeat } from './worker-registry';

export const WORKER_ENV = Symbol('WORKER_ENV');
export const WORKER_KIND = Symbol('WORKER_KIND');
export const WORKER_REDIS = Symbol('WORKER_REDIS');
export const WORKER_META = Symbol('WORKER_META');
/** The connection BullModule.forRoot was given; for Cluster a client that only we can close. */
export const WORKER_BULL_CONNECTION = Symbol('WORKER_BULL_CONNECTION');

/**
 * Announces the worker in Redis while it runs and can work (worker-registry.ts): from
 * onApplicationBootstrap, which Nest runs after every module's onModuleInit, so a render worker
 * is counted only once its Chromium is up with warm pages (RenderJobsService.onModuleInit) and a
 * gateway never sends a caller's render to a worker that would spend the caller's budget booting.
 * It withdraws first thing on shutdown: in onModuleDestroy, which Nest runs before any
 * beforeApplicationShutdown, where the processors stop taking jobs and drain. Gateways stop counting the worker (and sending
 * callers' waits its way) before it stops consuming, never after.
 */
@Injectable()
export class WorkerPresence implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerPresence.name);
  readonly heartbeat: WorkerHeartbeat;

  constructor(
    @Inject(WORKER_REDIS) readonly redis: RedisClient,
    @Inject(WORKER_BULL_CONNECTION) private readonly bull: BullConnection,
    @Inject(WORKER_ENV) env: WorkerEnv,
    @Inject(WORKER_KIND) readonly kind: WorkerKind,
    @Inject(WORKER_META) meta: Record<string, string>,
  ) {
    const id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.heartbeat = new WorkerHeartbeat(redis, env.REDIS_PREFIX, kind, id, env.WORKER_HEARTBEAT_SECONDS, meta);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.heartbeat.start();
    this.logger.log(`${this.kind} worker ${this.heartbeat.workerId} is up`);
  }

  async onModuleDestroy(): Promise<void> {
    await this.heartbeat.stop();
    this.logger.log(`${this.kind} worker ${this.heartbeat.workerId} withdrew from the registry; draining`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.heartbeat.stop(); // already done in onModuleDestroy unless a caller skipped it; idempotent
    this.redis.disconnect();
    await this.bull.close();
  }
}

/**
 * What every worker process shares: the BullMQ connection and prefix, its own queue registered
 * with the defaults of job-options.ts, and its presence in the worker registry.
 */
@Module({})
export class WorkerRuntimeModule {
  static forRoot(kind: WorkerKind & QueueName, env: WorkerEnv, options: { meta?: Record<string, string> } = {}): DynamicModule {
    const bull = openBullConnection(env);
    return {
      module: WorkerRuntimeModule,
      global: true,
      imports: [
        BullModule.forRoot({
          connection: bull.connection,
          prefix: bullPrefix(env.REDIS_PREFIX),
        }),
        BullModule.registerQueue({ name: kind, defaultJobOptions: DEFAULT_JOB_OPTIONS[kind] }),
      ],
      providers: [
        { provide: WORKER_ENV, useValue: env },
        { provide: WORKER_KIND, useValue: kind },
        { provide: WORKER_META, useValue: options.meta ?? {} },
        { provide: WORKER_BULL_CONNECTION, useValue: bull },
        { provide: WORKER_REDIS, useFactory: () => createRedis(env, 'queue') },
        WorkerPresence,
      ],
      exports: [BullModule, WORKER_ENV, WORKER_KIND, WORKER_REDIS, WorkerPresence],
    };
  }
}
