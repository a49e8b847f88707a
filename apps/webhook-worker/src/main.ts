import 'reflect-metadata';
import 'dotenv/config';
import { ConfigError, loadEnv, WebhookWorkerEnv } from '@flowsmith/config';
import { bootstrapWorker } from '@flowsmith/queue';
import { WebhookWorkerModule } from './webhook-worker.module';

async function main(): Promise<void> {
  const env = loadEnv(WebhookWorkerEnv);
  // An attempt lasts at most WEBHOOK_TIMEOUT_MS: the drain after SIGTERM needs little more.
  await bootstrapWorker(WebhookWorkerModule.forRoot(env), env, { service: 'webhook-worker', shutdownTimeoutMs: env.WEBHOOK_TIMEOUT_MS + 15_000 });
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
