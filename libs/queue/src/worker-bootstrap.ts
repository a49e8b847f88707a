import type { Server } from 'node:http';
import { INestApplicationContext, Logger, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { WorkerEnv } from '@flowsmith/config';
import { startHealthServer } from './health-server';
import { WorkerPresence } from './worker-runtime.module';

export interface RunningWorker {
  app: INestApplicationContext;
  health?: Server;
  close(): Promise<void>;
}

/**
 * Boots a worker as a NestJS application context (no HTTP app), with shutdown hooks so that
 * SIGTERM lets BullMQ finish the jobs in hand, and an optional health listener for probes.
 */
export async function bootstrapWorker(module: Type<unknown> | object, env: WorkerEnv, options: { signals?: boolean } = {}): Promise<RunningWorker> {
  const app = await NestFactory.createApplicationContext(module as Type<unknown>, {
    logger: env.LOG_LEVEL === 'silent' ? false : ['log', 'warn', 'error'],
  });
  if (options.signals !== false) app.enableShutdownHooks();
  await app.init();
  const presence = app.get(WorkerPresence);
  let health: Server | undefined;
  if (env.HEALTH_PORT > 0) {
    health = await startHealthServer(env.HEALTH_PORT, async () => ({
      redis: (await presence.redis.ping()) === 'PONG' ? 'ok' : 'no answer',
    }));
    Logger.log(`health listener on :${env.HEALTH_PORT}`, 'WorkerBootstrap');
  }
  return {
    app,
    health,
    async close() {
      health?.close();
      await app.close();
    },
  };
}
