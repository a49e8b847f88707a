import type { Server } from 'node:http';
import { INestApplicationContext, Logger as NestLogger, ShutdownSignal, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { WorkerEnv } from '@flowsmith/config';
import { countQueue, nestLogger, uncountQueue } from '@flowsmith/observability';
import { startHealthServer } from './health-server';
import { WorkerPresence } from './worker-runtime.module';

export interface RunningWorker {
  app: INestApplicationContext;
  health?: Server;
  close(): Promise<void>;
}

/**
 * What a worker module may add to its readiness: named checks that resolve to 'ok' or say what is
 * wrong (the render worker: its browser; the generation worker: the database). Provide it under
 * READINESS_CHECKS.
 */
export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
export type ReadinessChecks = Record<string, () => Promise<'ok' | string>>;

function optional<T>(app: INestApplicationContext, token: symbol): T | undefined {
  try {
    return app.get<T>(token, { strict: false });
  } catch {
    return undefined;
  }
}

export interface WorkerBootstrapOptions {
  service: string;
  /** Listen for SIGTERM, SIGINT and the like (the processes do; in-process tests close the worker themselves). */
  signals?: boolean;
  /**
   * After a signal, the process exits with status 1 at this point whatever is still running: a
   * drain that should be bounded (the processors bound theirs) but is not, a browser or a Redis
   * connection that will not close. 150 s by default (two model calls and a render of a generation).
   */
  shutdownTimeoutMs?: number;
  /**
   * Stop beating while the readiness checks fail (worker-registry.ts): for checks that say the
   * worker itself cannot work (the render worker's browser), not for shared dependencies (the
   * generation worker's database), whose outage gateways handle on their own.
   */
  withdrawWhenUnready?: boolean;
}

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 150_000;

/**
 * Boots a worker as a NestJS application context (no HTTP app), logging JSON lines through pino,
 * with shutdown hooks so that SIGTERM withdraws the worker from the registry, lets BullMQ finish
 * the jobs in hand and closes everything (in that order: worker-runtime.module.ts), with a hard
 * exit timer behind it; the readiness checks also decide whether the worker beats at all
 * (worker-registry.ts), and an optional listener serves probes and Prometheus (/healthz, /readyz,
 * /metrics).
 */
export async function bootstrapWorker(module: Type<unknown> | object, env: WorkerEnv, options: WorkerBootstrapOptions): Promise<RunningWorker> {
  // NestFactory.createApplicationContext runs every onModuleInit and onApplicationBootstrap (the
  // heartbeat starts there, so the worker is visible) before it returns and before Nest's shutdown hooks exist: a signal in
  // that window would kill the process outright. It is held here and acted on once the hooks are in.
  let early: NodeJS.Signals | undefined;
  const holdEarly = (signal: NodeJS.Signals) => (early ??= signal);
  const signals = Object.values(ShutdownSignal) as NodeJS.Signals[];
  if (options.signals !== false) for (const signal of signals) process.on(signal, holdEarly);
  const app = await NestFactory.createApplicationContext(module as Type<unknown>, { bufferLogs: true });
  app.useLogger(nestLogger(options.service, env.LOG_LEVEL));
  let draining = false;
  if (options.signals !== false) {
    // Exit 0 once the jobs in hand have finished and every connection is closed.
    app.enableShutdownHooks(undefined, { useProcessExit: true });
    const timeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
    for (const signal of Object.values(ShutdownSignal)) {
      process.once(signal, () => {
        draining = true;
        // Not unref'd on purpose: it is the one thing that must still run when everything else hangs.
        setTimeout(() => {
          NestLogger.error(`shutdown did not finish within ${timeoutMs} ms; exiting anyway`, 'WorkerBootstrap');
          process.exit(1);
        }, timeoutMs);
      });
    }
  }
  await app.init();
  if (options.signals !== false) {
    for (const signal of signals) process.removeListener(signal, holdEarly);
    // Delivered again now that Nest listens: the same clean shutdown as a later signal.
    if (early) process.kill(process.pid, early);
  }
  const presence = app.get(WorkerPresence);
  const queue = app.get<Queue>(getQueueToken(presence.kind));
  countQueue(queue);
  const checks = optional<ReadinessChecks>(app, READINESS_CHECKS) ?? {};
  // A worker whose own checks fail (its browser will not start) withdraws from the registry.
  if (options.withdrawWhenUnready) {
    presence.heartbeat.watch(async () => {
      const failing = await failingChecks(checks);
      return failing.length ? failing.join('; ') : 'ok';
    });
  }
  let health: Server | undefined;
  if (env.HEALTH_PORT > 0) {
    health = await startHealthServer(env.HEALTH_PORT, async () => {
      const states: Record<string, string> = {};
      const named: ReadinessChecks = { redis: async () => ((await presence.redis.ping()) === 'PONG' ? 'ok' : 'no answer'), ...checks };
      await Promise.all(
        Object.entries(named).map(async ([name, check]) => {
          states[name] = await check().catch((error: Error) => error.message || 'failed');
        }),
      );
      if (draining) states.shutdown = 'draining: takes no new jobs';
      return states;
    });
    NestLogger.log(`health listener on :${env.HEALTH_PORT}`, 'WorkerBootstrap');
  }
  return {
    app,
    health,
    async close() {
      uncountQueue(queue);
      health?.close();
      await app.close();
    },
  };
}

async function failingChecks(checks: ReadinessChecks): Promise<string[]> {
  const states = await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await check().catch((error: Error) => error.message || 'failed')] as const));
  return states.filter(([, state]) => state !== 'ok').map(([name, state]) => `${name}: ${state}`);
}
