import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import { QueueName, READINESS_WORKER_KINDS, WORKER_KINDS } from '@flowsmith/contracts';
import { PrismaService } from '@flowsmith/database';
import { liveWorkers, workerInfo } from '@flowsmith/queue';
import { Access } from '../auth/access.decorator';
import { GatewayConfig } from '../common/gateway-config';
import { ApiEndpoint, ApiOk, header } from '../openapi/api-docs.decorators';
import { HealthStatus, ReadinessStatus } from '../openapi/schemas';
import { REDIS_COMMANDS } from '../redis.providers';

const CHECK_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS).unref()),
  ]);
}

/** Outside /api, auth and rate limits (docs/api.md). */
@ApiTags('Operations')
@Controller()
export class HealthController {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(REDIS_COMMANDS) private readonly redis: Redis,
    private readonly config: GatewayConfig,
  ) {}

  @Get('healthz')
  @ApiEndpoint('Liveness', { description: 'The process is alive. Outside /api, auth and rate limits.' })
  @ApiOk(HealthStatus, { description: 'Alive.' })
  @Access({ operations: true })
  @HttpCode(200)
  healthz() {
    return { status: 'ok' };
  }

  /** Ready when Postgres and Redis answer and a render and a generation worker are alive (READINESS_WORKER_KINDS). */
  @Get('readyz')
  @ApiEndpoint('Readiness', { description: 'Ready when the database, Redis and at least one render and one generation worker answer (webhook workers are counted, not required). Outside /api, auth and rate limits.' })
  @ApiOk(ReadinessStatus, { description: 'Ready.' })
  @ApiResponse({ status: 503, type: ReadinessStatus, description: 'Not ready: `checks` says what failed.', headers: { 'Retry-After': header('Seconds before asking again.', 'integer') } })
  @Access({ operations: true })
  async readyz(@Res({ passthrough: true }) reply: FastifyReply) {
    const checks: Record<string, string> = {};
    const workers: Record<string, number> = {};
    let generationProvider: string | null = null;
    const attempt = async (name: string, check: () => Promise<void>) => {
      try {
        await withTimeout(check());
        checks[name] = 'ok';
      } catch (error) {
        checks[name] = (error as Error).message || 'failed';
      }
    };
    await Promise.all([
      attempt('database', () => this.prisma.ping()),
      attempt('redis', async () => {
        await this.redis.ping();
        for (const kind of WORKER_KINDS) {
          workers[kind] = await liveWorkers(this.redis, this.config.env.REDIS_PREFIX, kind, this.config.env.WORKER_HEARTBEAT_SECONDS);
        }
        generationProvider = (await workerInfo(this.redis, this.config.env.REDIS_PREFIX, QueueName.Generation))?.provider ?? null;
      }),
    ]);
    if (checks.redis === 'ok') {
      for (const kind of READINESS_WORKER_KINDS) {
        const required = this.config.env.READY_REQUIRES_WORKERS;
        checks[`${kind}_workers`] = workers[kind] > 0 || !required ? 'ok' : 'no live worker';
      }
    }
    const ready = Object.values(checks).every((state) => state === 'ok');
    if (!ready) reply.status(503).header('Retry-After', '5');
    // Which model the generation workers use: a Claude model, or "offline" (the rules-based generator).
    return { status: ready ? 'ok' : 'unavailable', checks, workers, generation_provider: generationProvider };
  }
}
