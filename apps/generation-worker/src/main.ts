import 'reflect-metadata';
import 'dotenv/config';
import { ConfigError, GenerationWorkerEnv, loadEnv } from '@flowsmith/config';
import { bootstrapWorker } from '@flowsmith/queue';
import { GenerationWorkerModule } from './generation-worker.module';

async function main(): Promise<void> {
  const env = loadEnv(GenerationWorkerEnv);
  await bootstrapWorker(GenerationWorkerModule.forRoot(env), env, { service: 'generation-worker' });
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
