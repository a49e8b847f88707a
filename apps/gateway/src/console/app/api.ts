/// <reference lib="dom" />
/**
 * The console's only way to the server: the public /api/v1 routes, signed in by the session cookie
 * (sent by the browser, never readable here) and, on writes, the session's CSRF token, which lives
 * in this module's memory alone.
 */

export interface ErrorBody {
  error: { type: string; code: string; message: string; param?: string };
  request_id: string;
}

/** An answer of the API that is not a success: its envelope's message is what the console shows. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param?: string,
    readonly requestId?: string,
  ) {
    super(message);
  }
}

export interface List<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

let csrfToken: string | null = null;
/** Called when the API says the session is gone (401), so the console can ask to sign in again. */
let onSignedOut: () => void = () => undefined;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (WRITES.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiFailure(0, 'network_error', 'The server cannot be reached. Check your connection and try again.');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const envelope = parsed as ErrorBody | undefined;
    const failure = envelope?.error
      ? new ApiFailure(response.status, envelope.error.code, envelope.error.message, envelope.error.param, envelope.request_id)
      : new ApiFailure(response.status, 'http_error', `The server answered ${response.status} ${response.statusText}.`);
    if (response.status === 401 && path !== '/sessions') onSignedOut();
    throw failure;
  }
  return parsed as T;
}

/** Every page of a list, up to `max` items (the console filters and sorts what it has). */
export async function listAll<T>(path: string, max = 1000): Promise<T[]> {
  return (await listUpTo<T>(path, max)).items;
}

/** Up to `max` items of a list, newest first, and whether that was all of them. */
export async function listUpTo<T>(path: string, max = 1000): Promise<{ items: T[]; complete: boolean }> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const page: List<T> = await api<List<T>>('GET', `${path}${separator}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.data);
    cursor = page.has_more ? page.next_cursor : null;
  } while (cursor && items.length < max);
  return { items, complete: cursor === null };
}

// ---- The API's resources, as far as the console reads them (docs/api.md "Resources") ----------

export interface Session {
  object: 'session';
  csrf_token: string;
  expires_at: string;
  key: { id: string; name: string; scopes: string[]; plan: string };
  user: { key_id: string; user_id: string; organization_id: string | null; plan: string; scopes: string[] };
}

export interface Diagram {
  id: string;
  name: string;
  source: string;
  source_format: string;
  diagram_type: string;
  folder_id: string | null;
  updated_at: string;
  created_at: string;
}

export interface Folder {
  id: string;
  name: string;
  parent_id: string | null;
}

export interface Share {
  id: string;
  url: string;
  png_url: string;
  theme: string;
  diagram_id: string | null;
  created_at: string;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  secret?: string | null;
}

export interface Bucket {
  used: number;
  limit: number | null;
  resets_at?: string;
}

export interface Usage {
  plan: string;
  exports: Bucket;
  ai: Bucket & { enabled: boolean };
  shares: Bucket;
}

export interface Theme {
  id: string;
  name: string;
}

let themeList: Promise<Theme[]> | undefined;

/** GET /v1/themes, once: the themes every rendering route accepts (none when it fails: the routes' defaults apply). */
export function themes(): Promise<Theme[]> {
  themeList ??= api<List<Theme>>('GET', '/themes').then((list) => list.data, () => []);
  return themeList;
}

export interface Render {
  diagram_type: string;
  svg: string;
  meta: { width: number; height: number; watermarked: boolean };
}
