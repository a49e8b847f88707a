import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Access } from '../auth/access.decorator';
import { consolePage } from './console.page';

/**
 * The console at `/console`: one static page whose script signs in with an API key (exchanged for
 * the session cookie, sessions/) and then does everything through the public /api/v1 routes with
 * the session's scopes. Views are routed in the fragment (`/console#/keys`), so one path serves
 * every deep link. Like the playground: free, never framed, only its own hashed script and style.
 */
@ApiExcludeController()
@Controller()
export class ConsoleController {
  @Get('console')
  @Access({ operations: true })
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('X-Frame-Options', 'DENY')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('Cross-Origin-Opener-Policy', 'same-origin')
  @Header('Permissions-Policy', 'camera=(), microphone=(), geolocation=()')
  @Header('Cache-Control', 'no-cache')
  async page(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const page = await consolePage();
    reply.header('Content-Security-Policy', page.csp);
    return page.html;
  }
}
