import { DARK_TOKENS, LIGHT_TOKENS } from '../common/ui-palette';

const DARK = `${DARK_TOKENS}
  --gutter: #4f5a73;`;

/**
 * The playground's stylesheet, inlined in the page and allowed by its hash in the CSP. Colours are
 * custom properties: light by default, dark under `prefers-color-scheme: dark` unless the visitor
 * picked light, and dark whenever they picked dark (`data-scheme` on <html>).
 */
export const PLAYGROUND_STYLE = `
:root {${LIGHT_TOKENS}
  --gutter: #9aa3b5;
}
:root[data-scheme="dark"] {${DARK}}
@media (prefers-color-scheme: dark) {
  :root:not([data-scheme="light"]) {${DARK}}
}
*, *::before, *::after { box-sizing: border-box; }
html, body { height: 100%; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif;
  display: flex;
  flex-direction: column;
}
a { color: var(--accent); }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
.offscreen { position: fixed; left: -9999px; top: 0; }
.skip { position: absolute; left: -999px; top: 8px; background: var(--panel); padding: 6px 10px; border-radius: 6px; z-index: 10; }
.skip:focus { left: 8px; }

header.bar {
  display: flex; align-items: center; gap: 16px; flex-wrap: wrap;
  padding: 10px 20px;
  background: var(--panel);
  border-bottom: 1px solid var(--border);
}
.brand { display: flex; align-items: center; gap: 10px; font-weight: 650; font-size: 15px; letter-spacing: -.01em; margin: 0; }
.brand svg { flex: none; }
.brand small { font-weight: 500; color: var(--muted); font-size: 13px; }
.controls { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; margin-left: auto; }
.field { display: flex; align-items: center; gap: 6px; color: var(--muted); font-size: 13px; }
select, button, .button {
  font: inherit; font-size: 13px; color: var(--text);
  background: var(--panel-2);
  border: 1px solid var(--border);
  border-radius: 8px;
  height: 32px; padding: 0 10px;
  cursor: pointer;
}
select:hover, button:hover, .button:hover { border-color: var(--accent); }
button:disabled { opacity: .55; cursor: not-allowed; }
.primary { background: var(--accent); color: var(--accent-text); border-color: var(--accent); font-weight: 600; }
.button { display: inline-flex; align-items: center; text-decoration: none; }
.button.primary { color: var(--accent-text); }
.account { display: inline-flex; align-items: center; gap: 8px; padding-left: 12px; border-left: 1px solid var(--border); }
.account[hidden] { display: none; }
.account .chip { height: 28px; font-size: 12px; font-weight: 600; }

.notice {
  display: flex; align-items: center; gap: 12px; margin: 12px 20px 0; padding: 8px 8px 8px 14px;
  background: var(--accent-soft); color: var(--text); border: 1px solid var(--border); border-radius: 10px; font-size: 13px;
}
.notice[hidden] { display: none; }
.notice span { flex: 1; }
.icon-button { width: 32px; padding: 0; display: inline-flex; align-items: center; justify-content: center; }
.icon-button svg { width: 16px; height: 16px; fill: none; stroke: currentColor; stroke-width: 2; stroke-linecap: round; stroke-linejoin: round; }
.icon-sun { display: none; }
:root[data-scheme="dark"] .icon-sun { display: block; }
:root[data-scheme="dark"] .icon-moon { display: none; }

main {
  flex: 1; min-height: 0;
  display: grid; grid-template-columns: minmax(320px, 1fr) minmax(360px, 1.25fr); gap: 16px;
  padding: 16px 20px 20px;
}
@media (max-width: 860px) { main { grid-template-columns: 1fr; } }
.panel {
  display: flex; flex-direction: column; min-height: 420px; min-width: 0;
  background: var(--panel); border: 1px solid var(--border); border-radius: 12px; box-shadow: var(--shadow);
  overflow: hidden;
}
.panel-head {
  display: flex; align-items: center; gap: 10px; min-height: 44px;
  padding: 6px 8px 6px 14px; border-bottom: 1px solid var(--border);
}
.panel-head h2 { font-size: 13px; font-weight: 600; margin: 0; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
.panel-head .spacer { flex: 1; }

.ai {
  display: flex; flex-wrap: wrap; align-items: center; gap: 8px;
  padding: 10px 12px; border-bottom: 1px solid var(--border); background: var(--panel);
}
.ai[hidden] { display: none; }
.ai input {
  flex: 1; min-width: 180px; height: 32px; padding: 0 10px;
  font: inherit; font-size: 13px; color: var(--text); background: var(--panel-2);
  border: 1px solid var(--border); border-radius: 8px;
}
.ai input:focus-visible { outline: 2px solid var(--focus); outline-offset: 1px; }
.ai[aria-busy="true"] input { opacity: .7; }
.ai .alert { flex-basis: 100%; margin: 0; }
.ai-status { flex-basis: 100%; margin: 0; font-size: 12px; color: var(--muted); }
.ai-status[hidden] { display: none; }
.editor { position: relative; flex: 1; display: flex; min-height: 0; background: var(--panel-2); }
.gutter, textarea {
  font: 13px/1.6 ui-monospace, "SFMono-Regular", "JetBrains Mono", "Cascadia Code", Menlo, Consolas, "DejaVu Sans Mono", monospace;
  padding: 12px 0;
  margin: 0;
}
.gutter {
  flex: none; min-width: 44px; padding-right: 10px; text-align: right;
  color: var(--gutter); user-select: none; overflow: hidden;
  border-right: 1px solid var(--border);
}
.gutter span { display: block; padding-left: 8px; }
.gutter span.error { color: var(--danger); font-weight: 700; background: var(--danger-bg); }
textarea {
  flex: 1; resize: none; border: 0; outline: none;
  padding-left: 12px; padding-right: 12px;
  color: var(--text); background: transparent;
  white-space: pre; overflow: auto; tab-size: 2;
}
textarea:focus-visible { outline: none; }
.panel:focus-within { border-color: var(--accent); box-shadow: 0 0 0 3px var(--accent-soft), var(--shadow); }

.stage {
  position: relative; flex: 1; min-height: 0; overflow: hidden;
  display: flex; align-items: center; justify-content: center; padding: 24px;
  touch-action: none; user-select: none;
  background-color: var(--check-a);
  background-image: linear-gradient(45deg, var(--check-b) 25%, transparent 25%, transparent 75%, var(--check-b) 75%),
                    linear-gradient(45deg, var(--check-b) 25%, transparent 25%, transparent 75%, var(--check-b) 75%);
  background-size: 20px 20px; background-position: 0 0, 10px 10px;
}
.stage:focus-visible { outline: 2px solid var(--focus); outline-offset: -3px; }
.stage:has(> img:not([hidden])) { cursor: grab; }
.stage.dragging { cursor: grabbing; }
.stage img {
  position: absolute; left: 0; top: 0; max-width: none;
  border-radius: 6px; box-shadow: var(--shadow); transition: opacity .15s ease;
}
.stage img[hidden] { display: none; }
.stage.busy img { opacity: .55; }
.stage.stale img { opacity: .35; filter: grayscale(.6); }
.placeholder { color: var(--muted); }
.zoombar {
  position: absolute; right: 12px; bottom: 12px; display: flex; align-items: center; gap: 2px; padding: 3px;
  background: var(--panel); border: 1px solid var(--border); border-radius: 10px; box-shadow: var(--shadow); cursor: default;
}
.zoombar button { height: 28px; min-width: 28px; padding: 0 8px; border-color: transparent; background: transparent; }
.zoombar button:hover:not(:disabled) { border-color: var(--border); background: var(--panel-2); }
.zoombar output { min-width: 46px; text-align: center; font-size: 12px; color: var(--muted); font-variant-numeric: tabular-nums; }
.status { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; font-size: 12px; color: var(--muted); }
.chip { display: inline-flex; align-items: center; gap: 6px; padding: 2px 8px; border-radius: 999px; background: var(--accent-soft); color: var(--text); border: 1px solid var(--border); }
.chip[hidden] { display: none; }
.dot { width: 8px; height: 8px; border-radius: 50%; background: var(--ok); }
.busy-indicator { width: 14px; height: 14px; border-radius: 50%; border: 2px solid var(--border); border-top-color: var(--accent); animation: spin .7s linear infinite; }
.busy-indicator[hidden] { display: none; }
@keyframes spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .busy-indicator { animation: none; } .stage img { transition: none; } }

.alert {
  margin: 12px; padding: 10px 12px; border-radius: 10px;
  background: var(--danger-bg); color: var(--danger); border: 1px solid var(--danger-border);
  display: flex; flex-direction: column; gap: 4px;
}
.alert[hidden] { display: none; }
.alert strong { font-weight: 650; }
.alert .where { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.alert .hints { display: flex; gap: 12px; flex-wrap: wrap; }
.alert .hints a { color: inherit; font-weight: 600; }
.alert pre { margin: 0; white-space: pre-wrap; font: 12px/1.5 ui-monospace, Menlo, Consolas, monospace; color: var(--text); }
footer.foot { padding: 0 20px 14px; color: var(--muted); font-size: 12px; }
kbd { font: 11px ui-monospace, Menlo, Consolas, monospace; padding: 1px 5px; border: 1px solid var(--border); border-bottom-width: 2px; border-radius: 4px; background: var(--panel-2); }
`;
