import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { GatewayEnv, loadEnv } from '@flowsmith/config';

/**
 * The gateway's factory is passed in (libs never import apps); specs hand it `createGateway`.
 * Each instance listens on an ephemeral port with the run's schema and Redis prefix.
 */
export type GatewayFactory = (env: GatewayEnv) => Promise<NestFastifyApplication>;

export interface RunningGateway {
  app: NestFastifyApplication;
  url: string;
  env: GatewayEnv;
  close(): Promise<void>;
}

export function testGatewayEnv(overrides: Record<string, string> = {}): GatewayEnv {
  return loadEnv(GatewayEnv, { ...process.env, PORT: '0', HOST: '127.0.0.1', READY_REQUIRES_WORKERS: 'false', API_KEY_PREFIX: 'fs_test_', ...overrides });
}

export async function startGateway(factory: GatewayFactory, overrides: Record<string, string> = {}): Promise<RunningGateway> {
  const env = testGatewayEnv(overrides);
  const app = await factory(env);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, env, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
