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

  // Label markup. Mermaid draws labels as SVG text (htmlLabels: false), where <b>, <i> and their
  // kin would show as literal tags. Only these four tags are read, as word styles; every word stays
  // text (d3's .text() below, escaped text nodes here), so no markup of the source reaches the SVG.
  // Attributes (what DOMPurify left of them) are dropped with the tag.
  const STYLE_TAG = /^<\s*(\/?)\s*(b|strong|i|em)(?:\s[^>]*)?>$/i;
  // createText's words (patched into mermaid, page-script.ts "createText tags"): a tag word sets
  // the style of the words after it, up to its closing tag or the end of the label. Bold and
  // italic together draw bold (mermaid's words have one style each).
  globalThis.__fsLabelTags = (lines) => {
    if (!lines.some((line) => line.some((word) => STYLE_TAG.test(word.content)))) return lines;
    let bold = 0;
    let italic = 0;
    return lines.map((line) => line.flatMap((word) => {
      const tag = STYLE_TAG.exec(word.content);
      if (tag) {
        const step = tag[1] ? -1 : 1;
        if (/^(b|strong)$/i.test(tag[2])) bold = Math.max(0, bold + step);
        else italic = Math.max(0, italic + step);
        return [];
      }
      if (word.type !== 'normal' || (!bold && !italic)) return [word];
      return [{ ...word, type: bold ? 'strong' : 'em' }];
    }));
  };
  // Text that other renderers (sequence messages and notes, ...) wrote as it was: within one text
  // node, the words between a tag and its closing tag become a bold or italic tspan.
  const ESCAPED_TAG = /&lt;\s*(\/?)\s*(b|strong|i|em)\s*&gt;/gi;
  const styledRuns = (text) => {
    let bold = 0;
    let italic = 0;
    let out = '';
    let last = 0;
    const flush = (end) => {
      const run = text.slice(last, end);
      if (!run) return;
      if (!bold && !italic) out += run;
      else out += '<tspan' + (bold ? ' font-weight="bold"' : '') + (italic ? ' font-style="italic"' : '') + '>' + run + '</tspan>';
    };
    for (const tag of text.matchAll(ESCAPED_TAG)) {
      flush(tag.index);
      const step = tag[1] ? -1 : 1;
      if (/^(b|strong)$/i.test(tag[2])) bold = Math.max(0, bold + step);
      else italic = Math.max(0, italic + step);
      last = tag.index + tag[0].length;
    }
    flush(text.length);
    return out;
  };
  const TEXT_WITH_TAGS = /(<(?:text|tspan)\b[^>]*>)([^<]*&lt;\s*\/?\s*(?:b|strong|i|em)\s*&gt;[^<]*)/gi;

  // A few renderers write their text as HTML in a <foreignObject> whatever htmlLabels says
  // (eventmodeling's boxes, venn's text nodes). The sanitizer removes foreignObject (many SVG
  // viewers do not draw it), so those words become SVG text, centred in the object's box and wrapped to its
  // width. Parsed inert (DOMParser), measured on a canvas in the diagram's font.
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const measure = document.createElement('canvas').getContext('2d');
  const luminance = (colour) => {
    if (/^white$/i.test(colour || '')) return 1;
    if (/^black$/i.test(colour || '')) return 0;
    const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(colour || '');
    const rgb = /^rgba?\(\s*(\d+)[\s,]+(\d+)[\s,]+(\d+)/i.exec(colour || '');
    let channels = null;
    if (hex) channels = (hex[1].length === 3 ? [...hex[1]].map((c) => c + c) : hex[1].match(/../g)).map((c) => parseInt(c, 16));
    else if (rgb) channels = rgb.slice(1, 4).map(Number);
    if (!channels) return null;
    const [r, g, b] = channels.map((c) => { const v = c / 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const foreignObjectsToText = (svg, config) => {
    // The HTML parser: the HTML inside may not be well-formed XML (<br>). Its document is inert.
    const doc = new DOMParser().parseFromString(svg, 'text/html');
    const root = doc.querySelector('svg');
    if (!root) return svg;
    const variables = config.themeVariables || {};
    const fontFamily = config.fontFamily || variables.fontFamily || 'sans-serif';
    const textColour = variables.textColor || variables.primaryTextColor || '#333333';
    for (const object of [...doc.getElementsByTagNameNS(SVG_NS, 'foreignObject')]) {
      const [x, y, width, height] = ['x', 'y', 'width', 'height'].map((name) => parseFloat(object.getAttribute(name)) || 0);
      const styled = [...object.querySelectorAll('[style]')].find((element) => /(?:^|;)\s*color:/.test(element.getAttribute('style')));
      const fontSize = parseFloat((/font-size:\s*([\d.]+)px/.exec(object.innerHTML) || [])[1]) || parseFloat(variables.fontSize) || 16;
      measure.font = fontSize + 'px ' + fontFamily;
      // Its words, line by line: <br> and block elements end a line.
      const paragraphs = [''];
      const walk = (node) => {
        for (const child of node.childNodes) {
          if (child.nodeType === 3) paragraphs[paragraphs.length - 1] += child.nodeValue;
          else if (child.nodeType === 1) {
            const name = child.localName.toLowerCase();
            if (name === 'br') paragraphs.push('');
            else {
              const block = /^(div|p|li|h\d)$/.test(name) && paragraphs[paragraphs.length - 1].trim() !== '';
              if (block) paragraphs.push('');
              walk(child);
            }
          }
        }
      };
      walk(object);
      const lines = [];
      for (const paragraph of paragraphs) {
        let line = '';
        for (const word of paragraph.split(/\s+/).filter(Boolean)) {
          const next = line ? line + ' ' + word : word;
          if (line && width > 0 && measure.measureText(next).width > width) {
            lines.push(line);
            line = word;
          } else line = next;
        }
        if (line) lines.push(line);
      }
      const text = doc.createElementNS(SVG_NS, 'text');
      if (lines.length) {
        let fill = styled ? /(?:^|;)\s*color:\s*([^;]+)/.exec(styled.getAttribute('style'))[1].trim() : null;
        if (!fill) {
          let box = object.previousElementSibling;
          while (box && box.localName !== 'rect') box = box.previousElementSibling;
          const under = box ? luminance(box.getAttribute('fill')) : null;
          fill = under === null ? textColour : under > 0.18 ? '#1f2328' : '#ffffff';
        }
        const lineHeight = fontSize * 1.2;
        const centreX = x + width / 2;
        text.setAttribute('class', 'fs-foreign-text');
        text.setAttribute('text-anchor', 'middle');
        text.setAttribute('font-size', String(fontSize));
        text.setAttribute('fill', fill);
        text.setAttribute('x', String(centreX));
        text.setAttribute('y', String(y + height / 2 - ((lines.length - 1) * lineHeight) / 2 + fontSize * 0.35));
        lines.forEach((line, index) => {
          const span = doc.createElementNS(SVG_NS, 'tspan');
          span.setAttribute('x', String(centreX));
          if (index) span.setAttribute('dy', String(lineHeight));
          span.textContent = line;
          text.appendChild(span);
        });
      }
      object.replaceWith(text);
    }
    return new XMLSerializer().serializeToString(root);
  };

  // Fixes of single diagram types' drawings, on the SVG string mermaid returns. Colours come from
  // mermaid's configuration as the render left it (theme variables computed, a diagram's own
  // directives applied), else from the configuration passed in.
  const themeVariables = (config) => {
    let current = null;
    try {
      current = mermaid.mermaidAPI.getConfig().themeVariables;
    } catch {
      current = null;
    }
    return current || config.themeVariables || {};
  };
  // Wardley (mermaid 12.4.0): the renderer empties the SVG it is given, the diagram's style sheet
  // with it, so no themeCSS reaches the drawing, and writes two colours of its own: anchor labels
  // in #000 and the evolution stages' boundaries in #000. They take the colours mermaid's Wardley
  // theme variables give its component labels and its grid.
  const ANCHOR_LABEL = /(<g class="wardley-node wardley-node--anchor">(?:(?!<\/g>)[\s\S])*?<text\b[^>]*?class="wardley-node-label") fill="#000"/g;
  const STAGES = /<g class="wardley-stages">(?:(?!<\/g>)[\s\S])*<\/g>/;
  const finishWardley = (svg, config) => {
    const variables = themeVariables(config);
    const wardley = variables.wardley || {};
    const label = wardley.componentLabelColor || variables.primaryTextColor;
    const grid = wardley.gridColor || variables.gridColor;
    let out = svg;
    if (label) out = out.replace(ANCHOR_LABEL, (_, head) => head + ' fill="' + label + '"');
    if (grid) out = out.replace(STAGES, (group) => group.replace(/(<line\b[^>]*?) stroke="#000"/g, (__, line) => line + ' stroke="' + grid + '"'));
    return out;
  };
  // Sankey: mermaid draws the node labels before the links, which then cover them (half
  // transparent, multiplied). The labels go last, over the links; the themes give them a halo in
  // the canvas colour (themes.ts) so they read on whatever link lies beneath.
  const NODE_LABELS = /<g class="node-labels"[^>]*>(?:(?!<\/?g\b)[\s\S])*<\/g>/;
  const finishSankey = (svg) => {
    const labels = NODE_LABELS.exec(svg);
    const end = svg.lastIndexOf('</svg>');
    if (!labels || end < labels.index) return svg;
    const rest = svg.slice(0, labels.index) + svg.slice(labels.index + labels[0].length);
    const close = rest.lastIndexOf('</svg>');
    return rest.slice(0, close) + labels[0] + rest.slice(close);
  };
  const finishDrawing = (svg, diagramType, config) => {
    if (diagramType === 'wardley' || diagramType === 'wardley-beta') return finishWardley(svg, config);
    if (diagramType === 'sankey') return finishSankey(svg);
    return svg;
  };

  // A drawing mermaid gave no viewBox (info sizes its SVG by CSS alone: width 100%, max-width):
  // its numeric width and height if it has both, else the box of what it draws, measured in the
  // page with the diagram's own style sheet, padded as mermaid pads its diagrams.
  const PADDING = 8;
  const measuredBox = (svg) => {
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    const root = doc.documentElement;
    if (!root || root.localName !== 'svg' || doc.getElementsByTagName('parsererror').length) return null;
    const [width, height] = ['width', 'height'].map((name) => /^\s*([\d.]+)\s*(px)?\s*$/.exec(root.getAttribute(name) || ''));
    if (width && height && Number(width[1]) > 0 && Number(height[1]) > 0) return [0, 0, Number(width[1]), Number(height[1])];
    const live = document.importNode(root, true);
    document.body.appendChild(live);
    try {
      const box = live.getBBox();
      if (!(box.width > 0 && box.height > 0)) return null;
      const x = Math.floor(box.x - PADDING);
      const y = Math.floor(box.y - PADDING);
      return [x, y, Math.ceil(box.x + box.width + PADDING) - x, Math.ceil(box.y + box.height + PADDING) - y];
    } finally {
      live.remove();
    }
  };

  const finishLabels = (svg, config) => {
    let out = svg.includes('<foreignObject') ? foreignObjectsToText(svg, config) : svg;
    if (/&lt;\s*\/?\s*(?:b|strong|i|em)\s*&gt;/i.test(out)) out = out.replace(TEXT_WITH_TAGS, (_, open, text) => open + styledRuns(text));
    return out;
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
    // withMermaidSvg: also return mermaid's own SVG, before finishDrawing and finishLabels (for the spec that
    // compares patched and stock mermaid).
    async render(source, config, withMermaidSvg) {
      configure(config);
      const id = 'fs' + (++sequence);
      try {
        const { svg: drawn, diagramType } = await mermaid.render(id, source);
        const svg = finishLabels(finishDrawing(drawn, diagramType, config), config);
        const clean = SUSPICIOUS.test(svg) ? DOMPurify.sanitize(svg, PURIFY) : svg;
        return { ok: true, svg: clean, diagramType, viewBox: viewBoxOf(clean) || measuredBox(clean), ...(withMermaidSvg ? { mermaidSvg: drawn } : {}) };
      } catch (error) {
        return failure(error);
      } finally {
        cleanup();
      }
    },
  };
})();
`;

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
