import { DARK_TOKENS, LIGHT_TOKENS } from '../common/ui-palette';

/**
 * The console's stylesheet, inlined in the page and allowed by its hash in the CSP: the pages' shared
 * palette and controls, light by default and dark under `prefers-color-scheme: dark`.
 */
export const CONSOLE_STYLE = `
:root {${LIGHT_TOKENS}
  --ok-bg: #ecfdf3;
}
@media (prefers-color-scheme: dark) { :root {${DARK_TOKENS}
  --ok-bg: #0f2a1e;
} }
*, *::before, *::after { box-sizing: border-box; }
html, body { height: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif;
  display: flex; flex-direction: column;
}
a { color: var(--accent); }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
[hidden] { display: none !important; }
.visually-hidden { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.skip { position: absolute; left: -999px; top: 8px; background: var(--panel); padding: 6px 10px; border-radius: 6px; z-index: 10; }
.skip:focus { left: 8px; }

header.bar { display: flex; align-items: center; gap: 16px; flex-wrap: wrap; padding: 10px 20px; background: var(--panel); border-bottom: 1px solid var(--border); }
.brand { display: flex; align-items: center; gap: 10px; font-weight: 650; font-size: 15px; letter-spacing: -.01em; margin: 0; color: var(--text); text-decoration: none; }
.brand small { font-weight: 500; color: var(--muted); font-size: 13px; }
nav.tabs { display: flex; gap: 4px; }
nav.tabs a { padding: 6px 12px; border-radius: 8px; color: var(--muted); text-decoration: none; font-weight: 550; }
nav.tabs a:hover { color: var(--text); background: var(--panel-2); }
nav.tabs a[aria-current="page"] { color: var(--accent); background: var(--accent-soft); }
.account { display: flex; align-items: center; gap: 10px; margin-left: auto; }

button, .button, select, input, textarea {
  font: inherit; font-size: 13px; color: var(--text); background: var(--panel-2);
  border: 1px solid var(--border); border-radius: 8px;
}
button, .button, select { height: 32px; padding: 0 12px; cursor: pointer; }
input { height: 32px; padding: 0 10px; }
input:focus-visible, select:focus-visible, textarea:focus-visible { outline: 2px solid var(--focus); outline-offset: 1px; }
button:hover, .button:hover, select:hover { border-color: var(--accent); }
button:disabled { opacity: .55; cursor: not-allowed; }
.button { display: inline-flex; align-items: center; text-decoration: none; }
.primary { background: var(--accent); color: var(--accent-text); border-color: var(--accent); font-weight: 600; }
.danger { color: var(--danger); border-color: var(--danger-border); background: var(--danger-bg); }
.ghost { background: transparent; border-color: transparent; }
.ghost:hover { background: var(--panel-2); border-color: var(--border); }
.small { height: 28px; padding: 0 9px; font-size: 12px; }

main { flex: 1; min-height: 0; padding: 20px; display: flex; flex-direction: column; gap: 16px; max-width: 1280px; width: 100%; margin: 0 auto; }
.page-head { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
.page-head h1 { font-size: 20px; margin: 0; letter-spacing: -.01em; }
.page-head .spacer { flex: 1; }
.muted { color: var(--muted); }
.panel { background: var(--panel); border: 1px solid var(--border); border-radius: 12px; box-shadow: var(--shadow); min-width: 0; }
.panel-head { display: flex; align-items: center; gap: 10px; min-height: 44px; padding: 6px 10px 6px 14px; border-bottom: 1px solid var(--border); }
.panel-head h2 { font-size: 12px; font-weight: 600; margin: 0; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
.panel-head .spacer { flex: 1; }
.panel-body { padding: 14px; }

.alert { padding: 10px 12px; border-radius: 10px; background: var(--danger-bg); color: var(--danger); border: 1px solid var(--danger-border); }
.alert strong { font-weight: 650; }
.success { padding: 10px 12px; border-radius: 10px; background: var(--ok-bg); color: var(--ok); border: 1px solid var(--border); }
.chip { display: inline-flex; align-items: center; gap: 6px; padding: 2px 8px; border-radius: 999px; background: var(--accent-soft); color: var(--text); border: 1px solid var(--border); font-size: 12px; white-space: nowrap; }
.chips { display: flex; flex-wrap: wrap; gap: 4px; }
.chip.off { background: var(--danger-bg); color: var(--danger); border-color: var(--danger-border); }
code, .mono { font-family: ui-monospace, "SFMono-Regular", "JetBrains Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; }

.signin { margin: 8vh auto 0; width: min(440px, 100%); }
.signin .panel-body { display: flex; flex-direction: column; gap: 12px; }
.signin h1 { font-size: 20px; margin: 0; }
.signin p { margin: 0; color: var(--muted); }
label.stack { display: flex; flex-direction: column; gap: 6px; font-weight: 550; font-size: 13px; }
label.stack input, label.stack select { width: 100%; }

.workspace { display: grid; grid-template-columns: 240px 1fr; gap: 16px; align-items: start; }
@media (max-width: 860px) { .workspace { grid-template-columns: 1fr; } }
.tree { list-style: none; margin: 0; padding: 6px; }
.tree ul { list-style: none; margin: 0; padding-left: 14px; }
.tree button { width: 100%; text-align: left; border-color: transparent; background: transparent; height: 30px; display: flex; align-items: center; gap: 8px; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
.tree button:hover { background: var(--panel-2); }
.tree button[aria-current="true"] { background: var(--accent-soft); color: var(--accent); font-weight: 600; }
.tree svg, .icon { width: 15px; height: 15px; flex: none; fill: none; stroke: currentColor; stroke-width: 2; stroke-linecap: round; stroke-linejoin: round; }
.toolbar { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; padding: 10px 12px; border-bottom: 1px solid var(--border); }
.toolbar input[type="search"] { flex: 1; min-width: 180px; }

table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 9px 12px; border-bottom: 1px solid var(--border); vertical-align: middle; }
th { font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
tbody tr:last-child td { border-bottom: 0; }
tbody tr:hover { background: var(--panel-2); }
td.actions { text-align: right; white-space: nowrap; }
td.actions button { margin-left: 4px; }
.name-link { font-weight: 600; color: var(--text); text-decoration: none; }
.name-link:hover { color: var(--accent); text-decoration: underline; }
.empty { padding: 28px; text-align: center; color: var(--muted); }
.panel-note { margin: 0; padding: 8px 14px; font-size: 13px; border-bottom: 1px solid var(--border); }

.editor-grid { display: grid; grid-template-columns: minmax(320px, 1fr) minmax(360px, 1.2fr); gap: 16px; flex: 1; min-height: 480px; }
@media (max-width: 960px) { .editor-grid { grid-template-columns: 1fr; } }
.editor-grid .panel { display: flex; flex-direction: column; }
.editor-grid textarea {
  flex: 1; min-height: 360px; resize: none; border: 0; border-radius: 0 0 12px 12px; padding: 12px 14px;
  font: 13px/1.6 ui-monospace, "SFMono-Regular", "JetBrains Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace;
  white-space: pre; tab-size: 2;
}
.stage {
  flex: 1; min-height: 360px; display: flex; align-items: center; justify-content: center; padding: 24px; overflow: auto;
  border-radius: 0 0 12px 12px; background-color: var(--check-a);
  background-image: linear-gradient(45deg, var(--check-b) 25%, transparent 25%, transparent 75%, var(--check-b) 75%),
                    linear-gradient(45deg, var(--check-b) 25%, transparent 25%, transparent 75%, var(--check-b) 75%);
  background-size: 20px 20px; background-position: 0 0, 10px 10px;
}
.stage img { max-width: 100%; max-height: 70vh; border-radius: 6px; box-shadow: var(--shadow); }
.stage.stale img { opacity: .4; filter: grayscale(.6); }
.status { display: flex; align-items: center; gap: 8px; font-size: 12px; color: var(--muted); }
.busy { width: 14px; height: 14px; border-radius: 50%; border: 2px solid var(--border); border-top-color: var(--accent); animation: spin .7s linear infinite; }
@keyframes spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .busy { animation: none; } }

.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 16px; }
.card { padding: 16px; display: flex; flex-direction: column; gap: 10px; }
.card h3 { margin: 0; font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
.card .figure { font-size: 26px; font-weight: 700; letter-spacing: -.02em; }
.meter { height: 8px; border-radius: 999px; background: var(--panel-2); border: 1px solid var(--border); overflow: hidden; }
.meter span { display: block; height: 100%; background: var(--accent); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 8px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }

dialog { border: 1px solid var(--border); border-radius: 14px; padding: 0; background: var(--panel); color: var(--text); box-shadow: 0 20px 60px rgba(0, 0, 0, .35); width: min(520px, calc(100vw - 32px)); }
dialog::backdrop { background: rgba(11, 15, 25, .55); }
dialog form { display: flex; flex-direction: column; gap: 14px; padding: 20px; }
dialog h2 { margin: 0; font-size: 17px; }
dialog .buttons { display: flex; justify-content: flex-end; gap: 8px; }
fieldset { border: 1px solid var(--border); border-radius: 10px; padding: 10px 12px; margin: 0; }
legend { font-weight: 550; font-size: 13px; padding: 0 4px; }
.checks { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 6px 12px; }
.checks label { display: flex; align-items: center; gap: 8px; font-size: 13px; }
.checks input { height: auto; }
.secret { display: flex; gap: 8px; align-items: center; }
.secret code { flex: 1; padding: 8px 10px; background: var(--panel-2); border: 1px solid var(--border); border-radius: 8px; overflow-wrap: anywhere; user-select: all; }
.snippet { display: flex; gap: 8px; align-items: center; min-width: 0; }
.snippet code { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.toast { position: fixed; right: 20px; bottom: 20px; padding: 10px 14px; border-radius: 10px; background: var(--text); color: var(--bg); box-shadow: var(--shadow); font-weight: 550; }
footer.foot { padding: 0 20px 14px; color: var(--muted); font-size: 12px; text-align: center; }
`;
