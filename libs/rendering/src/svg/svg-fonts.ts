/**
 * What an SVG draws its text with: a small CSS cascade over the finished SVG (presentation
 * attributes, `style` attributes and `<style>` rules, inheritance) for font-family, font-weight
 * and font-style, and the characters of every text under each combination. Selectors it cannot
 * decide (pseudo-classes) count as "may match": their values are added to the candidates rather
 * than replacing them, so the result is never narrower than what a browser draws.
 */

export interface TextUse {
  /** The font-family list as declared, normalised (families joined by ", "). */
  families: string;
  weight: number;
  style: 'normal' | 'italic' | 'oblique';
  /** The characters drawn with it. */
  text: Set<string>;
}

interface Element {
  name: string;
  id?: string;
  classes: string[];
  attributes: Record<string, string>;
  parent?: Element;
  depth: number;
  isRoot: boolean;
}

type Certainty = 0 | 1 | 2; // no, maybe, yes
interface Compound {
  tag?: string;
  id?: string;
  classes: string[];
  attributes: Array<{ name: string; value?: string }>;
  root: boolean;
  /** A pseudo-class or pseudo-element this does not evaluate. */
  undecided: boolean;
}
interface Selector {
  compounds: Compound[];
  /** combinators[i] joins compounds[i] and compounds[i + 1]: ' ' or '>' ('+' and '~' count as ' ', undecided). */
  combinators: string[];
  specificity: number;
  undecided: boolean;
}
interface Rule {
  selectors: Selector[];
  declarations: Declaration[];
  order: number;
}
export interface Declaration {
  property: string;
  value: string;
  important: boolean;
}

/**
 * Bounds on the work for an SVG source with a hostile style sheet (thousands of font rules over
 * thousands of text elements): past them the SVG is not embedded at all (TooComplexError), which
 * costs portability, never the render. Our engines' SVGs stay far below: mermaid's style sheet has
 * about ten font rules, and a 5,000-label drawing needs about 100,000 compound checks.
 */
const MAX_FONT_RULES = 500;
const MATCH_BUDGET = 20_000_000;
const MAX_CANDIDATES = 4;
const MAX_USES = 256;

export class TooComplexError extends Error {
  constructor(reason: string) {
    super(`The SVG's styles are too complex to embed its fonts: ${reason}`);
    this.name = 'TooComplexError';
  }
}

let budget = 0;
const XML_WHITESPACE = /^[ \t\r\n]$/;
const FONT_PROPERTIES = new Set(['font-family', 'font-weight', 'font-style']);
const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export const decodeXml = (text: string) =>
  text.replace(/&(#x[0-9a-f]+|#[0-9]+|lt|gt|amp|quot|apos);/gi, (match, ref: string) => {
    if (ref[0] !== '#') return NAMED_ENTITIES[ref.toLowerCase()] ?? match;
    const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : match;
  });

