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
  // The same patterns as the worker's final check (svg/finish-svg.ts): an SVG in which none occurs
  // has nothing for DOMPurify to remove, so the costly sanitize pass (~10 ms) runs only when one does.
  const SUSPICIOUS = /<\s*(script|foreignObject|iframe|object|embed|image|animate|set|handler|listener|a)\b|\son[a-z]+\s*=|javascript\s*:|(?:xlink:)?href\s*=\s*["'](?!#)|@import|url\(\s*["']?(?!#)|expression\s*\(|-moz-binding|behavior\s*:/i;
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

  // initialize() rebuilds mermaid's whole configuration; skip it when the config is unchanged.
  let lastConfig = '';
  const configure = (config) => {
    const key = JSON.stringify(config);
    if (key !== lastConfig) {
      mermaid.initialize(config);
      lastConfig = key;
    }
  };
  const viewBoxOf = (svg) => {
    const root = /<svg\b[^>]*>/i.exec(svg);
    const match = root && /\sviewBox\s*=\s*"([^"]*)"/i.exec(root[0]);
    const box = match ? match[1].trim().split(/[\s,]+/).map(Number) : [];
    return box.length === 4 && box.every(Number.isFinite) ? box : null;
  };

  window.__flowsmith = {
    async parse(source, config) {
      configure(config);
      try {
        const result = await mermaid.parse(source);
        return { ok: true, diagramType: result.diagramType };
      } catch (error) {
        return failure(error);
      }
    },
    async render(source, config) {
      configure(config);
      const id = 'fs' + (++sequence);
      try {
        const { svg, diagramType } = await mermaid.render(id, source);
        const clean = SUSPICIOUS.test(svg) ? DOMPurify.sanitize(svg, PURIFY) : svg;
        return { ok: true, svg: clean, diagramType, viewBox: viewBoxOf(clean) };
      } catch (error) {
        return failure(error);
      } finally {
        cleanup();
      }
    },
  };
})();
`;

/**
 * Loaded before mermaid. Mermaid deep-copies its whole configuration on every getConfig() call
 * (dozens per diagram) with Object.defineProperty, which V8 runs far slower than a plain store:
 * about a fifth of a render. For the one case that is equivalent, a fresh writable, enumerable,
 * configurable data property on a plain object that does not have it yet (and is not
 * `__proto__`), this stores directly; everything else goes to the real defineProperty.
 */
export const FAST_DEFINE_SCRIPT = String.raw`
(() => {
  const define = Object.defineProperty;
  const proto = Object.prototype;
  const own = proto.hasOwnProperty;
  Object.defineProperty = function defineProperty(target, key, descriptor) {
    if (descriptor && descriptor.writable === true && descriptor.enumerable === true && descriptor.configurable === true
        && !('get' in descriptor) && !('set' in descriptor) && key !== '__proto__'
        && target !== null && typeof target === 'object' && Object.getPrototypeOf(target) === proto && !own.call(target, key)) {
      target[key] = descriptor.value;
      return target;
    }
    return define(target, key, descriptor);
  };
})();
`;

/**
 * Mermaid's getConfig() returns `assignWithDepth({}, config)`: a depth-2 merge into a fresh object
 * that walks the whole configuration (all diagram defaults, ~300 theme variables) dozens of times
 * per diagram; it is nearly half of a render. `__fsAssign` is the same merge, rule for rule
 * (null values skipped, arrays merged by union, plain assignment below the depth), without
 * mermaid's per-key Object.entries/defineProperty overhead. mermaid-engine.ts points getConfig at
 * it when loading mermaid, and refuses to start if the bundle no longer has the expected shape.
 */
export const FAST_ASSIGN_SCRIPT = String.raw`
(() => {
  const own = Object.prototype.hasOwnProperty;
  const put = (target, key, value) => {
    if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
    else target[key] = value;
  };
  const assign = (dst, src, depth) => {
    if (Array.isArray(src) && !Array.isArray(dst)) {
      src.forEach((item) => assign(dst, item, 2));
      return dst;
    }
    if (Array.isArray(src) && Array.isArray(dst)) {
      src.forEach((item) => { if (!dst.includes(item)) dst.push(item); });
      return dst;
    }
    if (dst == null || depth <= 0) return dst != null && typeof dst === 'object' && typeof src === 'object' ? Object.assign(dst, src) : src;
    if (src != null && typeof dst === 'object' && typeof src === 'object') {
      for (const key of Object.keys(src)) {
        const value = src[key];
        if (typeof value === 'object') {
          if (value === null) continue;
          let current = own.call(dst, key) ? dst[key] : undefined;
          if (current === undefined) {
            current = Array.isArray(value) ? [] : {};
            put(dst, key, current);
          }
          if (typeof current === 'object') put(dst, key, assign(current, value, depth - 1));
        } else if (typeof dst[key] !== 'object') {
          put(dst, key, value);
        }
      }
    }
    return dst;
  };
  globalThis.__fsAssign = assign;
})();
`;

/** Rewrites mermaid's getConfig to use __fsAssign; throws if the bundle's shape has changed. */
export function patchMermaidBundle(bundle: string): string {
  const getConfig = /(\w+)=(\w+)\(\(\)=>(\w+)\(\{\},(\$?\w+)\),"getConfig"\)/g;
  const matches = [...bundle.matchAll(getConfig)];
  if (matches.length !== 1) throw new Error(`mermaid's getConfig has an unexpected shape (${matches.length} matches); update patchMermaidBundle`);
  return bundle.replace(getConfig, (_, name, wrap, __, config) => `${name}=${wrap}(()=>globalThis.__fsAssign({},${config},2),"getConfig")`);
}

/** The document every page starts from: nothing to fetch, and a CSP that forbids fetching anyway. */
export const PAGE_HTML = `<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; connect-src 'none'">
</head><body><div id="keep"></div></body></html>`;
