/** A BPMN document as fast-xml-parser gives it (attributes prefixed with `@`), and how to walk it. */
export type XmlNode = Record<string, unknown>;

export interface XmlChild {
  name: string;
  namespace: string | undefined;
  local: string;
  node: XmlNode;
}

const localName = (name: string) => (name.includes(':') ? name.split(':', 2)[1] : name);

/** The element children of a parsed node, each with its namespace resolved against `scope`. */
export function childrenOf(node: XmlNode, scope: Record<string, string>): XmlChild[] {
  const children: XmlChild[] = [];
  for (const [name, value] of Object.entries(node)) {
    if (name.startsWith('@') || name === '#text') continue;
    const [prefix, local] = name.includes(':') ? name.split(':', 2) : ['', name];
    for (const child of Array.isArray(value) ? value : [value]) {
      const element = (typeof child === 'object' && child !== null ? child : {}) as XmlNode;
      const own = element[prefix ? `@xmlns:${prefix}` : '@xmlns'];
      children.push({ name, namespace: typeof own === 'string' ? own : scope[prefix], local, node: element });
    }
  }
  return children;
}

/** The namespace prefixes an element declares ('' for the default namespace). */
export function namespacesOf(node: XmlNode): Record<string, string> {
  const scope: Record<string, string> = {};
  for (const [name, value] of Object.entries(node)) {
    if (name === '@xmlns') scope[''] = String(value);
    else if (name.startsWith('@xmlns:')) scope[name.slice(7)] = String(value);
  }
  return scope;
}

/** The text of each child element named `local` (an element with only text parses as a string). */
export function textsOf(node: XmlNode, local: string): string[] {
  const texts: string[] = [];
  for (const [name, value] of Object.entries(node)) {
    if (name.startsWith('@') || localName(name) !== local) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      const text = typeof item === 'string' ? item : item && typeof item === 'object' ? (item as XmlNode)['#text'] : undefined;
      if (typeof text === 'string') texts.push(text);
    }
  }
  return texts;
}

/** An attribute's value as written (entities are not expanded), or undefined. */
export function attributeOf(node: XmlNode, name: string): string | undefined {
  const value = node[`@${name}`];
  return typeof value === 'string' ? value : undefined;
}
