import { DynamicModule, Inject, Injectable, Logger, Module, OnApplicationShutdown, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE, DiscoveryModule } from '@nestjs/core';
import type { Redis } from 'ioredis';
import type { GatewayEnv } from '@flowsmith/config';
import { DatabaseModule, IdempotencyRepository } from '@flowsmith/database';
import { QueueClientModule } from '@flowsmith/queue';
import { webhookEventsProvider } from '@flowsmith/webhooks';
import { AccessGuard } from './auth/access.guard';
import { ApiKeyAuthenticator } from './auth/api-key-authenticator';
import { RateLimiter } from './auth/rate-limiter';
import { RouteCatalog } from './auth/route-catalog';
import { ErrorEnvelopeFilter } from './common/error-envelope.filter';
import { GatewayConfig } from './common/gateway-config';
import { HttpDrain } from './common/http-drain';
import { ApiValidationPipe } from './common/validation';
import { DiagramsController } from './diagrams/diagrams.controller';
import { DiagramsService } from './diagrams/diagrams.service';
import { FoldersController } from './folders/folders.controller';
import { FoldersService } from './folders/folders.service';
import { HealthController } from './health/health.controller';
import { MetricsController, QueueDepthReporter } from './health/metrics.controller';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { KeysController } from './keys/keys.controller';
import { KeysService } from './keys/keys.service';
import { REDIS_COMMANDS, redisProviders } from './redis.providers';
import { UsageController } from './usage/usage.controller';
import { DocsModule } from './openapi/docs.controller';
import { MeController } from './me/me.controller';
import { GenerationsController } from './generations/generations.controller';
import { GenerationsService } from './generations/generations.service';
import { RenderClient } from './rendering/render-client.service';
import { RenderSlots } from './rendering/render-slots';
import { GATEWAY_QUEUES, queueClientProviders } from './queue-clients';
import { RenderingController } from './rendering/rendering.controller';
import { CompatController } from './compat/compat.controller';
import { SharesController } from './shares/shares.controller';
import { PlaygroundController } from './playground/playground.controller';
import { SharesService } from './shares/shares.service';
import { SessionsController } from './sessions/sessions.controller';
import { ConsoleController } from './console/console.controller';
import { SessionsService } from './sessions/sessions.service';
import { ExportQuota } from './usage/export-quota.service';
import { WebhookEndpointsController } from './webhooks/webhook-endpoints.controller';
import { WebhookEndpointsService } from './webhooks/webhook-endpoints.service';
import { McpController } from './mcp/mcp.controller';

/** Deletes idempotency records past their 24 h, hourly. Any instance may do it; it is idempotent. */
@Injectable()
class IdempotencyJanitor implements OnModuleInit, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  constructor(private readonly records: IdempotencyRepository) {}
  onModuleInit(): void {
    this.timer = setInterval(() => void this.records.purgeExpired().catch(() => undefined), 3600_000);
    this.timer.unref();
  }
  onModuleDestroy(): void {
    clearInterval(this.timer);
  }
}

@Injectable()
class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(REDIS_COMMANDS) private readonly redis: Redis) {}
  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}

@Module({})
export class GatewayModule {
  static forRoot(env: GatewayEnv): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        DiscoveryModule,
        DocsModule,
        DatabaseModule.forRoot({ databaseUrl: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE }),
        QueueClientModule.register({ queues: GATEWAY_QUEUES, redis: env }),
      ],
      controllers: [HealthController, MetricsController, MeController, DiagramsController, FoldersController, KeysController, UsageController, RenderingController, CompatController, SharesController, GenerationsController, PlaygroundController, SessionsController, ConsoleController, McpController, WebhookEndpointsController],
      providers: [
        { provide: GatewayConfig, useValue: new GatewayConfig(env) },
        ...redisProviders,
        RedisLifecycle,
        ApiKeyAuthenticator,
        RateLimiter,
        RouteCatalog,
        IdempotencyInterceptor,
        IdempotencyJanitor,
        DiagramsService,
        FoldersService,
        KeysService,
        ...queueClientProviders,
        QueueDepthReporter,
        RenderClient,
        RenderSlots,
        ExportQuota,
        SharesService,
        GenerationsService,
        SessionsService,
        webhookEventsProvider,
        WebhookEndpointsService,
        ErrorEnvelopeFilter,
        HttpDrain,
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_FILTER, useExisting: ErrorEnvelopeFilter },
        { provide: APP_PIPE, useValue: new ApiValidationPipe() },
      ],
    };
  }
}

export const gatewayLogger = new Logger('Gateway');
