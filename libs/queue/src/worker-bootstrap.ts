import type { Server } from 'node:http';
import { INestApplicationContext, Logger as NestLogger, Type } from '@nestjs/common';
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

/**
 * Boots a worker as a NestJS application context (no HTTP app), logging JSON lines through pino,
 * with shutdown hooks so that SIGTERM lets BullMQ finish the jobs in hand, and an optional
 * listener for probes and Prometheus (/healthz, /readyz, /metrics).
 */
export async function bootstrapWorker(module: Type<unknown> | object, env: WorkerEnv, options: { service: string; signals?: boolean }): Promise<RunningWorker> {
  const app = await NestFactory.createApplicationContext(module as Type<unknown>, { bufferLogs: true });
  app.useLogger(nestLogger(options.service, env.LOG_LEVEL));
  // Exit 0 once the jobs in hand have finished and every connection is closed.
  if (options.signals !== false) app.enableShutdownHooks(undefined, { useProcessExit: true });
  await app.init();
  const presence = app.get(WorkerPresence);
  const queue = app.get<Queue>(getQueueToken(presence.kind));
  countQueue(queue);
  const checks = optional<ReadinessChecks>(app, READINESS_CHECKS) ?? {};
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
