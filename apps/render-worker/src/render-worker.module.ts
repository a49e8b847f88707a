import { DynamicModule, Module } from '@nestjs/common';
import type { WorkerEnv } from '@flowsmith/config';
import { QueueName } from '@flowsmith/contracts';
import { WorkerRuntimeModule } from '@flowsmith/queue';
import { RenderProcessor } from './render.processor';

@Module({})
export class RenderWorkerModule {
  static forRoot(env: WorkerEnv): DynamicModule {
    return {
      module: RenderWorkerModule,
      imports: [WorkerRuntimeModule.forRoot(QueueName.Render, env)],
      providers: [RenderProcessor],
    };
  }
}
