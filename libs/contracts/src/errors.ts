/**
 * The error catalogue of docs/api.md: every code the API can answer with, its HTTP status and type.
 * Generation failures reuse the same codes in the Generation's `error` field.
 */
export const ERROR_CATALOG = {
  invalid_parameter: { status: 400, type: 'invalid_request_error' },
  missing_parameter: { status: 400, type: 'invalid_request_error' },
  invalid_json: { status: 400, type: 'invalid_request_error' },
  invalid_cursor: { status: 400, type: 'invalid_request_error' },
  parse_failed: { status: 400, type: 'invalid_request_error' },
  not_authenticated: { status: 401, type: 'authentication_error' },
  invalid_api_key: { status: 401, type: 'authentication_error' },
  insufficient_scope: { status: 403, type: 'permission_error' },
  /** A request signed in by the browser session's cookie without its CSRF token (apps/gateway/src/sessions). */
  csrf_failed: { status: 403, type: 'invalid_request_error' },
  plan_not_allowed: { status: 403, type: 'permission_error' },
  resource_not_found: { status: 404, type: 'not_found_error' },
  method_not_allowed: { status: 405, type: 'invalid_request_error' },
  idempotency_conflict: { status: 409, type: 'invalid_request_error' },
  folder_not_empty: { status: 409, type: 'invalid_request_error' },
  /** A PATCH whose If-Match names a revision the diagram has moved past (docs/api.md, "Revisions"). */
  precondition_failed: { status: 412, type: 'invalid_request_error' },
  source_too_large: { status: 413, type: 'invalid_request_error' },
  payload_too_large: { status: 413, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  output_too_large: { status: 422, type: 'invalid_request_error' },
  prompt_injection: { status: 422, type: 'invalid_request_error' },
  instruction_rejected: { status: 422, type: 'invalid_request_error' },
  rate_limited: { status: 429, type: 'rate_limit_error' },
  quota_exhausted: { status: 429, type: 'rate_limit_error' },
  internal_error: { status: 500, type: 'api_error' },
  upstream_error: { status: 502, type: 'api_error' },
  safety_blocked: { status: 502, type: 'api_error' },
  service_unavailable: { status: 503, type: 'api_error' },
  render_timeout: { status: 504, type: 'api_error' },
  upstream_timeout: { status: 504, type: 'api_error' },
  parse_failed_after_retry: { status: 422, type: 'invalid_request_error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOG;
export type ErrorType = (typeof ERROR_CATALOG)[ErrorCode]['type'];

export interface RateLimitInfo {
  limit: number;
  window_seconds: number;
  used: number;
  resets_at: string;
}

/** The `error` object of the envelope. */
export interface ErrorObject {
  type: ErrorType;
  code: ErrorCode;
  message: string;
  param?: string;
  rate_limit?: RateLimitInfo;
  hints?: { sign_up_url: string; docs_url: string };
}

export interface ErrorEnvelope {
  error: ErrorObject;
  request_id: string;
}
