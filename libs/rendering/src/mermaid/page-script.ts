/**
 * What could run or fetch in an SVG: the same patterns as the worker's final check
 * (svg/finish-svg.ts). An SVG in which none occurs has nothing for DOMPurify to remove, so the
 * costly sanitize passes (mermaid's own over the finished SVG, and ours) run only when one does.
 */
const SUSPICIOUS = String.raw`/<\s*(script|foreignObject|iframe|object|embed|image|animate|set|handler|listener|a)\b|\son[a-z]+\s*=|javascript\s*:|(?:xlink:)?href\s*=\s*["'](?!#)|@import|url\(\s*["']?(?!#)|expression\s*\(|-moz-binding|behavior\s*:/i`;

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
  const SUSPICIOUS = ${SUSPICIOUS};
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
 * Loaded before mermaid; patchMermaidBundle points places of the bundle here.
 *
 * `__fsGetConfig`: mermaid's getConfig() returns `assignWithDepth({}, config)`, a depth-2 merge into
 * a fresh object that walks the whole configuration (every diagram's defaults, ~270 theme
 * variables) and is called ~100 times per diagram. The result is a fresh object with the same keys
 * in the same order every time, as long as the configuration object is the same; mermaid never
 * changes that object in place (config.ts only ever replaces it, and hands out copies). So the
 * copy is compiled once per shape of configuration (see `compile`), and each configuration object
 * is walked once. `__fsCopy` is the same compiled copy without the per-object walk, for a
 * configuration that is changed in place (the site configuration). `assign` is mermaid's merge
 * rule for rule (null values skipped, arrays merged by union, `Object.assign` below the depth): the
 * compiled copy follows the same rules, and a configuration it cannot express (a `__proto__` key)
 * uses `assign` itself.
 *
 * `__fsSuspicious`: the gate of mermaid's final DOMPurify pass over the SVG (see SUSPICIOUS).
 *
 * Specs require byte-identical SVGs from patched and stock mermaid for every diagram type, and
 * copies equal to mermaid's merge.
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
  const union = (items) => assign([], items, 0);

  // One walk of a configuration: its shape (at each level merged key by key, every key in order and
  // whether its value is null, an array, an object or anything else; length-prefixed, so no key can
  // pass for another) and its values in the same order. null: a shape the compiled copy cannot
  // express.
  const read = (config) => {
    const values = [];
    const walk = (value, depth) => {
      let shape = '{';
      for (const key of Object.keys(value)) {
        if (key === '__proto__') return null;
        const item = value[key];
        shape += key.length + ':' + key;
        if (item === null) shape += 'n';
        else if (typeof item !== 'object' || Array.isArray(item) || depth <= 1) {
          shape += typeof item !== 'object' ? 'p' : Array.isArray(item) ? 'a' : 'o';
          values.push(item);
        } else {
          const inner = walk(item, depth - 1);
          if (inner === null) return null;
          shape += inner;
        }
      }
      return shape + '}';
    };
    const shape = walk(config, 2);
    return shape === null ? null : { shape, values };
  };
  // The copy, compiled: a constructor per merged level that stores the walked values in order, its
  // prototype Object.prototype, so what it builds is a plain object like the merge's. Not object
  // literals, nor stores into {}: V8 keeps an object given 128 or more properties that way as a slow
  // dictionary (the theme variables have ~270), while a constructor's objects stay fast, and are
  // built an order of magnitude faster than a merge.
  const compile = (config) => {
    let index = 0;
    const constructorOf = (value, depth) => {
      const lines = [];
      const inner = [];
      for (const key of Object.keys(value)) {
        const item = value[key];
        const target = 'this[' + JSON.stringify(key) + '] = ';
        if (item === null) continue;
        if (typeof item !== 'object') lines.push(target + 'v[' + index++ + '];');
        else if (Array.isArray(item)) lines.push(target + 'union(v[' + index++ + ']);');
        else if (depth <= 1) lines.push(target + 'Object.assign({}, v[' + index++ + ']);');
        else lines.push(target + 'new inner[' + (inner.push(constructorOf(item, depth - 1)) - 1) + '](v);');
      }
      const Level = new Function('union', 'inner', 'return function Level(v) {\n' + lines.join('\n') + '\n};')(union, inner);
      Level.prototype = Object.prototype;
      return Level;
    };
    const Config = constructorOf(config, 2);
    return (values) => new Config(values);
  };

  const byShape = new Map();
  // A function that returns a fresh copy of this configuration, as assign({}, config, 2) makes it.
  const copierOf = (config) => {
    const walked = read(config);
    if (walked === null) return () => assign({}, config, 2);
    let build = byShape.get(walked.shape);
    if (build === undefined) {
      if (byShape.size >= 64) byShape.clear();
      build = compile(config);
      byShape.set(walked.shape, build);
    }
    const values = walked.values;
    return () => build(values);
  };
  globalThis.__fsCopy = (config) => copierOf(config)();
  // getConfig's configuration object is never changed in place: one walk per object.
  const byObject = new WeakMap();
  globalThis.__fsGetConfig = (config) => {
    let copy = byObject.get(config);
    if (copy === undefined) {
      copy = copierOf(config);
      byObject.set(config, copy);
    }
    return copy();
  };
  globalThis.__fsAssign = assign;
  const suspicious = ${SUSPICIOUS};
  globalThis.__fsSuspicious = (svg) => suspicious.test(svg);
})();
`;

/** The one match of a global pattern in the bundle; throws if mermaid's code no longer has that shape. */
function onlyMatch(bundle: string, pattern: RegExp, what: string): RegExpMatchArray {
  const matches = [...bundle.matchAll(pattern)];
  if (matches.length !== 1) throw new Error(`mermaid's ${what} has an unexpected shape (${matches.length} matches); update patchMermaidBundle`);
  return matches[0];
}

