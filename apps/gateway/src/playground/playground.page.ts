import { cspHash, LOGO, pageHead, scriptSafeJson } from '../common/page-parts';
import { DEFAULT_THEME, GENERATION_HINTS, LANGUAGES, MAX_PROMPT_LENGTH, SOURCE_FORMATS, THEMES } from '@flowsmith/contracts';
import { CONSOLE_PATH } from '../common/gateway-config';
import { PLAYGROUND_SCRIPT } from './playground.script';
import { PLAYGROUND_STYLE } from './playground.style';

/** One small diagram per language (libs/contracts/src/languages.ts): what the playground's editor opens with. */
export const PLAYGROUND_SAMPLES = Object.fromEntries(SOURCE_FORMATS.map((format) => [format, LANGUAGES[format].sample]));

const attribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The page, built once at start-up: "Get an API key" points at SIGN_UP_URL when the operator set one, else at this gateway's console. */
export const playgroundHtml = (signUpUrl: string) => `${pageHead('Flowsmith playground', PLAYGROUND_STYLE)}
<a class="skip" id="skip" href="#source">Skip to the editor</a>
<header class="bar">
  <h1 class="brand">${LOGO}<span>Flowsmith</span> <small>playground</small></h1>
  <div class="controls">
    <label class="field" for="format">Format
      <select id="format" name="format">
${SOURCE_FORMATS.map((format) => `        <option value="${format}"${format === 'mermaid' ? ' selected' : ''}>${LANGUAGES[format].label}</option>`).join('\n')}
      </select>
    </label>
    <label class="field" for="theme">Theme
      <select id="theme" name="theme" disabled>
        <option value="${DEFAULT_THEME}" selected>${THEMES.find((theme) => theme.id === DEFAULT_THEME)?.name ?? DEFAULT_THEME}</option>
      </select>
    </label>
    <button type="button" id="copy-link" title="Copy a link that opens this diagram, its format and theme">Copy link</button>
    <button type="button" id="scheme" class="icon-button" aria-pressed="false" aria-label="Switch to dark mode">
      <svg class="icon-moon" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z"/></svg>
      <svg class="icon-sun" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><circle cx="12" cy="12" r="4"/><path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4"/></svg>
    </button>
    <a class="button" id="docs" href="/api/docs">API docs</a>
    <span class="account" id="anonymous">
      <a class="button" id="get-key" href="${attribute(signUpUrl)}">Get an API key</a>
      <a class="button primary" id="sign-in" href="${CONSOLE_PATH}">Sign in</a>
    </span>
    <span class="account" id="signed-in" hidden>
      <span class="chip" id="account" title="Renders run as this key: no watermark, its plan's limits"></span>
      <button type="button" id="sign-out">Sign out</button>
    </span>
  </div>
</header>
<div class="notice" id="notice" role="status" hidden><span id="notice-text"></span><button type="button" id="notice-close" aria-label="Dismiss">Dismiss</button></div>
<main>
  <section class="panel" aria-labelledby="editor-title">
    <div class="panel-head">
      <h2 id="editor-title">Source</h2>
      <span class="spacer"></span>
      <span class="status"><kbd>Ctrl</kbd>+<kbd>Enter</kbd> renders now</span>
    </div>
    <form class="ai" id="ai" hidden>
      <label for="ai-prompt" class="visually-hidden">Describe a diagram</label>
      <input id="ai-prompt" name="prompt" type="text" maxlength="${MAX_PROMPT_LENGTH}" placeholder="Describe a diagram: order placed, paid, shipped…" autocomplete="off" required>
      <label for="ai-hint" class="visually-hidden">Kind of diagram</label>
      <select id="ai-hint" name="hint">
        <option value="">Any kind</option>
${GENERATION_HINTS.map((hint) => `        <option value="${hint}">${hint}</option>`).join('\n')}
      </select>
      <button type="submit" class="primary" id="ai-generate">Generate</button>
      <p class="ai-status" id="ai-status" role="status" hidden></p>
      <div class="alert" id="ai-error" role="alert" hidden></div>
    </form>
    <div class="editor">
      <div class="gutter" id="gutter" aria-hidden="true"></div>
      <label for="source" class="visually-hidden">Diagram source</label>
      <textarea id="source" name="source" spellcheck="false" autocapitalize="off" autocomplete="off" autocorrect="off" aria-describedby="error"></textarea>
    </div>
  </section>
  <section class="panel" aria-labelledby="preview-title">
    <div class="panel-head">
      <h2 id="preview-title">Preview</h2>
      <span class="status" aria-live="polite">
        <span class="busy-indicator" id="busy" hidden></span>
        <span class="chip" id="diagram-type" hidden></span>
        <span class="chip" id="diagram-size" hidden></span>
        <span class="chip" id="watermark" hidden title="Anonymous renders carry a small watermark; signing in with an API key removes it">watermarked</span>
      </span>
      <span class="spacer"></span>
      <button type="button" id="download-svg" disabled>Download SVG</button>
      <button type="button" id="download-png" class="primary" disabled>Download PNG</button>
    </div>
    <div class="alert" id="error" role="alert" hidden></div>
    <div class="stage" id="stage" tabindex="0" aria-busy="false" aria-label="Preview: drag or use the arrow keys to pan, Ctrl and the wheel or + and − to zoom, 0 fits, 1 is 100%">
      <p class="placeholder" id="placeholder">Type a diagram on the left to see it here.</p>
      <img id="preview" alt="" draggable="false" hidden>
      <div class="zoombar" role="toolbar" aria-label="Zoom">
        <button type="button" id="zoom-out" aria-label="Zoom out" title="Zoom out (−)">−</button>
        <output id="zoom-level" aria-live="polite">100%</output>
        <button type="button" id="zoom-in" aria-label="Zoom in" title="Zoom in (+)">+</button>
        <button type="button" id="zoom-fit" title="Fit the diagram in the view (0)">Fit</button>
        <button type="button" id="zoom-actual" aria-label="Actual size" title="Actual size (1)">1:1</button>
      </div>
    </div>
  </section>
</main>
<footer class="foot">Renders go through <code>POST /api/v1/beautify</code>; your work stays in this browser and its link, never on the server. Anonymous renders are watermarked and rate limited. <a href="/api/docs">Read the API docs</a>.</footer>
<script type="application/json" id="samples">${scriptSafeJson(PLAYGROUND_SAMPLES)}</script>
<script type="application/json" id="settings">${scriptSafeJson({ defaultTheme: DEFAULT_THEME, formats: SOURCE_FORMATS })}</script>
<script>${PLAYGROUND_SCRIPT}</script>
</body>
</html>
`;

/**
 * The page's Content-Security-Policy: the inline script and stylesheet are allowed by their SHA-256
 * hashes; nothing else runs, loads or frames.
 */
export const PLAYGROUND_CSP = [
  "default-src 'none'",
  `script-src ${cspHash(PLAYGROUND_SCRIPT)}`,
  `style-src ${cspHash(PLAYGROUND_STYLE)}`,
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');
