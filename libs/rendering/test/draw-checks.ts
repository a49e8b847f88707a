/**
 * Checks the script languages' draw specs share (libs/rendering/src/<language>/<language>-draw.spec.ts):
 * plain string work, no browser, so the unit tier can use them.
 */

/** The text the drawing shows: each text element's characters (tspans joined), entities decoded. */
export function textsOf(svg: string): string[] {
  const decode = (text: string) =>
    text.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, entity: string) =>
      ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[entity.toLowerCase()] ??
      String.fromCodePoint(entity[1].toLowerCase() === 'x' ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1))),
    );
  return [...svg.matchAll(/<text\b[^>]*>([\s\S]*?)<\/text>/g)].map((match) => decode(match[1].replace(/<[^>]*>/g, '')).replace(/\u00a0/g, ' ').trim());
}

/** Tags that could run or fetch: script elements, event handler attributes, javascript: or outside URLs. */
export function unsafeTags(svg: string): string[] {
  return (svg.match(/<[^>]*>/g) ?? []).map((tag) => tag.replace(/\sxmlns(?::\w+)?="[^"]*"/g, '')).filter(
    (tag) => /^<\s*(script|foreignObject|iframe)/i.test(tag) || /\son[a-z]+\s*=/i.test(tag.replace(/"[^"]*"|'[^']*'/g, '""')) || /javascript:|https?:|evil\.example/i.test(tag),
  );
}
