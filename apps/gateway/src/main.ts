import 'reflect-metadata';
import 'dotenv/config';
import { Logger } from '@nestjs/common';
import { ConfigError, GatewayEnv, loadEnv } from '@flowsmith/config';
import { createGateway } from './gateway';

async function main(): Promise<void> {
  const env = loadEnv(GatewayEnv);
  const app = await createGateway(env);
  await app.listen({ port: env.PORT, host: env.HOST });
  Logger.log(`Flowsmith gateway listening on http://${env.HOST}:${env.PORT}`, 'Gateway');
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
