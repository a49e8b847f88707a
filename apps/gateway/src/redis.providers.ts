import type { Provider } from '@nestjs/common';
import { createRedis } from '@flowsmith/queue';
import { GatewayConfig } from './common/gateway-config';

/** Request-path commands: fail fast so a Redis outage is a 503, not a hang. */
export const REDIS_COMMANDS = Symbol('REDIS_COMMANDS');
/** A connection in subscriber mode for the revocation feed. */
export const REDIS_SUBSCRIBER = Symbol('REDIS_SUBSCRIBER');

export const redisProviders: Provider[] = [
  { provide: REDIS_COMMANDS, useFactory: (config: GatewayConfig) => createRedis(config.env, 'command'), inject: [GatewayConfig] },
  {
    provide: REDIS_SUBSCRIBER,
    useFactory: (config: GatewayConfig) => createRedis(config.env, 'queue', { enableAutoPipelining: false }),
    inject: [GatewayConfig],
  },
  { provide: 'REDIS_PREFIX', useFactory: (config: GatewayConfig) => config.env.REDIS_PREFIX, inject: [GatewayConfig] },
];
