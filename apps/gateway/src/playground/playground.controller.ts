import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Access } from '../auth/access.decorator';
import { GatewayConfig } from '../common/gateway-config';
import { PLAYGROUND_CSP, playgroundHtml } from './playground.page';

/**
 * The playground at `/`: one static page that calls the API from the browser, anonymously or as
 * the key of a browser session (apps/gateway/src/sessions). The page itself is free (no key, no
 * rate limit: its renders are limited where they happen), cannot be framed, and runs only its own
 * hashed script and style. Not part of the API, so not in OpenAPI.
 */
@ApiExcludeController()
@Controller()
export class PlaygroundController {
  private readonly html: string;

  constructor(config: GatewayConfig) {
    this.html = playgroundHtml(config.hints.sign_up_url);
  }

  @Get()
  @Access({ operations: true })
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', PLAYGROUND_CSP)
  @Header('X-Frame-Options', 'DENY')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('Cross-Origin-Opener-Policy', 'same-origin')
  @Header('Permissions-Policy', 'camera=(), microphone=(), geolocation=()')
  @Header('Cache-Control', 'public, max-age=300')
  page(): string {
    return this.html;
  }
}