/**
 * Points mermaid's getConfig at `__fsGetConfig`, gates its final DOMPurify pass over the SVG with
 * `__fsSuspicious`, lets sanitizeText answer a label without markup itself, and gives
 * updateCurrentConfig's first copy to `__fsCopy`. Throws if the bundle no longer has the shape
 * these rely on: getConfig as expected, the configuration variable assigned only where config.ts
 * assigns it, the one final sanitize call, sanitizeText, and updateCurrentConfig.
 */
export function patchMermaidBundle(bundle: string): string {
  const getConfig = /(\w+)=(\w+)\(\(\)=>(\w+)\(\{\},(\$?\w+)\),"getConfig"\)/g;
  const config = onlyMatch(bundle, getConfig, 'getConfig')[4];
  const escaped = config.replace(/\$/g, '\\$');
  // config.ts assigns its configuration twice: at load, and in updateCurrentConfig. More would mean
  // someone else may change it, and a compiled copy would no longer be safe.
  const assignments = bundle.match(new RegExp(`(?<![\\w$.])${escaped}=(?!=)`, 'g'))?.length ?? 0;
  if (assignments !== 2) throw new Error(`mermaid's configuration is assigned ${assignments} times, not 2; update patchMermaidBundle`);
  const finalSanitize = /else (\w+)\|\|\((\w+)=(\w+)\.sanitize\(\2,\{ADD_TAGS:/g;
  onlyMatch(bundle, finalSanitize, 'final sanitize');
  // sanitizeText runs DOMPurify over every label; for a string without "<" DOMPurify returns it as
  // it is (its own first check), but only after parsing its whole configuration again. Same answer,
  // without the parse, when mermaid passes its default configuration.
  const sanitizeText = /(\w+)=(\w+)\(\((\w+),(\w+)\)=>\3&&\(\4\.dompurifyConfig\?\3=(\w+)\.sanitize\((\w+)\(\3,\4\),\4\.dompurifyConfig\)\.toString\(\):\3=\5\.sanitize\(\6\(\3,\4\),\{FORBID_TAGS:\["style"\]\}\)\.toString\(\),\3\),"sanitizeText"\)/g;
  onlyMatch(bundle, sanitizeText, 'sanitizeText');
  // updateCurrentConfig (twice per render) starts from a full copy of the site configuration with
  // mermaid's own merge, the same merge into a fresh object as getConfig's: __fsCopy, without the
  // per-object cache (the site configuration is merged into in place).
  const updateCopy = /(\w+)=(\w+)\(\((\w+),(\w+)\)=>\{let (\w+)=(\w+)\(\{\},\3\),(\w+)=\{\};for\(let (\w+) of \4\)(?=[^]{0,400}"updateCurrentConfig"\))/g;
  onlyMatch(bundle, updateCopy, 'updateCurrentConfig');
  return bundle
    .replace(updateCopy, (_, name, wrap, site, directives, copy, __, sum, each) => `${name}=${wrap}((${site},${directives})=>{let ${copy}=globalThis.__fsCopy(${site}),${sum}={};for(let ${each} of ${directives})`)
    .replace(getConfig, (_, name, wrap) => `${name}=${wrap}(()=>globalThis.__fsGetConfig(${config}),"getConfig")`)
    .replace(finalSanitize, (_, loose, svg, purify) => `else ${loose}||!globalThis.__fsSuspicious(${svg})||(${svg}=${purify}.sanitize(${svg},{ADD_TAGS:`)
    .replace(
      sanitizeText,
      (_, name, wrap, text, cfg, purify, more) =>
        `${name}=${wrap}((${text},${cfg})=>{if(!${text})return ${text};let m=${more}(${text},${cfg});` +
        `if(!${cfg}.dompurifyConfig&&typeof m=="string"&&m.indexOf("<")===-1)return m;` +
        `return ${cfg}.dompurifyConfig?${purify}.sanitize(m,${cfg}.dompurifyConfig).toString():${purify}.sanitize(m,{FORBID_TAGS:["style"]}).toString()},"sanitizeText")`,
    );
}

/** The document every page starts from: nothing to fetch, and a CSP that forbids fetching anyway. */
export const PAGE_HTML = `<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; connect-src 'none'">
</head><body><div id="keep"></div></body></html>`;
