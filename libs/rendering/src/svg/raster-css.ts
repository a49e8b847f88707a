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

/**
 * How far below the alphabetic baseline Chromium puts each baseline that `dominant-baseline` (or
 * `alignment-baseline` on a <text>) asks for, in em of the text's font, measured against
 * Chromium with Noto Sans at 12-24 px (raster-fidelity.e2e-spec.ts). librsvg draws `middle`,
 * `hanging` and the others on the alphabetic baseline or its own idea of them (2-4 px off at
 * 16 px: the labels of a timeline sat on the bottom border of their boxes), but it honours
 * `baseline-shift`, which these become. Values not listed (auto, alphabetic, ...) stay where they are.
 */
const BASELINE_SHIFT_EM: Record<string, number> = { middle: 0.25, central: 0.36, hanging: 0.85, 'text-before-edge': 1.05, 'before-edge': 1.05, 'text-top': 1.05, mathematical: 0.36, ideographic: -0.29, 'text-after-edge': -0.29, 'after-edge': -0.29, 'text-bottom': -0.29 };
const BASELINE_ATTRIBUTE = /\s(dominant-baseline|alignment-baseline)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const BASELINE_DECLARATION = /(dominant-baseline|alignment-baseline)\s*:\s*([a-z-]+)\s*(?:!important\s*)?(;|(?=["'}]))/gi;
// One character per step (not `[^>"']+`): a run split in every way is exponential backtracking.
const TEXT_TAG = /<(text|tspan)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/g;

const shiftFor = (value: string | undefined) => (value === undefined ? undefined : BASELINE_SHIFT_EM[value.trim().toLowerCase()]);
const shiftDeclaration = (em: number) => `baseline-shift:${-em}em`;

/** A <text>'s baseline attributes as one `baseline-shift`; a <tspan>'s are dropped (it inherits its text's). */
function textBaselines(svg: string): string {
  if (!/baseline/.test(svg)) return svg;
  return svg.replace(TEXT_TAG, (tag: string, name: string, attributes: string) => {
    if (!/baseline/.test(attributes)) return tag;
    let dominant: string | undefined;
    let alignment: string | undefined;
    let rest = attributes.replace(BASELINE_ATTRIBUTE, (_: string, property: string, double?: string, single?: string) => {
      if (property === 'dominant-baseline') dominant = double ?? single;
      else alignment = double ?? single;
      return '';
    });
    // Declarations in a style attribute win over the attributes, as in CSS.
    rest = rest.replace(/\sstyle\s*=\s*(["'])([\s\S]*?)\1/, (_: string, quote: string, css: string) => {
      const declared = css.replace(BASELINE_DECLARATION, (__: string, property: string, value: string) => {
        if (property.toLowerCase() === 'dominant-baseline') dominant = value;
        else alignment = value;
        return '';
      });
      return ` style=${quote}${declared}${quote}`;
    });
    const em = name === 'text' ? (shiftFor(dominant) ?? shiftFor(alignment)) : undefined;
    return `<${name}${rest}${em ? ` baseline-shift="${-em}em"` : ''}>`;
  });
}

/** The same in style sheets: a rule's baseline declaration becomes its shift (or goes, for one without). */
function sheetBaselines(svg: string): string {
  if (!/baseline\s*:/.test(svg)) return svg;
  return svg.replace(STYLE_ELEMENT, (_: string, open: string, css: string, close: string) => {
    const rules = css.replace(/\{([^{}]*)\}/g, (block: string, body: string) => {
      if (!/baseline\s*:/i.test(body)) return block;
      let em: number | undefined;
      let alignmentEm: number | undefined;
      const kept = body.replace(BASELINE_DECLARATION, (__: string, property: string, value: string) => {
        if (property.toLowerCase() === 'dominant-baseline') em = shiftFor(value) ?? 0;
        else alignmentEm = shiftFor(value);
        return '';
      });
      const shift = em ?? alignmentEm;
      return `{${kept}${shift ? `${kept.trim() && !kept.trim().endsWith(';') ? ';' : ''}${shiftDeclaration(shift)};` : ''}}`;
    });
    return open + rules + close;
  });
}

/**
 * A <text> with a `dy` whose first child <tspan> has its own: Chromium moves the first character
 * by the innermost `dy` alone, librsvg by both (mermaid's timeline and mindmap labels, one line
 * too low). The outer one goes.
 */
function nestedDy(svg: string): string {
  if (!/\sdy\s*=/.test(svg)) return svg;
  return svg.replace(/<text\b((?:[^>"']|"[^"]*"|'[^']*')*)>(?=\s*<tspan\b[^>]*?\sdy\s*=)/g, (tag: string, attributes: string) => `<text${attributes.replace(/\sdy\s*=\s*(?:"[^"]*"|'[^']*')/, '')}>`);
}

/**
 * White space in text as Chromium lays it out: finish-svg.ts puts `xml:space="preserve"` on the
 * root, which Chromium ignores (it collapses white space as CSS does) and librsvg honours: it drew
 * "First   customer" with the gaps, and a pretty-printed <text> with its indentation. Each run of
 * white space becomes one space, also across the <tspan>s of a text, and none is left at its start
 * or end. The attribute itself stays: without it librsvg also drops the space that begins a
 * <tspan> ("Customer<tspan> signs</tspan>" became "Customersigns").
 */
function collapseTextSpace(svg: string): string {
  if (!/<text\b/.test(svg)) return svg;
  return svg.replace(/(<text\b(?:[^>"']|"[^"]*"|'[^']*')*>)([\s\S]*?)(<\/text>)/g, (whole: string, open: string, content: string, close: string) => {
    if (!/\s/.test(content) || /<!\[CDATA\[/.test(content)) return whole;
    let spaced = true; // at the start, a space is dropped
    const parts = content.split(/(<[^>]*>)/);
    for (let i = 0; i < parts.length; i += 2) {
      let text = parts[i].replace(/\s+/g, ' ');
      if (spaced && text.startsWith(' ')) text = text.slice(1);
      if (text) spaced = text.endsWith(' ');
      parts[i] = text;
    }
    // The end: a trailing space of the last text that has any.
    for (let i = parts.length - 1 - ((parts.length - 1) % 2); i >= 0; i -= 2) {
      if (!parts[i]) continue;
      parts[i] = parts[i].replace(/ $/, '');
      break;
    }
    return open + parts.join('') + close;
  });
}

/**
 * A CSS `transform` on a class, with the element's `transform-origin`: librsvg does not turn about
 * the origin, so mermaid's gantt milestones (`.milestone{transform:rotate(45deg) scale(0.8,0.8)}`,
 * turned about their centre) went off the canvas. Such a rule's transform becomes the attribute
 * of each element of that class (origin folded in), as Chromium applies it: the property replaces
 * the attribute. Only rules whose selector ends in one class and whose value is plain
 * translate/rotate/scale are taken; anything else stays as it is.
 */
function classTransforms(svg: string): string {
  if (!/transform\s*:/.test(svg)) return svg;
  const byClass = new Map<string, string>();
  let out = svg.replace(STYLE_ELEMENT, (_: string, open: string, css: string, close: string) => {
    const rules = css.replace(/([^{}]*)\{([^{}]*)\}/g, (rule: string, prelude: string, body: string) => {
      const selector = /\.(-?[_a-zA-Z][\w-]*)\s*$/.exec(prelude);
      const declaration = /(^|;)\s*transform\s*:\s*([^;!]*?)\s*(;|$)/.exec(body);
      if (!selector || !declaration || prelude.includes(',') || /[:[\]>+~]/.test(prelude)) return rule;
      const value = svgTransform(declaration[2]);
      if (!value) return rule;
      byClass.set(selector[1], value);
      return `${prelude}{${body.replace(declaration[0], declaration[1])}}`;
    });
    return open + rules + close;
  });
  if (!byClass.size) return svg;
  out = out.replace(/<([a-zA-Z][\w:.-]*)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/g, (tag: string, name: string, attributes: string) => {
    const classes = /\sclass\s*=\s*"([^"]*)"/.exec(attributes)?.[1].split(/\s+/) ?? [];
    const value = classes.map((item) => byClass.get(item)).find(Boolean);
    if (!value) return tag;
    const origin = /\stransform-origin\s*=\s*"\s*(-?[\d.]+)(?:px)?\s+(-?[\d.]+)(?:px)?\s*"/.exec(attributes);
    const transform = origin ? `translate(${origin[1]} ${origin[2]}) ${value} translate(${-Number(origin[1])} ${-Number(origin[2])})` : value;
    const rest = attributes.replace(/\stransform\s*=\s*"[^"]*"/, '').replace(/\stransform-origin\s*=\s*"[^"]*"/, '');
    return `<${name}${rest.replace(/\/$/, '')} transform="${transform}"${rest.endsWith('/') ? '/' : ''}>`;
  });
  return out;
}

/** A CSS transform list of translate/rotate/scale as an SVG transform attribute; null for anything else. */
function svgTransform(css: string): string | null {
  const parts: string[] = [];
  const FUNCTION = /\s*(translate|translateX|translateY|rotate|scale)\(([^)]*)\)/gy;
  let match: RegExpExecArray | null;
  let end = 0;
  while ((match = FUNCTION.exec(css))) {
    end = FUNCTION.lastIndex;
    const args = match[2].split(/\s*,\s*|\s+/).filter(Boolean);
    const number = (arg: string, unit: RegExp) => (unit.test(arg) ? Number.parseFloat(arg) : Number.NaN);
    let values: number[];
    if (match[1] === 'rotate') values = args.map((arg) => number(arg, /^-?[\d.]+deg$/));
    else if (match[1] === 'scale') values = args.map((arg) => number(arg, /^-?[\d.]+$/));
    else values = args.map((arg) => number(arg, /^-?[\d.]+(px)?$/));
    if (!values.length || values.some(Number.isNaN)) return null;
    if (match[1] === 'translateX') parts.push(`translate(${values[0]} 0)`);
    else if (match[1] === 'translateY') parts.push(`translate(0 ${values[0]})`);
    else parts.push(`${match[1]}(${values.join(' ')})`);
  }
  return parts.length && css.slice(end).trim() === '' ? parts.join(' ') : null;
}

/**
 * `ex` font sizes (mermaid's timeline title is `font-size="4ex"`): Chromium's ex is the font's
 * x-height, 0.536 em in Noto Sans; librsvg's is half an em, so the title came out 2 px smaller.
 */
function exFontSizes(svg: string): string {
  return svg.replace(/(\sfont-size\s*=\s*"|font-size\s*:\s*)(\d*\.?\d+)ex\b/g, (_: string, lead: string, size: string) => `${lead}${Number((Number(size) * 0.536).toFixed(4))}em`);
}

/**
 * Where librsvg would draw otherwise than Chromium, the SVG rewritten to what Chromium draws:
 * white space in text, baselines, nested `dy`, class transforms and ex font sizes (above). Only for rasterizing; the SVG that
 * clients get is unchanged.
 */
export function rasterTextFixes(svg: string): string {
  return exFontSizes(classTransforms(sheetBaselines(textBaselines(nestedDy(collapseTextSpace(svg))))));
}

/** What librsvg draws: the SVG with the rewrites above, and without the style rules that cannot match. */
export function rasterSvg(svg: string): string {
  return rasterStyleSheets(rasterTextFixes(svg));
}
