import { DynamicModule, Module } from '@nestjs/common';
import type { WorkerEnv } from '@flowsmith/config';
import { QueueName } from '@flowsmith/contracts';
import { WorkerRuntimeModule } from '@flowsmith/queue';
import { GenerationProcessor } from './generation.processor';

@Module({})
export class GenerationWorkerModule {
  static forRoot(env: WorkerEnv): DynamicModule {
    return {
      module: GenerationWorkerModule,
      imports: [WorkerRuntimeModule.forRoot(QueueName.Generation, env)],
      providers: [GenerationProcessor],
    };
  }
}