/** Splits on a separator outside quotes, parentheses and brackets. */
export function splitOutside(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quote) {
      if (char === '\\') i++;
      else if (char === quote) quote = '';
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '(' || char === '[') depth++;
    else if (char === ')' || char === ']') depth--;
    else if (char === separator && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

export function parseDeclarations(block: string): Declaration[] {
  const declarations: Declaration[] = [];
  for (const part of splitOutside(block, ';')) {
    const colon = part.indexOf(':');
    if (colon < 0) continue;
    const property = part.slice(0, colon).trim().toLowerCase();
    let value = part.slice(colon + 1).trim();
    const important = /!\s*important\s*$/i.test(value);
    if (important) value = value.replace(/!\s*important\s*$/i, '').trim();
    if (property && value) declarations.push({ property, value, important });
  }
  return declarations;
}

/** The family names of a font-family value, without quotes: `"Noto Sans", serif` → ["Noto Sans", "serif"]. */
export function familyNames(value: string): string[] {
  return splitOutside(value, ',')
    .map((part) => part.trim())
    .map((part) => (/^(["']).*\1$/s.test(part) ? part.slice(1, -1).replace(/\\(.)/g, '$1') : part.replace(/\s+/g, ' ')))
    .filter(Boolean);
}

function parseCompound(text: string): Compound {
  const compound: Compound = { classes: [], attributes: [], root: false, undecided: false };
  const pattern = /(\*|[a-z_][\w-]*(?:\|[\w-]+)?)|#([\w-]+)|\.([\w-]+)|\[\s*([\w:-]+)\s*(?:([~|^$*]?=)\s*("[^"]*"|'[^']*'|[^\]\s]+)\s*)?(?:\s[is])?\]|(::?[\w-]+(?:\([^)]*\))?)/giy;
  let match: RegExpExecArray | null;
  let end = 0;
  while ((match = pattern.exec(text))) {
    end = pattern.lastIndex;
    const [, tag, id, className, attribute, operator, rawValue, pseudo] = match;
    if (tag) compound.tag = tag === '*' ? undefined : tag.replace(/^.*\|/, '').toLowerCase();
    else if (id) compound.id = id;
    else if (className) compound.classes.push(className);
    else if (attribute) {
      const value = rawValue?.replace(/^(["'])(.*)\1$/, '$2');
      if (operator && operator !== '=') compound.undecided = true;
      compound.attributes.push({ name: attribute.toLowerCase(), value: operator === '=' ? value : undefined });
    } else if (pseudo) {
      if (pseudo.toLowerCase() === ':root') compound.root = true;
      else compound.undecided = true;
    }
  }
  if (end !== text.length) compound.undecided = true; // something this does not parse
  return compound;
}

function parseSelector(text: string): Selector {
  const compounds: Compound[] = [];
  const combinators: string[] = [];
  let undecided = false;
  // Combinators: '>' '+' '~' or whitespace, outside brackets and parentheses.
  const tokens = text.trim().replace(/\s*([>+~])\s*/g, ' $1 ').split(/\s+/).filter(Boolean);
  let pending = ' ';
  for (const token of tokens) {
    if (token === '>' || token === '+' || token === '~') {
      pending = token;
      continue;
    }
    if (compounds.length) {
      if (pending === '+' || pending === '~') undecided = true;
      combinators.push(pending === '>' ? '>' : ' ');
    }
    compounds.push(parseCompound(token));
    pending = ' ';
  }
  let ids = 0;
  let classes = 0;
  let types = 0;
  for (const compound of compounds) {
    ids += compound.id ? 1 : 0;
    classes += compound.classes.length + compound.attributes.length + (compound.root ? 1 : 0) + (compound.undecided ? 1 : 0);
    types += compound.tag ? 1 : 0;
    undecided ||= compound.undecided;
  }
  return { compounds, combinators, specificity: ids * 1_000_000 + classes * 1000 + types, undecided };
}

/** The rules of a style sheet, with the font properties only; at-rules are read through (@media) or skipped (@font-face, @keyframes). */
export function parseStyleSheet(css: string, firstOrder = 0): Rule[] {
  const rules: Rule[] = [];
  let order = firstOrder;
  const text = css.replace(/\/\*[\s\S]*?\*\//g, '');
  const walk = (from: number, to: number) => {
    let i = from;
    while (i < to) {
      const open = text.indexOf('{', i);
      const semicolon = text.indexOf(';', i);
      if (open < 0 || open >= to) return;
      if (semicolon >= 0 && semicolon < open && text.slice(i, semicolon).trim().startsWith('@')) {
        i = semicolon + 1; // @import, @charset, @namespace
        continue;
      }
      let depth = 1;
      let close = open + 1;
      for (; close < to && depth > 0; close++) {
        if (text[close] === '{') depth++;
        else if (text[close] === '}') depth--;
      }
      const prelude = text.slice(i, open).trim();
      if (prelude.startsWith('@')) {
        if (/^@(media|supports|layer|container|document)\b/i.test(prelude)) walk(open + 1, close - 1);
      } else {
        const declarations = parseDeclarations(text.slice(open + 1, close - 1)).filter((d) => FONT_PROPERTIES.has(d.property) || d.property === 'font');
        if (declarations.length) rules.push({ selectors: splitOutside(prelude, ',').map(parseSelector), declarations, order: order++ });
      }
      i = close;
    }
  };
  walk(0, text.length);
  return rules;
}

function matchCompound(compound: Compound, element: Element): Certainty {
  budget--;
  if (compound.tag && compound.tag !== element.name) return 0;
  if (compound.id && compound.id !== element.id) return 0;
  if (compound.root && !element.isRoot) return 0;
  for (const className of compound.classes) if (!element.classes.includes(className)) return 0;
  for (const { name, value } of compound.attributes) {
    const actual = element.attributes[name];
    if (actual === undefined || (value !== undefined && actual !== value)) return 0;
  }
  return compound.undecided ? 1 : 2;
}

/** Memoised by (compound, element), so descendant combinators cost compounds × depth², never more. */
function matchFrom(selector: Selector, at: number, element: Element | undefined, memo: Map<string, Certainty>): Certainty {
  if (!element) return 0;
  const key = `${at}:${element.depth}`;
  const known = memo.get(key);
  if (known !== undefined) return known;
  let result = matchCompound(selector.compounds[at], element);
  if (result !== 0 && at > 0) {
    if (selector.combinators[at - 1] === '>') result = Math.min(result, matchFrom(selector, at - 1, element.parent, memo)) as Certainty;
    else {
      let best: Certainty = 0;
      for (let ancestor = element.parent; ancestor && best < 2; ancestor = ancestor.parent) best = Math.max(best, matchFrom(selector, at - 1, ancestor, memo)) as Certainty;
      result = Math.min(result, best) as Certainty;
    }
  }
  memo.set(key, result);
  return result;
}

export function matches(selector: Selector, element: Element): Certainty {
  if (budget <= 0) throw new TooComplexError(`more than ${MATCH_BUDGET} selector checks`);
  const result = matchFrom(selector, selector.compounds.length - 1, element, new Map());
  return result === 2 && selector.undecided ? 1 : result;
}

const FONT_SHORTHAND = /^(.*?(?:^|\s)(?:[\d.]+(?:px|pt|em|rem|%|ex|ch|vw|vh)?|xx-small|x-small|small|medium|large|x-large|xx-large|smaller|larger)(?:\/\S+)?\s+)(\S.*)$/i;

/** The shorthand `font: [style] [variant] [weight] size[/line-height] family` as what comes before the families, and the families. */
export function splitFontShorthand(value: string): { head: string; families: string } | null {
  const match = FONT_SHORTHAND.exec(value);
  return match ? { head: match[1], families: match[2] } : null;
}

/** The shorthand as its three font properties. */
function expandFont(value: string): Declaration[] {
  const parts = splitFontShorthand(value.trim());
  if (!parts) return [];
  const words = parts.head.toLowerCase().split(/\s+/);
  return [
    { property: 'font-family', value: parts.families, important: false },
    { property: 'font-weight', value: words.find((w) => /^(bold|bolder|lighter|[1-9]00)$/.test(w)) ?? 'normal', important: false },
    { property: 'font-style', value: words.find((w) => /^(italic|oblique)$/.test(w)) ?? 'normal', important: false },
  ];
}

interface Computed {
  families: Set<string>;
  weights: Set<number>;
  styles: Set<TextUse['style']>;
}

function weightOf(value: string, parent: number): number | 'inherit' | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'inherit' || v === 'unset') return 'inherit';
  if (v === 'normal' || v === 'initial') return 400;
  if (v === 'bold') return 700;
  if (v === 'bolder') return parent < 350 ? 400 : parent < 550 ? 700 : 900;
  if (v === 'lighter') return parent < 550 ? 100 : parent < 750 ? 400 : 700;
  const n = Number.parseFloat(v);
  return n >= 1 && n <= 1000 ? n : undefined;
}

function styleOf(value: string): TextUse['style'] | 'inherit' | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'inherit' || v === 'unset') return 'inherit';
  if (v === 'normal' || v === 'initial') return 'normal';
  if (v === 'italic') return 'italic';
  if (v.startsWith('oblique')) return 'oblique';
  return undefined;
}

const normaliseFamilies = (value: string) => familyNames(value).join(', ');

/** Tokens of an XML document: tags, text and CDATA; comments, PIs and doctype are skipped. */
const TOKENS = /<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<\/([^\s>]+)\s*>|<([^\s/>]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/gi;
const ATTRIBUTES = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

export function parseAttributes(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of text.matchAll(ATTRIBUTES)) attributes[match[1]] = decodeXml(match[2] ?? match[3] ?? '');
  return attributes;
}

const localName = (name: string) => name.slice(name.indexOf(':') + 1).toLowerCase();
const TEXT_ELEMENTS = new Set(['text', 'tspan', 'textpath']);
/** Never drawn, even inside <text>. */
const UNDRAWN = new Set(['title', 'desc', 'style', 'script', 'metadata']);

/**
 * Every (font-family list, weight, style) the SVG's text is drawn with, and its characters. A
 * space joins every set: whitespace in text is drawn as spaces (xml:space="preserve"), and a
 * space from another font would change the widths.
 */
export function textUses(svg: string): TextUse[] {
  // The style sheets first: a rule applies to elements before its <style> too.
  const rules: Rule[] = [];
  for (const match of svg.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)) {
    const css = match[1].replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1');
    rules.push(...parseStyleSheet(match[1].includes('<![CDATA[') ? css : decodeXml(css), rules.length));
  }
  rules.sort((a, b) => a.order - b.order);
  if (rules.length > MAX_FONT_RULES) throw new TooComplexError(`${rules.length} font rules`);

  const uses = new Map<string, TextUse>();
  type StackEntry = { element: Element; parent?: StackEntry; computed?: Computed; inText: boolean; drawn: boolean };
  const stack: StackEntry[] = [];
  budget = MATCH_BUDGET;
  const initial: Computed = { families: new Set(), weights: new Set([400]), styles: new Set(['normal']) };

  const compute = (element: Element, parent: Computed): Computed => {
    type Candidate = { declaration: Declaration; certainty: Certainty; rank: number };
    const candidates: Candidate[] = [];
    // Presentation attributes rank below every style rule; the style attribute above; !important above all.
    for (const property of FONT_PROPERTIES) {
      const value = element.attributes[property];
      if (value !== undefined) candidates.push({ declaration: { property, value, important: false }, certainty: 2, rank: 0 });
    }
    for (const rule of rules) {
      let best: { certainty: Certainty; specificity: number } | undefined;
      for (const selector of rule.selectors) {
        const certainty = matches(selector, element);
        if (certainty && (!best || certainty > best.certainty || (certainty === best.certainty && selector.specificity > best.specificity))) best = { certainty, specificity: selector.specificity };
      }
      if (!best) continue;
      for (const declaration of rule.declarations.flatMap((d) => (d.property === 'font' ? expandFont(d.value) : [d]))) {
        candidates.push({ declaration, certainty: best.certainty, rank: 1 + best.specificity * 1e4 + rule.order });
      }
    }
    for (const declaration of parseDeclarations(element.attributes.style ?? '')) {
      for (const d of declaration.property === 'font' ? expandFont(declaration.value) : [declaration]) candidates.push({ declaration: d, certainty: 2, rank: 1e15 });
    }
    const byPrecedence = (property: string) =>
      candidates
        .filter((c) => c.declaration.property === property)
        .sort((a, b) => Number(b.declaration.important) - Number(a.declaration.important) || b.rank - a.rank);

    const resolve = <T>(property: string, inherited: Set<T>, read: (value: string) => T | 'inherit' | undefined): Set<T> => {
      const values = new Set<T>();
      const add = (value: T) => values.size < MAX_CANDIDATES && values.add(value);
      for (const { declaration, certainty } of byPrecedence(property)) {
        const value = read(declaration.value);
        if (value === undefined) continue;
        if (value === 'inherit') inherited.forEach(add);
        else if (certainty === 2) values.add(value);
        else add(value);
        if (certainty === 2) return values;
      }
      inherited.forEach(add);
      return values;
    };
    const weights = new Set<number>();
    for (const parentWeight of parent.weights) resolve('font-weight', new Set([parentWeight]), (v) => weightOf(v, parentWeight)).forEach((w) => weights.add(w));
    return {
      families: resolve('font-family', parent.families, (v) => (/^\s*(inherit|unset)\s*$/i.test(v) ? 'inherit' : normaliseFamilies(v) || undefined)),
      weights,
      styles: resolve('font-style', parent.styles, styleOf),
    };
  };

  const addText = (text: string, computed: Computed) => {
    for (const families of computed.families)
      for (const weight of computed.weights)
        for (const style of computed.styles) {
          const key = `${families}|${weight}|${style}`;
          let use = uses.get(key);
          if (!use && uses.size >= MAX_USES) continue;
          if (!use) uses.set(key, (use = { families, weight, style, text: new Set([' ']) }));
          // XML whitespace is drawn as a space (added above); a no-break space and the like are glyphs of their own.
          for (const char of text) if (!XML_WHITESPACE.test(char)) use.text.add(char);
        }
  };

  // Styles are computed only for elements with text in them, each once.
  const computedOf = (entry: StackEntry): Computed => (entry.computed ??= compute(entry.element, entry.parent ? computedOf(entry.parent) : initial));
  for (const match of svg.matchAll(TOKENS)) {
    const [, cdata, closing, opening, attributeText, selfClosing, text] = match;
    const top = stack[stack.length - 1];
    if (opening) {
      if (selfClosing) continue; // no text in it
      const attributes = parseAttributes(attributeText ?? '');
      const name = localName(opening);
      const element: Element = { name, id: attributes.id, classes: (attributes.class ?? '').split(/\s+/).filter(Boolean), attributes, parent: top?.element, depth: stack.length, isRoot: !top };
      stack.push({ element, parent: top, inText: (top?.inText ?? false) || TEXT_ELEMENTS.has(name), drawn: (top?.drawn ?? true) && !UNDRAWN.has(name) });
    } else if (closing) {
      stack.pop();
    } else if (top?.inText && top.drawn && (text !== undefined || cdata !== undefined)) {
      const chars = cdata ?? decodeXml(text ?? '');
      if (/[^ \t\r\n]/.test(chars)) addText(chars, computedOf(top));
    }
  }
  return [...uses.values()];
}
