import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { API_KEY_PATTERN } from '@flowsmith/identity';
import { Access } from '../auth/access.decorator';
import type { KeyActor } from '../auth/actor';
import { ApiKeyAuthenticator } from '../auth/api-key-authenticator';
import { CurrentKey } from '../auth/current-actor.decorator';
import { ApiError } from '../common/api-error';
import { identityOf } from '../me/me.controller';
import { ApiEndpoint, ApiOk } from '../openapi/api-docs.decorators';
import { CreateSessionDto, SessionResource } from './session.dto';
import { BrowserSession, SESSION_COOKIE, SessionsService } from './sessions.service';

/** HttpOnly (no script reads it), SameSite=Strict (no other site sends it), Secure over HTTPS as seen through TRUST_PROXY_HOPS. */
function cookieOptions(request: FastifyRequest, maxAge: number): CookieSerializeOptions {
  return { path: '/', httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https', maxAge };
}

const noSession = () => new ApiError('not_authenticated', 'No session: sign in with POST /api/v1/sessions and send its cookie.');

/**
 * The browser session: a person pastes an API key once (the console at /console) and the browser
 * holds an HttpOnly cookie instead, so no page script or storage ever sees the key. With the
 * cookie, every /api route treats the caller as that key (auth/access.guard.ts), and writing
 * requests must also carry the session's CSRF token.
 */
@ApiTags('Sessions')
@Controller('v1/sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly authenticator: ApiKeyAuthenticator,
  ) {}

  @Post()
  @ApiEndpoint('Sign in: exchange an API key for a session cookie', {
    description: 'Sets `flowsmith_session` (HttpOnly, SameSite=Strict, Path=/, Secure over HTTPS) for SESSION_TTL_SECONDS. Anonymous route on the per-IP bucket; any Authorization header is ignored.',
    errors: ['invalid_api_key'],
  })
  @ApiOk(SessionResource, { status: 201, description: 'The session; the cookie is in Set-Cookie.', headers: { 'Set-Cookie': { description: 'flowsmith_session=<opaque>; HttpOnly; SameSite=Strict; Path=/; Max-Age=<ttl>', schema: { type: 'string' } } } })
  @Access({ public: true, anonymous: 'anonymous', ignoreKey: true })
  async create(@Body() body: CreateSessionDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    if (!API_KEY_PATTERN.test(body.api_key)) throw new ApiError('invalid_api_key', 'Invalid API key provided.');
    const key = await this.authenticator.authenticate(`Bearer ${body.api_key}`);
    const previous = request.cookies[SESSION_COOKIE];
    if (previous) await this.sessions.end(previous);
    const session = await this.sessions.open(key);
    reply.setCookie(SESSION_COOKIE, session.token, cookieOptions(request, this.sessions.ttlSeconds));
    return present(session, { keyId: key.id, userId: key.userId, organizationId: key.organizationId, plan: key.plan, scopes: key.scopes });
  }

  @Get('current')
  @ApiEndpoint('Read the current session', { description: 'Signed in by the cookie alone: a fresh page reads its CSRF token here.' })
  @ApiOk(SessionResource, { description: 'The session.' })
  @Access({ anyKey: true })
  current(@CurrentKey() actor: KeyActor, @Req() request: FastifyRequest) {
    if (!request.browserSession) throw noSession();
    return present(request.browserSession, actor);
  }

  @Delete('current')
  @HttpCode(204)
  @ApiEndpoint('Sign out', { description: 'Ends the session and clears its cookie. Needs `X-CSRF-Token`.' })
  @ApiResponse({ status: 204, description: 'Signed out; the cookie is cleared.' })
  @Access({ anyKey: true })
  async end(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    if (!request.browserSession) throw noSession();
    await this.sessions.end(request.browserSession.token);
    reply.clearCookie(SESSION_COOKIE, cookieOptions(request, 0));
  }
}

function present(session: BrowserSession, key: Parameters<typeof identityOf>[0]) {
  return {
    object: 'session' as const,
    csrf_token: session.csrfToken,
    expires_at: session.expiresAt,
    key: { id: session.keyId, name: session.keyName, scopes: [...key.scopes], plan: key.plan },
    user: identityOf(key),
  };
}
