import 'reflect-metadata';
import 'dotenv/config';
import { ConfigError, loadEnv, RenderWorkerEnv } from '@flowsmith/config';
import { bootstrapWorker } from '@flowsmith/queue';
import { RenderWorkerModule } from './render-worker.module';

async function main(): Promise<void> {
  const env = loadEnv(RenderWorkerEnv);
  await bootstrapWorker(RenderWorkerModule.forRoot(env), env, { service: 'render-worker' });
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
