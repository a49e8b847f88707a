import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../common/api-error';
import { GatewayConfig } from '../common/gateway-config';
import { ACCESS_METADATA, AccessPolicy } from './access.decorator';
import type { Actor, Caller } from './actor';
import { ApiKeyAuthenticator } from './api-key-authenticator';
import { BrowserSession, CSRF_HEADER, SESSION_COOKIE, SessionsService } from '../sessions/sessions.service';
import { Bucket, RateLimiter } from './rate-limiter';
import { RenderTenant, tierOfPlan } from '@flowsmith/contracts';
import { metrics } from '@flowsmith/observability';

/** Methods that may write: a request signed in by the session cookie must prove it came from our page. */
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Authentication, rate limiting and the scope check of every route, in that order, in one pass:
 * who is calling, may they call now, may they call this. The rate limit counts requests that then
 * fail the scope check, as GitHub's does.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly limiter: RateLimiter,
    private readonly config: GatewayConfig,
    private readonly sessions: SessionsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const policy = this.reflector.get<AccessPolicy | undefined>(ACCESS_METADATA, context.getHandler());
    if (!policy) throw new Error(`Route ${context.getClass().name}.${context.getHandler().name} declares no access policy`);
    if ('operations' in policy || 'documentation' in policy) return true;

    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const caller = await this.identify(request, policy);
    const bucket = await this.limit(caller, policy, reply);
    const actor: Actor = { ...caller, render: this.renderTenant(caller, policy, bucket) };
    if (actor.kind === 'api_key' && 'scope' in policy && !actor.scopes.has(policy.scope)) {
      throw new ApiError('insufficient_scope', `This key is missing the required scope: ${policy.scope}.`);
    }
    request.actor = actor;
    return true;
  }

  /**
   * Keys render as their owner (every key of an owner shares its cap), on their plan's queue;
   * anonymous callers as their IP. Public routes (embeds, shares) get a larger cap per IP, since
   * one page may show several of them at once.
   */
  private renderTenant(actor: Caller, policy: Exclude<AccessPolicy, { operations: true } | { documentation: true }>, bucket: Bucket): RenderTenant {
    const env = this.config.env;
    const charged = { ...bucket, windowMs: env.RATE_LIMIT_WINDOW_SECONDS * 1000 };
    if (actor.kind === 'api_key') {
      return { id: `owner:${actor.ownerId}`, tier: tierOfPlan(actor.plan), maxInFlight: this.config.plans[actor.plan].renders_in_flight, bucket: charged };
    }
    // Embeds, shares and the compatible APIs: a page or a documentation build asks for many at once.
    const many = 'anonymous' in policy && (policy.anonymous === 'embed' || policy.anonymous === 'compat');
    return { id: `ip:${actor.ip}`, tier: 'anonymous', maxInFlight: many ? env.RENDER_IN_FLIGHT_EMBED : env.RENDER_IN_FLIGHT_ANONYMOUS, bucket: charged };
  }

  private async identify(request: FastifyRequest, policy: Exclude<AccessPolicy, { operations: true } | { documentation: true }>): Promise<Caller> {
    const header = request.headers.authorization;
    const ignoreKey = 'ignoreKey' in policy && policy.ignoreKey;
    // An Authorization header always wins; without one, a browser session's cookie stands for its key
    // (sessions/sessions.service.ts), but not on the public and compatible routes, nor where only a bearer key will do.
    const takesCookie = !header && !('public' in policy) && !('bearerOnly' in policy) && !('anonymous' in policy && (policy.anonymous === 'embed' || policy.anonymous === 'compat'));
    const token = takesCookie ? request.cookies[SESSION_COOKIE] : undefined;
    const session = token ? await this.sessions.find(token) : null;
    const key = session && token
      ? await this.sessionKey(request, session, token)
      : header && !ignoreKey ? await this.authenticator.authenticate(header) : null;
    if (key) {
      return {
        kind: 'api_key',
        keyId: key.id,
        userId: key.userId,
        organizationId: key.organizationId,
        ownerId: key.ownerId,
        plan: key.plan,
        scopes: key.scopes,
        ip: request.ip,
      };
    }
    if (!('anonymous' in policy) || !policy.anonymous) {
      const why = token ? 'Your session has ended: sign in again, or send' : 'No API key provided. Send';
      throw new ApiError('not_authenticated', `${why} 'Authorization: Bearer <api key>'.`, { anonymousHint: true });
    }
    return { kind: 'anonymous', ip: request.ip };
  }

  /**
   * The key of a session, re-authenticated by id on every request (so revoking it ends the session
   * at once), after the CSRF check of a writing request. A session whose key no longer works is ended.
   */
  private async sessionKey(request: FastifyRequest, session: BrowserSession, token: string) {
    if (UNSAFE_METHODS.has(request.method) && !SessionsService.csrfMatches(session, request.headers[CSRF_HEADER])) {
      throw new ApiError('csrf_failed', `A request signed in by the session cookie must send the session's csrf_token in the X-CSRF-Token header.`);
    }
    try {
      const key = await this.authenticator.authenticateId(session.keyId);
      request.browserSession = { ...session, token };
      return key;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_api_key') await this.sessions.end(token);
      throw error;
    }
  }

  /** Counts the request in its buckets, or refuses it; returns the bucket that render costs are charged to. */
  private async limit(actor: Caller, policy: Exclude<AccessPolicy, { operations: true } | { documentation: true }>, reply: FastifyReply): Promise<Bucket> {
    const env = this.config.env;
    const windowMs = env.RATE_LIMIT_WINDOW_SECONDS * 1000;
    const buckets: Bucket[] = [];
    if (actor.kind === 'api_key') {
      buckets.push({ key: `rl:{${actor.keyId}}:all`, limit: env.RATE_LIMIT_PER_KEY });
      if ('ai' in policy && policy.ai) buckets.push({ key: `rl:{${actor.keyId}}:ai`, limit: env.RATE_LIMIT_AI_PER_KEY });
    } else if ('anonymous' in policy && policy.anonymous === 'embed') {
      buckets.push({ key: `rl:{ip:${actor.ip}}:embed`, limit: env.RATE_LIMIT_EMBED });
    } else if ('anonymous' in policy && policy.anonymous === 'compat') {
      buckets.push({ key: `rl:{ip:${actor.ip}}:compat`, limit: env.RATE_LIMIT_KROKI });
    } else {
      buckets.push({ key: `rl:{ip:${actor.ip}}:anon`, limit: env.RATE_LIMIT_ANONYMOUS });
    }

    const decision = await this.limiter.consume(buckets, windowMs, actor.kind === 'api_key' ? actor.keyId : undefined);
    if (decision.kind === 'revoked') {
      if (actor.kind === 'api_key') this.authenticator.evict(actor.keyId);
      throw new ApiError('invalid_api_key', 'This API key has been revoked.');
    }
    if (decision.kind === 'denied') {
      const denied = buckets.find((bucket) => bucket.limit === decision.limit) ?? buckets[0];
      metrics.rateLimitDenials.inc({ bucket: denied.key.slice(denied.key.lastIndexOf(':') + 1) });
      const reset = Math.max(1, Math.ceil(decision.resetMs / 1000));
      this.headers(reply, decision.limit, 0, reset);
      throw new ApiError('rate_limited', `Too many requests: the limit is ${decision.limit} per ${env.RATE_LIMIT_WINDOW_SECONDS} seconds. Retry after ${reset} seconds.`, {
        headers: { 'Retry-After': String(reset) },
        anonymousHint: actor.kind === 'anonymous',
        rateLimit: {
          limit: decision.limit,
          window_seconds: env.RATE_LIMIT_WINDOW_SECONDS,
          used: decision.used,
          resets_at: new Date(Date.now() + decision.resetMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        },
      });
    }
    // With two buckets, report the one closest to running out.
    const tightest = decision.buckets.reduce((a, b) => (b.limit - b.used < a.limit - a.used ? b : a));
    this.headers(reply, tightest.limit, Math.max(0, tightest.limit - tightest.used), Math.max(1, Math.ceil(tightest.resetMs / 1000)));
    return buckets[0];
  }

  private headers(reply: FastifyReply, limit: number, remaining: number, resetSeconds: number): void {
    reply.header('RateLimit-Limit', String(limit));
    reply.header('RateLimit-Remaining', String(remaining));
    reply.header('RateLimit-Reset', String(resetSeconds));
  }
}
