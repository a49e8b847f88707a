import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Access } from '../auth/access.decorator';
import { PLAYGROUND_PAGE } from './playground.page';

/**
 * The playground at `/`: one static page that calls the anonymous routes from the browser. The page
 * itself is free (no key, no rate limit: its renders are limited where they happen), cannot be
 * framed, and runs only its own hashed script and style. Not part of the API, so not in OpenAPI.
 */
@ApiExcludeController()
@Controller()
export class PlaygroundController {
  @Get()
  @Access({ operations: true })
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', PLAYGROUND_PAGE.csp)
  @Header('X-Frame-Options', 'DENY')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('Cross-Origin-Opener-Policy', 'same-origin')
  @Header('Permissions-Policy', 'camera=(), microphone=(), geolocation=()')
  @Header('Cache-Control', 'public, max-age=300')
  page(): string {
    return PLAYGROUND_PAGE.html;
  }
}
