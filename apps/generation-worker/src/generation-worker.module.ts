import { DynamicModule, Inject, Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import type { GenerationWorkerEnv } from '@flowsmith/config';
import { QueueName } from '@flowsmith/contracts';
import { DatabaseModule, databaseReadiness } from '@flowsmith/database';
import { QueueClientModule, READINESS_CHECKS, WorkerRuntimeModule } from '@flowsmith/queue';
import { webhookEventsProvider } from '@flowsmith/webhooks';
import { generationProcessor } from './generation.processor';
import { GenerationReaper } from './generation-reaper.service';
import { GenerationService } from './generation.service';
import { AnthropicProvider } from './providers/anthropic.provider';
import { MODEL_PROVIDER, ModelProvider } from './providers/model-provider';
import { OfflineProvider } from './providers/offline.provider';

/** Claude when ANTHROPIC_API_KEY is set; otherwise the offline generator, named as such. */
export function createModelProvider(env: GenerationWorkerEnv): ModelProvider {
  if (!env.ANTHROPIC_API_KEY) return new OfflineProvider();
  return new AnthropicProvider({
    apiKey: env.ANTHROPIC_API_KEY,
    baseURL: env.ANTHROPIC_BASE_URL,
    model: env.ANTHROPIC_MODEL,
    timeoutMs: env.ANTHROPIC_TIMEOUT_MS,
    maxTokens: env.ANTHROPIC_MAX_TOKENS,
  });
}

@Injectable()
class ProviderAnnouncement implements OnModuleInit {
  constructor(@Inject(MODEL_PROVIDER) private readonly provider: ModelProvider) {}
  onModuleInit(): void {
    const logger = new Logger('ModelProvider');
    if (this.provider.model === 'offline') logger.warn('No ANTHROPIC_API_KEY: using the offline generator (rules, not a model)');
    else logger.log(`Generating with ${this.provider.model}`);
  }
}

@Module({})
export class GenerationWorkerModule {
  static forRoot(env: GenerationWorkerEnv): DynamicModule {
    // One provider: the one that generates is the one the heartbeat names.
    const provider = createModelProvider(env);
    return {
      module: GenerationWorkerModule,
      imports: [
        WorkerRuntimeModule.forRoot(QueueName.Generation, env, { meta: { provider: provider.model } }),
        DatabaseModule.forRoot({ databaseUrl: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE }),
        // It validates and renders through the render worker, as the gateway does (GenerationService).
        // ... and queues the webhook deliveries of the generations it finishes.
        QueueClientModule.register({ queues: [QueueName.Render, QueueName.Webhook], redis: env }),
      ],
      providers: [
        { provide: MODEL_PROVIDER, useValue: provider },
        GenerationService,
        webhookEventsProvider,
        generationProcessor(env),
        GenerationReaper,
        ProviderAnnouncement,
        databaseReadiness(READINESS_CHECKS),
      ],
    };
  }
}
