import { FlowsmithConnectionError, FlowsmithError } from './errors';
import { expandPath, ROUTES, RouteName, RouteSpec } from './routes';
import type { BinaryResponse, RequestOptions } from './types';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;
export type QueryValue = string | number | boolean | null | undefined;

export interface TransportOptions {
  apiKey?: string;
  baseUrl: string;
  fetch: FetchLike;
  maxRetries: number;
  userAgent: string;
  /** A `Retry-After` longer than this is not waited out: the error is thrown (429 quota_exhausted says "next month"). */
  maxRetryAfterMs: number;
  /** Exponential backoff (with jitter: half to all of the step), where the server gives no `Retry-After`. */
  baseBackoffMs: number;
  maxBackoffMs: number;
}

export interface Call {
  route: RouteName;
  params?: Record<string, string>;
  query?: Record<string, QueryValue>;
  body?: unknown;
  headers?: Record<string, string>;
  accept?: string;
  /** Public routes: no Authorization header even when the client has a key. */
  anonymous?: boolean;
  /** Statuses besides 2xx that are an answer, not an error (304, /readyz's 503). */
  answers?: number[];
  options?: RequestOptions;
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `attachment; filename="diagram-flowchart-3f2a1b.svg"` → the name. */
function filenameOf(disposition: string | null): string | undefined {
  if (!disposition) return undefined;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
  if (star) return decodeURIComponent(star[1]);
  return /filename\s*=\s*"([^"]*)"/i.exec(disposition)?.[1] ?? /filename\s*=\s*([^;]+)/i.exec(disposition)?.[1]?.trim();
}

/**
 * Sends one call with the client's retry policy:
 * - 429 rate_limited: always retried (the limiter refuses before anything runs), after `Retry-After`;
 * - 503: retried for routes where a retry cannot act twice (reads, deletes, idempotent POSTs);
 * - a network failure: likewise;
 * - anything else, and 429 quota_exhausted, is thrown at once as a FlowsmithError.
 * A POST that creates or spends carries one `Idempotency-Key` for all its attempts.
 */
export class Transport {
  constructor(readonly options: TransportOptions) {}

  url(path: string, query: Record<string, QueryValue> = {}): string {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== null) search.set(name, String(value));
    const qs = search.toString();
    return `${this.options.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  async send(call: Call): Promise<Response> {
    const spec: RouteSpec = ROUTES[call.route];
    const url = this.url(expandPath(spec.path, call.params), call.query);
    const headers: Record<string, string> = { accept: call.accept ?? 'application/json', 'user-agent': this.options.userAgent, ...call.headers };
    if (this.options.apiKey && !call.anonymous) headers.authorization = `Bearer ${this.options.apiKey}`;
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    if (spec.idempotent) headers['idempotency-key'] = call.options?.idempotencyKey ?? globalThis.crypto.randomUUID();
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const signal = call.options?.signal;
    const maxRetries = call.options?.maxRetries ?? this.options.maxRetries;
    const retrySafe = !!(spec.retrySafe || spec.idempotent);

    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await this.options.fetch(url, { method: spec.method, headers, body, signal });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (!retrySafe || attempt >= maxRetries) {
          throw new FlowsmithConnectionError(`${spec.method} ${url} failed: ${(error as Error)?.message ?? String(error)}`, spec.method, url, { cause: error });
        }
        await sleep(this.backoff(attempt), signal);
        continue;
      }
      if (response.ok || call.answers?.includes(response.status)) return response;
      const error = FlowsmithError.fromResponse(response.status, response.headers, await response.text());
      const delay = attempt < maxRetries ? this.retryDelay(error, attempt, retrySafe) : undefined;
      if (delay === undefined) throw error;
      await sleep(delay, signal);
    }
  }

  async json<T>(call: Call): Promise<T> {
    return (await (await this.send(call)).json()) as T;
  }

  async text(call: Call): Promise<string> {
    return (await this.send({ ...call, accept: call.accept ?? 'text/plain' })).text();
  }

  async binary(call: Call): Promise<BinaryResponse> {
    const response = await this.send({ ...call, accept: call.accept ?? 'image/png, image/svg+xml', answers: [304] });
    const notModified = response.status === 304;
    return {
      data: notModified ? new Uint8Array(0) : new Uint8Array(await response.arrayBuffer()),
      contentType: response.headers.get('content-type') ?? 'application/octet-stream',
      filename: filenameOf(response.headers.get('content-disposition')),
      etag: response.headers.get('etag') ?? undefined,
      notModified,
      requestId: response.headers.get('x-request-id') ?? '',
      headers: response.headers,
    };
  }

  /** How long to wait before retrying, or undefined when the error is final. */
  private retryDelay(error: FlowsmithError, attempt: number, retrySafe: boolean): number | undefined {
    const rateLimited = error.status === 429 && (error.code === 'rate_limited' || error.code === 'unexpected_response');
    const unavailable = error.status === 503 && retrySafe;
    if (!rateLimited && !unavailable) return undefined;
    if (error.retryAfter === undefined) return this.backoff(attempt);
    const ms = error.retryAfter * 1000;
    if (ms > this.options.maxRetryAfterMs) return undefined;
    // A little jitter on top, so clients told the same second do not all come back at once.
    return ms + Math.random() * 100;
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.options.maxBackoffMs, this.options.baseBackoffMs * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }
}
