import { cspHash, LOGO, pageHead, scriptSafeJson } from '../common/page-parts';
import { LANGUAGES, SCOPES, SOURCE_FORMATS } from '@flowsmith/contracts';
import { consoleScript } from './console-bundle';
import { CONSOLE_STYLE } from './console.style';

/** What the script needs to know that the API does not say: the scopes a key may hold, the languages and a starter source of each. */
export const CONSOLE_SETTINGS = {
  scopes: SCOPES,
  formats: SOURCE_FORMATS.map((format) => ({ id: format, label: LANGUAGES[format].label, sample: LANGUAGES[format].sample })),
};

function html(script: string): string {
  return `${pageHead('Flowsmith console', CONSOLE_STYLE)}
<a class="skip" href="#view">Skip to the content</a>
<header class="bar">
  <a class="brand" href="/console#/diagrams">${LOGO}<span>Flowsmith</span> <small>console</small></a>
  <nav class="tabs" id="tabs" aria-label="Console" hidden>
    <a href="#/diagrams" data-view="diagrams">Diagrams</a>
    <a href="#/shares" data-view="shares">Shares</a>
    <a href="#/keys" data-view="keys">API keys</a>
    <a href="#/usage" data-view="usage">Usage</a>
  </nav>
  <div class="account">
    <span class="chip" id="who" hidden></span>
    <a class="button ghost" href="/">Playground</a>
    <a class="button ghost" href="/api/docs">API docs</a>
    <button type="button" id="sign-out" hidden>Sign out</button>
  </div>
</header>
<main id="view" tabindex="-1" aria-live="polite"></main>
<footer class="foot">Once you sign in, this browser holds a session cookie, never your API key. Everything here goes through the public API (<code>/api/v1</code>) with your key's scopes.</footer>
<div class="toast" id="toast" role="status" hidden></div>
<script type="application/json" id="settings">${scriptSafeJson(CONSOLE_SETTINGS)}</script>
<script>${script}</script>
</body>
</html>
`;
}

export interface ConsolePage {
  html: string;
  csp: string;
}

let page: Promise<ConsolePage> | undefined;

/**
 * The page and its Content-Security-Policy: the inline script (the bundle) and stylesheet are
 * allowed by their SHA-256 hashes; nothing else runs, loads or frames, and no markup is ever built
 * from strings (Trusted Types with no policy). Built once, on first request.
 */
export function consolePage(): Promise<ConsolePage> {
  page ??= consoleScript().then((script) => ({
    html: html(script),
    csp: [
      "default-src 'none'",
      `script-src ${cspHash(script)}`,
      `style-src ${cspHash(CONSOLE_STYLE)}`,
      "img-src 'self' data: blob:",
      "connect-src 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "require-trusted-types-for 'script'",
      "trusted-types 'none'",
    ].join('; '),
  }));
  page.catch(() => (page = undefined));
  return page;
}
