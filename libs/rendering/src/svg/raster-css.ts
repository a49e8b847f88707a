/**
 * The style sheets of an SVG, without the rules that cannot match anything in it: the input that
 * librsvg rasterizes. Mermaid ships the styles of every feature of a diagram type (clusters,
 * icons, "neo" looks, tooltips, ...) in each SVG, and librsvg matches every rule against every
 * element: for a 10-node flowchart, 59 rules of which 12 can match cost about 3 ms of a PNG.
 *
 * Only for rasterizing: the SVG that clients get keeps its whole style sheet, since their own
 * scripts may add the classes those rules wait for.
 *
 * Conservative by construction. A selector is dropped only when one of its compound selectors
 * needs a tag, class, id or attribute that appears nowhere in the document; the document's names
 * are collected over all elements at once, so the check may keep a selector that matches nothing,
 * never drop one that matches. Anything it does not fully understand (at-rules, pseudo-classes,
 * escapes, namespaces, CDATA, comments) is kept as it is. Rules stay in their order, and a selector
 * list keeps its matching selectors, so the cascade is unchanged for every element: a spec
 * rasterizes every theme and diagram type both ways and requires identical pixels.
 */

interface DocumentNames {
  tags: Set<string>;
  classes: Set<string>;
  ids: Set<string>;
  attributes: Set<string>;
  /** `name=value`, for attribute selectors with a value. */
  pairs: Set<string>;
  /** Attributes with a value not in `pairs`: one with a character reference, or a long one. */
  encoded: Set<string>;
}

const STYLE_ELEMENT = /(<style\b[^>]*>)([\s\S]*?)(<\/style>)/gi;
/** A start tag: its name and its attributes (quoted values may hold `>`). */
const TAG = /<([a-zA-Z][\w:.-]*)((?:[^>"']+|"[^"]*"|'[^']*')*)>/g;
const ATTRIBUTE = /([^\s=/>"']+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** A name as written and without its namespace prefix, lower-cased: `svg:rect` may match `rect`. */
const forms = (name: string) => {
  const lower = name.toLowerCase();
  const colon = lower.indexOf(':');
  return colon === -1 ? [lower] : [lower, lower.slice(colon + 1)];
};

function documentNames(svg: string): DocumentNames {
  const names: DocumentNames = { tags: new Set(), classes: new Set(), ids: new Set(), attributes: new Set(), pairs: new Set(), encoded: new Set() };
  for (const tag of svg.matchAll(TAG)) {
    for (const form of forms(tag[1])) names.tags.add(form);
    for (const attribute of tag[2].matchAll(ATTRIBUTE)) {
      const value = attribute[2] ?? attribute[3];
      for (const name of forms(attribute[1])) {
        names.attributes.add(name);
        // Long values (paths, data) are not kept: a selector on one is judged by the name alone.
        if (value.includes('&') || value.length > 128) names.encoded.add(name);
        else names.pairs.add(`${name}=${value}`);
        if (name === 'class') {
          for (const item of value.split(/\s+/)) if (item) names.classes.add(item);
        } else if (name === 'id') {
          names.ids.add(value);
        }
      }
    }
  }
  return names;
}

const IDENT = '-?[_a-zA-Z][\\w-]*';
/** One simple selector of a compound, anchored at the start. */
const SIMPLE = new RegExp(`^(?:(\\*|${IDENT})|#(${IDENT})|\\.(${IDENT})|\\[\\s*(${IDENT})\\s*(?:=\\s*(?:"([^"\\\\]*)"|'([^'\\\\]*)'|(${IDENT}))\\s*)?\\])`);

/**
 * Whether a selector may match an element of the document; true when in doubt. A selector is only
 * ever judged false when all of it parsed as valid CSS: dropping an invalid selector from a list
 * would make the rest of a rule valid that CSS ignores. Combinators only separate compounds here:
 * each compound must be satisfiable on its own.
 */
function mayMatch(selector: string, names: DocumentNames): boolean {
  if (/[\\:|@!&]/.test(selector) || selector.includes('/*')) return true;
  const compounds = selector.trim().split(/\s*[>+~]\s*|\s+/);
  let satisfiable = true;
  for (const compound of compounds) {
    if (!compound) return true;
    let rest = compound;
    let first = true;
    while (rest) {
      const simple = SIMPLE.exec(rest);
      if (!simple) return true;
      const [whole, tag, id, className, attribute, doubleQuoted, singleQuoted, bare] = simple;
      if (tag) {
        if (!first) return true;
        if (tag !== '*' && !names.tags.has(tag.toLowerCase())) satisfiable = false;
      }
      if (id && !names.ids.has(id) && !names.encoded.has('id')) satisfiable = false;
      if (className && !names.classes.has(className) && !names.encoded.has('class')) satisfiable = false;
      if (attribute) {
        const value = doubleQuoted ?? singleQuoted ?? bare;
        const name = attribute.toLowerCase();
        if (!names.attributes.has(name)) satisfiable = false;
        else if (value !== undefined && !names.encoded.has(name) && !names.pairs.has(`${name}=${value}`)) satisfiable = false;
      }
      rest = rest.slice(whole.length);
      first = false;
    }
  }
  return satisfiable;
}

/** Splits at commas outside brackets, parentheses and strings; null if the text is not balanced. */
function splitList(prelude: string): string[] | null {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < prelude.length; i++) {
    const c = prelude[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(prelude.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0 || quote) return null;
  parts.push(prelude.slice(start));
  return parts;
}

/** The index after the block that opens at `open` (a `{`), or -1 if it does not close. */
function blockEnd(css: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let i = open; i < css.length; i++) {
    const c = css[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

function pruneStyleSheet(css: string, names: DocumentNames): string {
  if (/<!\[CDATA\[|\/\*|\\/.test(css)) return css;
  let out = '';
  let i = 0;
  while (i < css.length) {
    const open = css.indexOf('{', i);
    if (open === -1) return out + css.slice(i);
    const end = blockEnd(css, open);
    if (end === -1) return out + css.slice(i);
    const prelude = css.slice(i, open);
    const rule = css.slice(i, end);
    i = end;
    const selectors = prelude.trim().startsWith('@') ? null : splitList(prelude);
    if (!selectors || selectors.some((selector) => !selector.trim())) {
      out += rule;
      continue;
    }
    const kept = selectors.filter((selector) => mayMatch(selector, names));
    if (kept.length === selectors.length) out += rule;
    else if (kept.length > 0) out += kept.join(',') + css.slice(open, end);
  }
  return out;
}

/** The SVG with each style sheet reduced to the rules that may match; the same SVG if none shrink. */
export function rasterStyleSheets(svg: string): string {
  if (!/<style\b/i.test(svg)) return svg;
  const names = documentNames(svg);
  return svg.replace(STYLE_ELEMENT, (_, open: string, css: string, close: string) => open + pruneStyleSheet(css, names) + close);
}
