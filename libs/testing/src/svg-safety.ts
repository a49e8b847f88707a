import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * An XSS audit of an SVG that leaves the API, independent of the renderers' own sanitizers: it
 * parses the document as XML (as a browser does for image/svg+xml) and reports everything that
 * could run script, embed a document or fetch from elsewhere. Attribute values and style sheets
 * are checked after XML entity decoding (and CSS escapes, for CSS), with the whitespace and
 * control characters browsers ignore inside a URL scheme removed. Text content is displayed,
 * never run, so an escaped "<script>" label is not a finding.
 */

/** The one kind of URL an href/src/url() may hold besides a same-document `#fragment`. */
export const SAFE_RASTER_DATA_URI = /^data:image\/(png|jpe?g|gif|webp);base64,[a-z0-9+/=]*$/i;
/**
 * Portable SVGs (docs/fonts.md) also hold WOFF2 fonts as data: URIs, in exactly one place: a
 * `<style class="flowsmith-fonts">`, the root's first child, of nothing but these @font-face rules.
 */
const EMBEDDED_FONT_FACES = /^(?:@font-face\{font-family:fs-[a-z0-9-]+;font-weight:[1-9]\d\d;font-style:(?:normal|italic|oblique);src:url\(data:font\/woff2;base64,[A-Za-z0-9+/]+={0,2}\) format\("woff2"\)\})+$/;
const FRAGMENT = /^#[^\s#]*$/;
const SCRIPT_SCHEME = /(?:java|vb)script:/i;
/** Elements that run, embed a document, or act on events; none of them belongs in a drawing. */
const FORBIDDEN_ELEMENTS = new Set(['script', 'foreignobject', 'iframe', 'embed', 'object', 'frame', 'frameset', 'applet', 'handler', 'listener', 'base', 'meta', 'link', 'portal']);
/** SMIL elements may rewrite any attribute, an href or a handler included. */
const ANIMATIONS = new Set(['animate', 'set', 'animatemotion', 'animatetransform', 'animatecolor', 'discard']);
/** Attributes that hold a URL the browser may follow or fetch. */
const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'data', 'codebase', 'background', 'poster', 'lowsrc', 'dynsrc', 'base']);

const NAMED_ENTITIES: Record<string, string> = {
  lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", colon: ':', tab: '\t', newline: '\n', sol: '/', lpar: '(', rpar: ')', nbsp: '\u00a0', period: '.', num: '#', semi: ';', comma: ',', equals: '=',
};

/** XML (and the HTML entities a lenient parser would know) character references, repeatedly, so `&amp;#106;` is seen too. */
export function decodeEntities(text: string): string {
  let previous: string;
  let current = text;
  let rounds = 0;
  do {
    previous = current;
    current = current.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);?/gi, (match, ref: string) => {
      if (ref[0] === '#') {
        const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
        return Number.isFinite(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : match;
      }
      return NAMED_ENTITIES[ref.toLowerCase()] ?? match;
    });
  } while (current !== previous && ++rounds < 5);
  return current;
}

/** CSS escapes (`\69` → `i`, `\:` → `:`) and comments, as a CSS tokenizer sees them. */
export function decodeCss(css: string): string {
  return css
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\\([0-9a-f]{1,6})\s?/gi, (_, hex: string) => {
      const code = parseInt(hex, 16);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\uFFFD';
    })
    .replace(/\\(.)/g, '$1');
}

