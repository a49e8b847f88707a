import { DynamicModule, Module } from '@nestjs/common';
import type { WebhookWorkerEnv } from '@flowsmith/config';
import { QueueName } from '@flowsmith/contracts';
import { DatabaseModule, databaseReadiness } from '@flowsmith/database';
import { READINESS_CHECKS, WorkerRuntimeModule } from '@flowsmith/queue';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { webhookProcessor } from './webhook.processor';
import { WebhookRetention } from './webhook-retention.service';
import { WebhookSweeper } from './webhook-sweeper.service';

/** The webhook worker: consumes the webhook queue (one job per delivery), sweeps up deliveries whose jobs went missing and deletes expired events. */
@Module({})
export class WebhookWorkerModule {
  static forRoot(env: WebhookWorkerEnv): DynamicModule {
    return {
      module: WebhookWorkerModule,
      imports: [
        WorkerRuntimeModule.forRoot(QueueName.Webhook, env),
        DatabaseModule.forRoot({ databaseUrl: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE }),
      ],
      providers: [
        WebhookDeliveryService,
        webhookProcessor(env),
        WebhookSweeper,
        WebhookRetention,
        databaseReadiness(READINESS_CHECKS),
      ],
    };
  }
}
