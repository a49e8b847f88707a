import { ApiError } from './api-error';

/** A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
// eslint-disable-next-line no-control-regex -- finding NUL is the point
const ILL_FORMED = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface IllFormedText {
  /** Where the string sits, dotted as class-validator names fields (`scopes.1`); the key itself when a key is at fault. */
  path: string;
  reason: 'nul' | 'surrogate';
}

/**
 * The first string (value or key) of a parsed body or query that Postgres cannot store: text
 * columns refuse NUL, and a lone surrogate is not Unicode at all (Prisma's engine refuses it, and
 * UTF-8 cannot encode it). Walked without recursion; the body's depth and size are already bounded
 * by the JSON parser (json-body.ts).
 */
export function findIllFormedText(value: unknown, root = ''): IllFormedText | null {
  const pending: Array<[unknown, string]> = [[value, root]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [node, path] = next;
    if (typeof node === 'string') {
      const match = ILL_FORMED.exec(node);
      if (match) return { path, reason: match[0] === '\u0000' ? 'nul' : 'surrogate' };
    } else if (node && typeof node === 'object') {
      const entries = Object.entries(node);
      // Reverse, so that the first field of the body is the one reported.
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i];
        const childPath = path ? `${path}.${key}` : key;
        const bad = ILL_FORMED.exec(key);
        if (bad) return { path: childPath, reason: bad[0] === '\u0000' ? 'nul' : 'surrogate' };
        pending.push([child, childPath]);
      }
    }
  }
  return null;
}

/** Refuses text Postgres cannot store, with 400 invalid_parameter naming the field. */
export function assertWellFormedText(value: unknown, root = ''): void {
  const found = findIllFormedText(value, root);
  if (!found) return;
  const param = found.path || root || 'body';
  throw new ApiError(
    'invalid_parameter',
    found.reason === 'nul' ? `${param} must not contain NUL characters (U+0000).` : `${param} holds a lone UTF-16 surrogate: it is not valid Unicode text.`,
    { param },
  );
}

/**
 * The first query parameter of a URL whose name or value holds percent-encoding that does not
 * decode to UTF-8 text, or null. A lone surrogate has no UTF-8 form: in a URL it can only arrive
 * as such bytes (%ED%A0%80), which the query parser would keep as they are; the path answers the
 * same bytes with 400 (framework-errors.ts), so the query does too. Costs an indexOf when the
 * query holds no `%`.
 */
export function malformedQueryParameter(url: string): string | null {
  const start = url.indexOf('?');
  if (start < 0 || url.indexOf('%', start) < 0) return null;
  for (const pair of url.slice(start + 1).split('&')) {
    const split = pair.indexOf('=');
    const name = split < 0 ? pair : pair.slice(0, split);
    try {
      decodeURIComponent(pair);
    } catch {
      try {
        return decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        return name;
      }
    }
  }
  return null;
}

/** A path or query parameter whose percent-encoding does not decode to UTF-8: 400 invalid_parameter naming it. */
export const malformedEncoding = (param: string) => new ApiError('invalid_parameter', `${param} holds malformed percent-encoding: it is not UTF-8 text.`, { param });

/** The answer to a query with malformed percent-encoding; null if there is none. */
export function malformedQueryError(url: string): ApiError | null {
  const param = malformedQueryParameter(url);
  return param === null ? null : malformedEncoding(param);
}
