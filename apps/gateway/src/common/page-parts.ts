import { createHash } from 'node:crypto';

/**
 * What the gateway's two HTML pages (the playground, apps/gateway/src/playground/, and the console,
 * apps/gateway/src/console/) share: the CSP source of an inline script or style, safe inline JSON,
 * and the logo.
 */

/** A CSP hash source (`'sha256-…'`) of an inline script or style. */
export const cspHash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** JSON that is safe inside a <script> data block: no `<` can close it. */
export const scriptSafeJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

export const LOGO = `<svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><rect x="2" y="3" width="8" height="6" rx="2" fill="#6366f1"/><rect x="14" y="15" width="8" height="6" rx="2" fill="#14b8a6"/><path d="M6 9v4a2 2 0 0 0 2 2h6" stroke="#818cf8" stroke-width="2" fill="none" stroke-linecap="round"/></svg>`;

export const FAVICON = `data:image/svg+xml,${encodeURIComponent(LOGO.replace(' aria-hidden="true" focusable="false"', ' xmlns="http://www.w3.org/2000/svg"'))}`;

/** The start of either page, to its `<body>`: the document's head with its title and inline style. */
export const pageHead = (title: string, style: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="icon" href="${FAVICON}">
<style>${style}</style>
</head>
<body>`;
