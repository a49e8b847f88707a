import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** JSON answers load nothing and may not be framed. */
const JSON_CSP = "default-src 'none'; frame-ancestors 'none'";
/**
 * An SVG opened on its own (not through <img>, where it cannot run script anyway) still runs
 * nothing: inline styles and embedded raster pictures only, in a sandbox.
 */
const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; sandbox";

/**
 * Security headers on every response (a few lines rather than @fastify/helmet: what we need
 * differs per kind of response, and each route that needs more sets its own, e.g. the
 * playground's hashed CSP, which is left as it is).
 * - everything: nosniff, no referrer;
 * - everything but the public image routes (CORS-open shares and embeds, which sites may frame):
 *   X-Frame-Options DENY;
 * - JSON and SVG: a CSP of their own unless the route set one;
 * - over HTTPS (seen through TRUST_PROXY_HOPS): HSTS.
 */
export function addSecurityHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload, done) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    if (!reply.hasHeader('Referrer-Policy')) reply.header('Referrer-Policy', 'no-referrer');
    const publicRoute = reply.getHeader('Access-Control-Allow-Origin') === '*';
    if (!publicRoute && !reply.hasHeader('X-Frame-Options')) reply.header('X-Frame-Options', 'DENY');
    if (!reply.hasHeader('Content-Security-Policy')) {
      const type = String(reply.getHeader('Content-Type') ?? '');
      if (type.startsWith('image/svg+xml')) reply.header('Content-Security-Policy', SVG_CSP);
      else if (type.startsWith('application/json') || type.startsWith('text/plain')) reply.header('Content-Security-Policy', JSON_CSP);
    }
    if (request.protocol === 'https') reply.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    done(null, payload);
  });
}
