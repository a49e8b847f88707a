import 'reflect-metadata';
import 'dotenv/config';
import { ConfigError, loadEnv, RenderWorkerEnv } from '@flowsmith/config';
import { bootstrapWorker } from '@flowsmith/queue';
import { RenderWorkerModule } from './render-worker.module';

async function main(): Promise<void> {
  const env = loadEnv(RenderWorkerEnv);
  // The processors drain for RENDER_TIMEOUT_MS + 3 s (render-jobs.service.ts); closing Chromium,
  // the JVMs, the raster processes and Redis gets 7 s more before the process exits regardless.
  await bootstrapWorker(RenderWorkerModule.forRoot(env), env, {
    service: 'render-worker',
    shutdownTimeoutMs: env.RENDER_TIMEOUT_MS + 10_000,
    // Chromium or the raster pool unable to work (not merely busy) for 5 s: out of the registry.
    withdrawWhenUnready: true,
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
