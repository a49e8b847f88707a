import { SUSPICIOUS } from './page/suspicious';

/**
 * The page's own script (render, parse, label markup, sanitizing) is a module of its own:
 * page/mermaid-page.ts, bundled by esbuild (mermaid-page-script.ts). This file keeps what loads
 * and patches mermaid's bundle.
 */

// FAST_DEFINE_SCRIPT (a plain-store fast path for Object.defineProperty, which mermaid's deep copy
// called per key) is gone since mermaid 12: with the patches below no copy of that kind is left on
// the hot path, and the wrapper cost each remaining call more than it saved (CPU per 10-node
// flowchart 27 ms without it, 30 ms with it; docs/mermaid.md).

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

/** A site of mermaid's minified bundle that no longer has the shape a patch relies on. */
export class PatchMismatchError extends Error {
  constructor(
    readonly patch: string,
    message: string,
  ) {
    super(`mermaid bundle patch "${patch}": ${message}; update libs/rendering/src/mermaid/page-script.ts (docs/mermaid.md, "Upgrading mermaid")`);
  }
}

/**
 * One change to mermaid's minified bundle. `speed` patches must change no output (a spec proves
 * byte-identical SVGs against the bundle without them); `label` patches are features that both
 * pages get. `apply` throws PatchMismatchError when its site is not there exactly once.
 */
export interface BundlePatch {
  name: string;
  kind: 'speed' | 'label';
  apply(bundle: string): string;
}

/** The one match of a global pattern in the bundle; throws if mermaid's code no longer has that shape. */
function onlyMatch(bundle: string, pattern: RegExp, patch: string): RegExpMatchArray {
  const matches = [...bundle.matchAll(pattern)];
  if (matches.length !== 1) throw new PatchMismatchError(patch, `its site has an unexpected shape (${matches.length} matches of ${pattern.source.slice(0, 60)}...)`);
  return matches[0];
}

