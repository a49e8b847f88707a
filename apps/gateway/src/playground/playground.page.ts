import { createHash } from 'node:crypto';
import { SOURCE_FORMATS } from '@flowsmith/contracts';
import { PLAYGROUND_SAMPLES } from './playground.samples';
import { PLAYGROUND_SCRIPT } from './playground.script';
import { PLAYGROUND_STYLE } from './playground.style';

const FORMAT_LABELS: Record<(typeof SOURCE_FORMATS)[number], string> = {
  mermaid: 'Mermaid',
  plantuml: 'PlantUML',
  drawio: 'draw.io',
  bpmn: 'BPMN 2.0',
  svg: 'SVG',
};

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** JSON that is safe inside a <script> data block: no `<` can close it. */
const scriptSafeJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

const LOGO = `<svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><rect x="2" y="3" width="8" height="6" rx="2" fill="#6366f1"/><rect x="14" y="15" width="8" height="6" rx="2" fill="#14b8a6"/><path d="M6 9v4a2 2 0 0 0 2 2h6" stroke="#818cf8" stroke-width="2" fill="none" stroke-linecap="round"/></svg>`;

const FAVICON = `data:image/svg+xml,${encodeURIComponent(LOGO.replace(' aria-hidden="true" focusable="false"', ' xmlns="http://www.w3.org/2000/svg"'))}`;

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>Flowsmith playground</title>
<link rel="icon" href="${FAVICON}">
<style>${PLAYGROUND_STYLE}</style>
</head>
<body>
<a class="skip" href="#source">Skip to the editor</a>
<header class="bar">
  <h1 class="brand">${LOGO}<span>Flowsmith</span> <small>playground</small></h1>
  <div class="controls">
    <label class="field" for="format">Format
      <select id="format" name="format">
${SOURCE_FORMATS.map((format) => `        <option value="${format}"${format === 'mermaid' ? ' selected' : ''}>${FORMAT_LABELS[format]}</option>`).join('\n')}
      </select>
    </label>
    <label class="field" for="theme">Theme
      <select id="theme" name="theme" disabled>
        <option value="modern" selected>Modern</option>
      </select>
    </label>
    <button type="button" id="scheme" class="icon-button" aria-pressed="false" aria-label="Switch to dark mode">
      <svg class="icon-moon" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z"/></svg>
      <svg class="icon-sun" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><circle cx="12" cy="12" r="4"/><path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4"/></svg>
    </button>
    <a class="button" id="docs" href="/api/docs">API docs</a>
  </div>
</header>
<main>
  <section class="panel" aria-labelledby="editor-title">
    <div class="panel-head">
      <h2 id="editor-title">Source</h2>
      <span class="spacer"></span>
      <span class="status"><kbd>Ctrl</kbd>+<kbd>Enter</kbd> renders now</span>
    </div>
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
        <span class="chip" id="watermark" hidden title="Anonymous renders carry a small watermark; an API key removes it">watermarked</span>
      </span>
      <span class="spacer"></span>
      <button type="button" id="download-svg" disabled>Download SVG</button>
      <button type="button" id="download-png" class="primary" disabled>Download PNG</button>
    </div>
    <div class="alert" id="error" role="alert" hidden></div>
    <div class="stage" id="stage" aria-busy="false">
      <p class="placeholder" id="placeholder">Type a diagram on the left to see it here.</p>
      <img id="preview" alt="" hidden>
    </div>
  </section>
</main>
<footer class="foot">Renders go through <code>POST /api/v1/beautify</code>; nothing you type is stored. Anonymous renders are watermarked and rate limited. <a href="/api/docs">Read the API docs</a>.</footer>
<script type="application/json" id="samples">${scriptSafeJson(PLAYGROUND_SAMPLES)}</script>
<script>${PLAYGROUND_SCRIPT}</script>
</body>
</html>
`;

/**
 * The page and its Content-Security-Policy, built once at start-up. The inline script and
 * stylesheet are allowed by their SHA-256 hashes; nothing else runs, loads or frames.
 */
export const PLAYGROUND_PAGE = {
  html: HTML,
  csp: [
    "default-src 'none'",
    `script-src ${sha256(PLAYGROUND_SCRIPT)}`,
    `style-src ${sha256(PLAYGROUND_STYLE)}`,
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; '),
};
