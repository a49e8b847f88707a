import { createServer, Server } from 'node:http';
import { metricsText } from '@flowsmith/observability';

export type ReadinessCheck = () => Promise<Record<string, 'ok' | string>>;

/**
 * A tiny HTTP listener for a worker (which has no HTTP app of its own): /healthz says the process
 * is alive, /readyz runs the checks and answers 503 when any fails (orchestrators probe these),
 * and /metrics is the worker's Prometheus exposition.
 */
export function startHealthServer(port: number, readiness: ReadinessCheck): Promise<Server> {
  const server = createServer((request, response) => {
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.url === '/healthz') return send(200, { status: 'ok' });
    if (request.url === '/metrics') {
      metricsText()
        .then(({ contentType, body }) => {
          response.writeHead(200, { 'content-type': contentType });
          response.end(body);
        })
        .catch((error: Error) => send(500, { error: error.message }));
      return;
    }
    if (request.url === '/readyz') {
      readiness()
        .then((checks) => {
          const ok = Object.values(checks).every((state) => state === 'ok');
          send(ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable', checks });
        })
        .catch((error: Error) => send(503, { status: 'unavailable', error: error.message }));
      return;
    }
    send(404, { error: 'not found' });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}