export const MERMAID_PATCHES: readonly BundlePatch[] = [
  {
    // getConfig returns assignWithDepth({}, config): __fsGetConfig makes the same copy, compiled
    // (FAST_ASSIGN_SCRIPT). config.ts assigns its configuration twice: at load, and in
    // updateCurrentConfig. More would mean someone else may change it, and a compiled copy would
    // no longer be safe.
    name: 'getConfig',
    kind: 'speed',
    apply(bundle) {
      const getConfig = /(\w+)=(\w+)\(\(\)=>(\w+)\(\{\},(\$?\w+)\),"getConfig"\)/g;
      const config = onlyMatch(bundle, getConfig, this.name)[4];
      const escaped = config.replace(/\$/g, '\\$');
      const assignments = bundle.match(new RegExp(`(?<![\\w$.])${escaped}=(?!=)`, 'g'))?.length ?? 0;
      if (assignments !== 2) throw new PatchMismatchError(this.name, `the configuration is assigned ${assignments} times, not 2`);
      return bundle.replace(getConfig, (_, name, wrap) => `${name}=${wrap}(()=>globalThis.__fsGetConfig(${config}),"getConfig")`);
    },
  },
  {
    // mermaid's last DOMPurify pass over the SVG runs only when the SVG holds something it could remove.
    name: 'final sanitize',
    kind: 'speed',
    apply(bundle) {
      const finalSanitize = /else (\w+)\|\|\((\w+)=(\w+)\.sanitize\(\2,\{ADD_TAGS:/g;
      onlyMatch(bundle, finalSanitize, this.name);
      return bundle.replace(finalSanitize, (_, loose, svg, purify) => `else ${loose}||!globalThis.__fsSuspicious(${svg})||(${svg}=${purify}.sanitize(${svg},{ADD_TAGS:`);
    },
  },
  {
    // sanitizeText runs DOMPurify over every label; for a string without "<" DOMPurify returns it
    // as it is (its own first check), but only after parsing its whole configuration again. Same
    // answer, without the parse, when mermaid passes its default configuration.
    name: 'sanitizeText',
    kind: 'speed',
    apply(bundle) {
      const sanitizeText = /(\w+)=(\w+)\(\((\w+),(\w+)\)=>\3&&\(\4\.dompurifyConfig\?\3=(\w+)\.sanitize\((\w+)\(\3,\4\),\4\.dompurifyConfig\)\.toString\(\):\3=\5\.sanitize\(\6\(\3,\4\),\{FORBID_TAGS:\["style"\]\}\)\.toString\(\),\3\),"sanitizeText"\)/g;
      onlyMatch(bundle, sanitizeText, this.name);
      return bundle.replace(
        sanitizeText,
        (_, name, wrap, text, cfg, purify, more) =>
          `${name}=${wrap}((${text},${cfg})=>{if(!${text})return ${text};let m=${more}(${text},${cfg});` +
          `if(!${cfg}.dompurifyConfig&&typeof m=="string"&&m.indexOf("<")===-1)return m;` +
          `return ${cfg}.dompurifyConfig?${purify}.sanitize(m,${cfg}.dompurifyConfig).toString():${purify}.sanitize(m,{FORBID_TAGS:["style"]}).toString()},"sanitizeText")`,
      );
    },
  },
  {
    // updateCurrentConfig (twice per render) starts from a full copy of the site configuration with
    // mermaid's own merge, the same merge into a fresh object as getConfig's: __fsCopy, without the
    // per-object cache (the site configuration is merged into in place).
    name: 'updateCurrentConfig',
    kind: 'speed',
    apply(bundle) {
      const updateCopy = /(\w+)=(\w+)\(\((\w+),(\w+)\)=>\{let (\w+)=(\w+)\(\{\},\3\),(\w+)=\{\};for\(let (\w+) of \4\)(?=[^]{0,400}"updateCurrentConfig"\))/g;
      onlyMatch(bundle, updateCopy, this.name);
      return bundle.replace(updateCopy, (_, name, wrap, site, directives, copy, __, sum, each) => `${name}=${wrap}((${site},${directives})=>{let ${copy}=globalThis.__fsCopy(${site}),${sum}={};for(let ${each} of ${directives})`);
    },
  },
  {
    // createText's SVG-text branch (htmlLabels: false) splits a label into words and draws each
    // as a tspan, bold for markdown's **strong**, italic for *em*, and measures them so. <b>,
    // <strong>, <i> and <em> arrive as words of their own, drawn as literal text: __fsLabelTags
    // turns them into the same word styles, before measuring (PAGE_SCRIPT).
    name: 'createText tags',
    kind: 'label',
    apply(bundle) {
      const lines = /(\w+)=(\w+)\?(\w+)\((\w+)\.replace\("<br>","<br\/>"\),(\w+)\):(\w+)\(\4\),(\w+)=(\w+)\(/g;
      onlyMatch(bundle, lines, this.name);
      return bundle.replace(lines, (_, out, markdown, toLines, text, config, plainToLines, label, create) => `${out}=globalThis.__fsLabelTags(${markdown}?${toLines}(${text}.replace("<br>","<br/>"),${config}):${plainToLines}(${text})),${label}=${create}(`);
    },
  },
];

/**
 * Applies MERMAID_PATCHES to mermaid's minified bundle: all of them, or (`speed: false`) only the
 * label patches, for the spec that proves the speed patches change no output. Throws
 * PatchMismatchError naming the first patch whose site is gone (scripts/check-mermaid-patches.mjs
 * names them all).
 */
export function patchMermaidBundle(bundle: string, options: { speed?: boolean } = {}): string {
  return MERMAID_PATCHES.filter((patch) => options.speed !== false || patch.kind !== 'speed').reduce((patched, patch) => patch.apply(patched), bundle);
}

/** The document every page starts from: nothing to fetch, and a CSP that forbids fetching anyway. */
export const PAGE_HTML = `<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; connect-src 'none'">
</head><body><div id="keep"></div></body></html>`;
