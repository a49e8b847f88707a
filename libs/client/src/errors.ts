import type { ErrorCode, ErrorType, Generation, RateLimitInfo } from './types';

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/**
 * An error answer of the API, from its envelope
 * `{"error": {type, code, message, param?, rate_limit?, hints?}, "request_id"}`.
 * A body that is not the envelope (a proxy's HTML page, say) becomes `api_error`/`unexpected_response`.
 */
export class FlowsmithError extends Error {
  override readonly name = 'FlowsmithError';
  readonly status: number;
  readonly type: ErrorType | (string & {});
  readonly code: ErrorCode | (string & {});
  /** The offending field or query parameter, where there is one. */
  readonly param?: string;
  /** `req_<16 hex>`: from the body, else the `X-Request-Id` header ('' when neither is there). */
  readonly requestId: string;
  /** Seconds, from `Retry-After` (429 and 503). */
  readonly retryAfter?: number;
  /** On 429 rate_limited. */
  readonly rateLimit?: RateLimitInfo;
  /** On denials of an anonymous caller. */
  readonly hints?: { sign_up_url: string; docs_url: string };
  readonly headers: Headers;

  constructor(init: {
    status: number;
    type: string;
    code: string;
    message: string;
    param?: string;
    requestId: string;
    retryAfter?: number;
    rateLimit?: RateLimitInfo;
    hints?: { sign_up_url: string; docs_url: string };
    headers: Headers;
  }) {
    super(init.message);
    this.status = init.status;
    this.type = init.type;
    this.code = init.code;
    this.param = init.param;
    this.requestId = init.requestId;
    this.retryAfter = init.retryAfter;
    this.rateLimit = init.rateLimit;
    this.hints = init.hints;
    this.headers = init.headers;
  }

  /** Builds the error from a non-2xx response's status, headers and body text. */
  static fromResponse(status: number, headers: Headers, text: string): FlowsmithError {
    const requestIdHeader = headers.get('x-request-id') ?? '';
    const retryAfter = parseRetryAfter(headers.get('retry-after'));
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const envelope = body as { error?: Record<string, unknown>; request_id?: unknown } | undefined;
    const error = envelope?.error;
    if (!error || typeof error.type !== 'string' || typeof error.code !== 'string') {
      return new FlowsmithError({
        status,
        type: 'api_error',
        code: 'unexpected_response',
        message: `Unexpected ${status} response${text ? `: ${text.slice(0, 200)}` : '.'}`,
        requestId: requestIdHeader,
        retryAfter,
        headers,
      });
    }
    return new FlowsmithError({
      status,
      type: error.type,
      code: error.code,
      message: typeof error.message === 'string' ? error.message : `${error.code} (${status})`,
      param: typeof error.param === 'string' ? error.param : undefined,
      requestId: typeof envelope.request_id === 'string' ? envelope.request_id : requestIdHeader,
      retryAfter,
      rateLimit: error.rate_limit as RateLimitInfo | undefined,
      hints: error.hints as FlowsmithError['hints'],
      headers,
    });
  }
}

/** The request never got an answer: connection refused or reset, DNS, TLS. `cause` is fetch's error. */
export class FlowsmithConnectionError extends Error {
  override readonly name = 'FlowsmithConnectionError';

  constructor(
    message: string,
    readonly method: string,
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `waitForGeneration` gave up before the generation finished; `generation` is the last one seen. */
export class FlowsmithTimeoutError extends Error {
  override readonly name = 'FlowsmithTimeoutError';

  constructor(
    message: string,
    readonly generation: Generation,
  ) {
    super(message);
  }
}
