import { DynamicModule, Module } from '@nestjs/common';
import type { RenderWorkerEnv } from '@flowsmith/config';
import { QueueName } from '@flowsmith/contracts';
import { READINESS_CHECKS, ReadinessChecks, WorkerRuntimeModule } from '@flowsmith/queue';
import { RenderJobsService } from './render-jobs.service';
import { RenderProcessor } from './render.processor';

@Module({})
export class RenderWorkerModule {
  static forRoot(env: RenderWorkerEnv): DynamicModule {
    return {
      module: RenderWorkerModule,
      imports: [WorkerRuntimeModule.forRoot(QueueName.Render, env)],
      providers: [
        RenderJobsService,
        RenderProcessor,
        {
          provide: READINESS_CHECKS,
          useFactory: (jobs: RenderJobsService): ReadinessChecks => ({
            chromium: async () => (jobs.renderer.pool.browserPid() ? 'ok' : 'not running (relaunching)'),
          }),
          inject: [RenderJobsService],
        },
      ],
    };
  }
}