/** What a browser compares a URL scheme against: no whitespace or control characters anywhere in it. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what browsers drop from a URL scheme
const squeeze = (text: string) => text.replace(/[\s\u0000-\u001f\u007f-\u009f\u00a0\u200b-\u200d\u2028\u2029\ufeff]/g, '');

const isAllowedUrl = (url: string) => {
  const value = squeeze(url).replace(/^(['"])(.*)\1$/, '$2');
  return FRAGMENT.test(value) || SAFE_RASTER_DATA_URI.test(value);
};

/** Findings in a piece of CSS: @import, url() that leaves the document, script URLs, scriptable CSS. */
function cssFindings(rawCss: string, where: string): string[] {
  const css = decodeCss(decodeEntities(rawCss));
  const findings: string[] = [];
  if (/@import/i.test(css)) findings.push(`${where}: a CSS @import`);
  for (const match of css.matchAll(/url\s*\(\s*((?:"[^"]*"|'[^']*'|[^)]*))\s*\)/gi)) {
    if (!isAllowedUrl(match[1])) findings.push(`${where}: a CSS url(${match[1].slice(0, 80)}) outside the document`);
  }
  if (/image-set\s*\(|(?:^|[^-\w])src\s*\(/i.test(css)) findings.push(`${where}: a CSS image-set()/src() reference`);
  if (SCRIPT_SCHEME.test(squeeze(css))) findings.push(`${where}: a script URL in CSS`);
  if (/expression\s*\(|-moz-binding|(?:^|[^-\w])behavior\s*:/i.test(css)) findings.push(`${where}: scriptable CSS`);
  return findings;
}

type XmlNode = Record<string, unknown>;
const localName = (name: string) => name.slice(name.indexOf(':') + 1).toLowerCase();

/** Raw attribute values and text (entities are decoded by the checks), in document order. */
const parseXml = (svg: string) =>
  new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    preserveOrder: true,
    processEntities: false,
    htmlEntities: false,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    ignoreDeclaration: false,
    ignorePiTags: false,
    commentPropName: '#comment',
    cdataPropName: '#cdata',
  }).parse(svg) as XmlNode[];

/** Every reason the SVG is unsafe to serve; an empty list when there is none. */
export function svgSafetyProblems(svg: string): string[] {
  const findings: string[] = [];
  if (/<!DOCTYPE/i.test(svg)) findings.push('a DOCTYPE (entity and external-subset tricks)');
  if (/<!ENTITY/i.test(svg)) findings.push('an entity declaration');
  const valid = XMLValidator.validate(svg, { allowBooleanAttributes: false });
  if (valid !== true) return [...findings, `not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`];

  let tree: XmlNode[];
  try {
    tree = parseXml(svg);
  } catch (error) {
    return [...findings, `not parsable: ${(error as Error).message}`];
  }

  const textOf = (nodes: XmlNode[]): string =>
    nodes.map((node) => (typeof node['#text'] === 'string' ? node['#text'] : Array.isArray(node['#cdata']) ? textOf(node['#cdata'] as XmlNode[]) : '')).join('');

  let roots = 0;
  const visit = (nodes: XmlNode[], depth: number) => {
    let firstChild = true;
    for (const node of nodes) {
      const name = Object.keys(node).find((key) => key !== ':@');
      if (!name || name === '#text' || name === '#comment' || name === '#cdata') continue;
      const isFirstChild = firstChild;
      firstChild = false;
      const attributes = (node[':@'] ?? {}) as Record<string, string>;
      if (name.startsWith('?')) {
        // <?xml-stylesheet href=...?> loads a style sheet from wherever it points.
        if (name.toLowerCase() !== '?xml') findings.push(`a processing instruction <${name}>`);
        continue;
      }
      const element = localName(name);
      if (depth === 0) {
        roots++;
        if (element !== 'svg') findings.push(`the root element is <${name}>, not <svg>`);
      }
      if (FORBIDDEN_ELEMENTS.has(element)) findings.push(`a <${name}> element`);
      for (const [attribute, raw] of Object.entries(attributes)) {
        const key = localName(attribute);
        const value = decodeEntities(String(raw));
        const where = `<${name} ${attribute}>`;
        if (key.startsWith('on')) findings.push(`${where}: an event handler attribute`);
        if (URL_ATTRIBUTES.has(key) && !isAllowedUrl(value)) findings.push(`${where}: a reference outside the document (${value.slice(0, 80)})`);
        if (SCRIPT_SCHEME.test(squeeze(value))) findings.push(`${where}: a script URL`);
        if (/^data:/i.test(squeeze(value)) && !SAFE_RASTER_DATA_URI.test(squeeze(value))) findings.push(`${where}: a non-raster data: URI`);
        if (key === 'style' || /url\s*\(|@import/i.test(value)) findings.push(...cssFindings(String(raw), where));
        if (ANIMATIONS.has(element) && key === 'attributename' && /^(?:(?:xlink:)?href|on.*|style|src)$/i.test(value.trim())) findings.push(`${where}: an animation of ${value}`);
      }
      const children = (node[name] ?? []) as XmlNode[];
      const embeddedFonts = element === 'style' && depth === 1 && isFirstChild && Object.keys(attributes).join() === 'class' && attributes.class === 'flowsmith-fonts' && EMBEDDED_FONT_FACES.test(textOf(children));
      if (element === 'style' && !embeddedFonts) findings.push(...cssFindings(textOf(children), `<${name}>`));
      visit(children, depth + 1);
    }
  };
  visit(tree, 0);
  if (roots !== 1) findings.push(`${roots} root elements`);
  return findings;
}

/** The SVG passes the audit; the findings are the failure message otherwise. */
export function expectSafeSvg(svg: string, context = ''): void {
  const findings = svgSafetyProblems(svg);
  if (findings.length) throw new Error(`unsafe SVG${context ? ` (${context})` : ''}:\n  ${findings.join('\n  ')}\n--- svg (first 2000 chars) ---\n${svg.slice(0, 2000)}`);
}
