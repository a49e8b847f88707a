import { ApiError } from '../common/api-error';

/**
 * A diagram's ETag is its revision (docs/api.md, "Revisions"): `"r<n>"`. Strong, since a revision
 * never changes.
 */
export const revisionEtag = (revision: number) => `"r${revision}"`;

/**
 * The revisions an If-Match header accepts: its `"r<n>"` tags, or every revision for `*`
 * (undefined). A weak tag or a tag of no revision matches nothing (RFC 9110, 13.1.1: If-Match
 * compares strongly), so the PATCH is refused rather than applied blindly.
 */
export function revisionsOfIfMatch(header: string): readonly number[] | undefined {
  if (header.trim() === '*') return undefined;
  return header
    .split(',')
    .map((tag) => /^\s*"r([1-9]\d{0,9})"\s*$/.exec(tag)?.[1])
    .filter((number): number is string => number !== undefined)
    .map(Number);
}

export const stale = (current: number) =>
  new ApiError('precondition_failed', `The diagram is at revision ${current}; If-Match names another. Read it again (its ETag is ${revisionEtag(current)}) and retry.`, {
    headers: { ETag: revisionEtag(current) },
  });

/** The revisions list's cursor: opaque to clients, the number to continue below. */
export const encodeRevisionCursor = (number: number) => Buffer.from(JSON.stringify(['revisions', number])).toString('base64url');

export function decodeRevisionCursor(cursor: string): number {
  try {
    const [list, number] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (list === 'revisions' && Number.isSafeInteger(number) && (number as number) > 0) return number as number;
  } catch {
    /* the error below */
  }
  throw new ApiError('invalid_cursor', 'The cursor is invalid. Use the next_cursor of a previous page.', { param: 'cursor' });
}
