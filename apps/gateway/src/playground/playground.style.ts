/** The dark palette, for both ways of asking for it. */
const DARK_TOKENS = `
  color-scheme: dark;
  --bg: #0b0f19;
  --panel: #121826;
  --panel-2: #0f1421;
  --border: #253047;
  --text: #e6e9f2;
  --muted: #98a2b8;
  --accent: #818cf8;
  --accent-text: #0b0f19;
  --accent-soft: #1c2240;
  --focus: #a5b4fc;
  --danger: #ffb4ab;
  --danger-bg: #2a1414;
  --danger-border: #5c2621;
  --ok: #6ce9a6;
  --gutter: #4f5a73;
  --shadow: 0 1px 2px rgba(0, 0, 0, .4), 0 6px 24px rgba(0, 0, 0, .35);
  --check-a: #151b2a;
  --check-b: #111623;
`;

/**
 * The playground's stylesheet, inlined in the page and allowed by its hash in the CSP. Colours are
 * custom properties: light by default, dark under `prefers-color-scheme: dark` unless the visitor
 * picked light, and dark whenever they picked dark (`data-scheme` on <html>).
 */
export const PLAYGROUND_STYLE = `
:root {
  color-scheme: light;
  --bg: #f6f7fb;
  --panel: #ffffff;
  --panel-2: #f1f3f9;
  --border: #dfe3ee;
  --text: #161b2e;
  --muted: #5b6478;
  --accent: #4f46e5;
  --accent-text: #ffffff;
  --accent-soft: #eef0ff;
  --focus: #6366f1;
  --danger: #b42318;
  --danger-bg: #fff1f0;
  --danger-border: #f5c2bd;
  --ok: #067647;
  --gutter: #9aa3b5;
  --shadow: 0 1px 2px rgba(16, 24, 40, .06), 0 4px 16px rgba(16, 24, 40, .06);
  --check-a: #ffffff;
  --check-b: #f3f4f8;
}
:root[data-scheme="dark"] {${DARK_TOKENS}}
@media (prefers-color-scheme: dark) {
  :root:not([data-scheme="light"]) {${DARK_TOKENS}}
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
button.primary { background: var(--accent); color: var(--accent-text); border-color: var(--accent); font-weight: 600; }
.button { display: inline-flex; align-items: center; text-decoration: none; }
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
  position: relative; flex: 1; min-height: 0; overflow: auto;
  display: flex; align-items: center; justify-content: center; padding: 24px;
  background-color: var(--check-a);
  background-image: linear-gradient(45deg, var(--check-b) 25%, transparent 25%, transparent 75%, var(--check-b) 75%),
                    linear-gradient(45deg, var(--check-b) 25%, transparent 25%, transparent 75%, var(--check-b) 75%);
  background-size: 20px 20px; background-position: 0 0, 10px 10px;
}
.stage img { max-width: 100%; max-height: 100%; object-fit: contain; border-radius: 6px; box-shadow: var(--shadow); transition: opacity .15s ease; }
.stage img[hidden] { display: none; }
.stage.busy img { opacity: .55; }
.stage.stale img { opacity: .35; filter: grayscale(.6); }
.placeholder { color: var(--muted); }
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
