import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import type { KeysetPosition, PageQuery } from '@flowsmith/database';
import { ApiError } from './api-error';

export class ListQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'Page size.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer between 1 and 100.' })
  @Min(1, { message: 'limit must be an integer between 1 and 100.' })
  @Max(100, { message: 'limit must be an integer between 1 and 100.' })
  limit?: number;

  @ApiPropertyOptional({ description: 'The `next_cursor` of the previous page.' })
  @IsOptional()
  @IsString({ message: 'cursor must be a string.' })
  cursor?: string;
}

export interface ListResponse<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

/**
 * Cursors are opaque to clients: base64url of the list's name and the last row's position, so a
 * cursor from one list is refused by another.
 */
export function encodeCursor(list: string, position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([list, position.createdAt.getTime(), position.id])).toString('base64url');
}

/** Lists whose rows have UUID ids (a Postgres uuid column rejects anything else); the others use word ids (gen_…, share ids). */
const UUID_ID_LISTS = new Set(['diagrams', 'folders', 'keys']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WORD_ID = /^[A-Za-z0-9_]{1,64}$/;
/** The range of a valid Date, in milliseconds either side of the epoch. */
const MAX_DATE_MS = 8.64e15;

export function decodeCursor(list: string, cursor: string): KeysetPosition {
  const invalid = () => new ApiError('invalid_cursor', 'The cursor is invalid. Use the next_cursor of a previous page.', { param: 'cursor' });
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(decoded) || decoded.length !== 3) throw invalid();
  const [name, millis, id] = decoded;
  // Anything the database would refuse (an invalid Date, a non-UUID for a uuid column) is the client's bad cursor, not a 500.
  if (name !== list || !Number.isSafeInteger(millis) || Math.abs(millis) > MAX_DATE_MS || typeof id !== 'string' || !(UUID_ID_LISTS.has(list) ? UUID : WORD_ID).test(id)) throw invalid();
  return { createdAt: new Date(millis), id };
}

export function pageQuery(list: string, query: ListQueryDto): PageQuery {
  return { limit: query.limit ?? 20, after: query.cursor ? decodeCursor(list, query.cursor) : undefined };
}

/** Builds the list envelope from limit + 1 rows. */
export function listResponse<Row extends { createdAt: Date; id: string }, T>(
  list: string,
  rows: Row[],
  limit: number,
  present: (row: Row) => T,
): ListResponse<T> {
  const page = rows.slice(0, limit);
  const hasMore = rows.length > limit;
  const last = page[page.length - 1];
  return {
    object: 'list',
    data: page.map(present),
    has_more: hasMore,
    next_cursor: hasMore && last ? encodeCursor(list, last) : null,
  };
}

/** docs/api.md timestamps: ISO 8601 UTC to the second. */
export function timestamp(date: Date): string;
export function timestamp(date: Date | null): string | null;
export function timestamp(date: Date | null): string | null {
  return date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : null;
}
