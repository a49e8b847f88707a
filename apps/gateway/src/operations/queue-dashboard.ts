import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayEnv } from '@flowsmith/config';
import { sameSecret } from '@flowsmith/identity';
import { QueueClients } from '@flowsmith/queue';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * Bull Board for operators at /admin/queues: off unless BULL_BOARD_PASSWORD is set, and then
 * behind HTTP Basic auth with its own credential (never an API key). It can retry and remove
 * jobs, so it belongs on an operators' network too. Outside /api, the API's auth, rate limits and
 * OpenAPI document.
 */
export async function mountQueueDashboard(app: NestFastifyApplication, env: GatewayEnv): Promise<boolean> {
  if (!env.BULL_BOARD_PASSWORD) return false;
  // Loaded only when turned on: Bull Board's UI stack (@fastify/static, views) is not needed otherwise.
  const [{ createBullBoard }, { BullMQAdapter }, { FastifyAdapter: BullBoardFastifyAdapter }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/fastify'),
  ]);
  const expected = `Basic ${Buffer.from(`${env.BULL_BOARD_USER}:${env.BULL_BOARD_PASSWORD}`).toString('base64')}`;
  const serverAdapter = new BullBoardFastifyAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: app.get(QueueClients).all.map((client) => new BullMQAdapter(client.queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Flowsmith queues' } },
  });
  const plugin = serverAdapter.registerPlugin();
  await app.register(
    async (scope: FastifyInstance) => {
      scope.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
        if (sameSecret(request.headers.authorization ?? '', expected)) return done();
        void reply
          .code(401)
          .header('WWW-Authenticate', 'Basic realm="Flowsmith queues", charset="UTF-8"')
          .header('Cache-Control', 'no-store')
          .send({ error: { type: 'authentication_error', code: 'not_authenticated', message: 'The queue dashboard needs its operator credential (HTTP Basic).' }, request_id: request.id });
      });
      await scope.register(plugin, { prefix: QUEUE_DASHBOARD_PATH });
    },
  );
  return true;
}
