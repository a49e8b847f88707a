/**
 * Runs inside the Chromium page, after mermaid and DOMPurify are loaded. It defines
 * `window.__flowsmith` with `render` and `parse`. Kept as plain browser JavaScript in a string so
 * that no bundler is needed to ship it.
 *
 * DOMPurify (SVG profile) removes scripts, event handlers and foreign content; its hooks also strip
 * every reference that would leave the document: `href`s that are not in-page fragments, CSS
 * `@import` and `url(...)` that is not a fragment.
 */
export const PAGE_SCRIPT = String.raw`
(() => {
  const cleanCss = (css) => String(css)
    .replace(/@import[^;]*;?/gi, '')
    .replace(/url\(\s*(['"]?)(?!#)[^)]*\)/gi, 'none')
    .replace(/expression\s*\(/gi, '(')
    .replace(/javascript\s*:/gi, '')
    .replace(/-moz-binding|behavior\s*:/gi, '');
  DOMPurify.addHook('uponSanitizeElement', (node, data) => {
    if (data.tagName === 'style') node.textContent = cleanCss(node.textContent);
  });
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    for (const name of ['href', 'xlink:href']) {
      const value = node.getAttribute(name);
      if (value !== null && !/^#[\w.:-]*$/.test(value.trim())) node.removeAttribute(name);
    }
    if (node.hasAttribute('style')) node.setAttribute('style', cleanCss(node.getAttribute('style')));
  });
  const PURIFY = {
    USE_PROFILES: { svg: true, svgFilters: true },
    ADD_TAGS: ['style'],
    FORBID_TAGS: ['script', 'foreignObject', 'iframe', 'object', 'embed', 'image', 'animate', 'set', 'animateTransform', 'animateMotion'],
    FORBID_ATTR: ['onload', 'onerror', 'onclick', 'onmouseover', 'onbegin', 'onend', 'formaction'],
    ALLOW_UNKNOWN_PROTOCOLS: false,
  };

  const position = (error) => {
    const loc = error && error.hash && error.hash.loc;
    if (loc) return { line: loc.first_line, column: (loc.first_column || 0) + 1 };
    const text = String((error && error.message) || error);
    const line = /line[\s:]*(\d+)/i.exec(text);
    const column = /col(?:umn)?[\s:]*(\d+)/i.exec(text);
    return { line: line ? Number(line[1]) : undefined, column: column ? Number(column[1]) : undefined };
  };
  const failure = (error) => ({ ok: false, message: String((error && error.message) || error).slice(0, 2000), ...position(error) });

  let sequence = 0;
  const cleanup = () => {
    for (const node of document.querySelectorAll('body > :not(#keep)')) node.remove();
  };

  window.__flowsmith = {
    async parse(source, config) {
      mermaid.initialize(config);
      try {
        const result = await mermaid.parse(source);
        return { ok: true, diagramType: result.diagramType };
      } catch (error) {
        return failure(error);
      }
    },
    async render(source, config) {
      mermaid.initialize(config);
      const id = 'fs' + (++sequence);
      try {
        const { svg, diagramType } = await mermaid.render(id, source);
        const clean = DOMPurify.sanitize(svg, PURIFY);
        const root = new DOMParser().parseFromString(clean, 'image/svg+xml').documentElement;
        const viewBox = (root.getAttribute('viewBox') || '').trim().split(/[\s,]+/).map(Number);
        return { ok: true, svg: clean, diagramType, viewBox: viewBox.length === 4 && viewBox.every(Number.isFinite) ? viewBox : null };
      } catch (error) {
        return failure(error);
      } finally {
        cleanup();
      }
    },
  };
})();
`;

/** The document every page starts from: nothing to fetch, and a CSP that forbids fetching anyway. */
export const PAGE_HTML = `<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; connect-src 'none'">
</head><body><div id="keep"></div></body></html>`;
