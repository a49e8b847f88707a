/**
 * The colours the gateway's pages share (the playground, apps/gateway/src/playground/, and the
 * console, apps/gateway/src/console/): custom properties for a `:root` rule, light and dark. Each
 * page adds its own few (the playground's gutter, the console's success background).
 */
export const LIGHT_TOKENS = `
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
  --shadow: 0 1px 2px rgba(16, 24, 40, .06), 0 4px 16px rgba(16, 24, 40, .06);
  --check-a: #ffffff;
  --check-b: #f3f4f8;`;

export const DARK_TOKENS = `
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
  --shadow: 0 1px 2px rgba(0, 0, 0, .4), 0 6px 24px rgba(0, 0, 0, .35);
  --check-a: #151b2a;
  --check-b: #111623;`;
