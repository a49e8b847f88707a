import { DynamicModule, Module } from '@nestjs/common';
import type { RenderWorkerEnv } from '@flowsmith/config';
import { QueueName } from '@flowsmith/contracts';
import { BullModule } from '@nestjs/bullmq';
import { DEFAULT_JOB_OPTIONS, READINESS_CHECKS, ReadinessChecks, WorkerRuntimeModule } from '@flowsmith/queue';
import { RenderJobsService } from './render-jobs.service';
import { RenderBestEffortProcessor, RenderHeavyProcessor, RenderProcessor } from './render.processor';

@Module({})
export class RenderWorkerModule {
  static forRoot(env: RenderWorkerEnv): DynamicModule {
    return {
      module: RenderWorkerModule,
      imports: [
        WorkerRuntimeModule.forRoot(QueueName.Render, env),
        // The same workers consume the heavy and best-effort render queues (render.processor.ts).
        BullModule.registerQueue({ name: QueueName.RenderHeavy, defaultJobOptions: DEFAULT_JOB_OPTIONS[QueueName.RenderHeavy] }),
        BullModule.registerQueue({ name: QueueName.RenderBestEffort, defaultJobOptions: DEFAULT_JOB_OPTIONS[QueueName.RenderBestEffort] }),
      ],
      providers: [
        RenderJobsService,
        RenderProcessor,
        RenderBestEffortProcessor,
        RenderHeavyProcessor,
        {
          provide: READINESS_CHECKS,
          // Whether the worker could render, not whether it is idle: every page or raster process
          // busy is 'ok'. A check failing for UNFIT_GRACE_MS withdraws the worker (worker-registry.ts).
          useFactory: (jobs: RenderJobsService): ReadinessChecks => ({
            chromium: async () => (jobs.renderer.pool.browserPid() ? 'ok' : 'not running (relaunching)'),
            raster: async () => jobs.renderer.rasterReadiness(),
          }),
          inject: [RenderJobsService],
        },
      ],
    };
  }
}
