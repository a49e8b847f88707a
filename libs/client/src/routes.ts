import type { paths } from './generated/api';

/**
 * Every operation the client calls, by method and OpenAPI path. The client builds each request
 * from this table and nothing else, so it is exactly the set of routes the client covers; the drift
 * spec (apps/gateway/test/client.e2e-spec.ts) compares it with the gateway's `/api/openapi.json`,
 * so a route added to the API without a client method fails the build; a path the document does not
 * have fails tsc already (`keyof paths`, generated from the document).
 *
 * `idempotent`: the server honours `Idempotency-Key` on it (the client always sends one), which
 * also makes it safe to retry. `retrySafe`: retrying cannot do anything twice (reads, deletes and
 * the unmetered beautify).
 */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: keyof paths;
  idempotent?: true;
  retrySafe?: true;
}

export const ROUTES = {
  'diagrams.create': { method: 'POST', path: '/api/v1/diagrams', idempotent: true },
  'diagrams.list': { method: 'GET', path: '/api/v1/diagrams', retrySafe: true },
  'diagrams.get': { method: 'GET', path: '/api/v1/diagrams/{id}', retrySafe: true },
  'diagrams.update': { method: 'PATCH', path: '/api/v1/diagrams/{id}' },
  'diagrams.delete': { method: 'DELETE', path: '/api/v1/diagrams/{id}', retrySafe: true },
  'diagrams.image': { method: 'GET', path: '/api/v1/diagrams/{id}/image', retrySafe: true },
  'diagrams.revisions': { method: 'GET', path: '/api/v1/diagrams/{id}/revisions', retrySafe: true },
  'diagrams.revision': { method: 'GET', path: '/api/v1/diagrams/{id}/revisions/{n}', retrySafe: true },
  'diagrams.restore': { method: 'POST', path: '/api/v1/diagrams/{id}/revisions/{n}/restore' },
  'diagrams.edit': { method: 'POST', path: '/api/v1/diagrams/{id}/edits', idempotent: true },

  'folders.create': { method: 'POST', path: '/api/v1/folders', idempotent: true },
  'folders.list': { method: 'GET', path: '/api/v1/folders', retrySafe: true },
  'folders.get': { method: 'GET', path: '/api/v1/folders/{id}', retrySafe: true },
  'folders.update': { method: 'PATCH', path: '/api/v1/folders/{id}' },
  'folders.delete': { method: 'DELETE', path: '/api/v1/folders/{id}', retrySafe: true },

  'generations.create': { method: 'POST', path: '/api/v1/diagrams/generate', idempotent: true },
  'generations.get': { method: 'GET', path: '/api/v1/generations/{id}', retrySafe: true },
  'generations.list': { method: 'GET', path: '/api/v1/generations', retrySafe: true },
  'ai.generate': { method: 'POST', path: '/api/v1/ai/generate', idempotent: true },
  'ai.repair': { method: 'POST', path: '/api/v1/ai/repair', idempotent: true },

  'webhooks.create': { method: 'POST', path: '/api/v1/webhook_endpoints', idempotent: true },
  'webhooks.list': { method: 'GET', path: '/api/v1/webhook_endpoints', retrySafe: true },
  'webhooks.get': { method: 'GET', path: '/api/v1/webhook_endpoints/{id}', retrySafe: true },
  'webhooks.update': { method: 'PATCH', path: '/api/v1/webhook_endpoints/{id}' },
  'webhooks.rotateSecret': { method: 'POST', path: '/api/v1/webhook_endpoints/{id}/rotate_secret' },
  'webhooks.delete': { method: 'DELETE', path: '/api/v1/webhook_endpoints/{id}', retrySafe: true },
  'webhooks.deliveries': { method: 'GET', path: '/api/v1/webhook_endpoints/{id}/deliveries', retrySafe: true },
  'webhooks.replay': { method: 'POST', path: '/api/v1/webhook_endpoints/{id}/deliveries/{delivery_id}/replay' },

  'render.beautify': { method: 'POST', path: '/api/v1/beautify', retrySafe: true },
  'render.export': { method: 'POST', path: '/api/v1/export', idempotent: true },
  'render.embed': { method: 'GET', path: '/api/v1/beautify.svg', retrySafe: true },

  'shares.create': { method: 'POST', path: '/api/v1/share', idempotent: true },
  'shares.list': { method: 'GET', path: '/api/v1/shares', retrySafe: true },
  'shares.delete': { method: 'DELETE', path: '/api/v1/share/{id}', retrySafe: true },
  // `{id}` is `<share id>.svg` or `.png` (the public image).
  'shares.image': { method: 'GET', path: '/api/v1/share/{id}', retrySafe: true },

  'themes.list': { method: 'GET', path: '/api/v1/themes', retrySafe: true },
  'usage.get': { method: 'GET', path: '/api/v1/usage', retrySafe: true },
  'me': { method: 'GET', path: '/api/v1/me', retrySafe: true },

  'keys.create': { method: 'POST', path: '/api/v1/keys', idempotent: true },
  'keys.list': { method: 'GET', path: '/api/v1/keys', retrySafe: true },
  'keys.revoke': { method: 'DELETE', path: '/api/v1/keys/{id}', retrySafe: true },

  'health.live': { method: 'GET', path: '/healthz', retrySafe: true },
  'health.ready': { method: 'GET', path: '/readyz', retrySafe: true },
  'health.metrics': { method: 'GET', path: '/metrics', retrySafe: true },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;

/** `GET /api/v1/diagrams/{id}` for every route, as the OpenAPI document names its operations. */
export function routeSignatures(): string[] {
  return Object.values(ROUTES).map((route: RouteSpec) => `${route.method} ${route.path}`);
}

/** Fills `{name}` templates; each value is URL-encoded. */
export function expandPath(path: string, params: Record<string, string> = {}): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') throw new TypeError(`Missing path parameter: ${name}.`);
    return encodeURIComponent(value);
  });
}
