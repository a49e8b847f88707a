import { ERROR_CATALOG, ErrorCode, ErrorObject, RateLimitInfo } from '@flowsmith/contracts';

export interface ApiErrorOptions {
  param?: string;
  headers?: Record<string, string>;
  rateLimit?: RateLimitInfo;
  /** Adds the sign-up and docs hints of an anonymous-caller denial. */
  anonymousHint?: boolean;
}

/** The one exception the gateway throws on purpose. The filter writes it as docs/api.md's envelope. */
export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: ApiErrorOptions = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = ERROR_CATALOG[code].status;
  }

  toErrorObject(hints?: { sign_up_url: string; docs_url: string }): ErrorObject {
    return {
      type: ERROR_CATALOG[this.code].type,
      code: this.code,
      message: this.message,
      ...(this.options.param !== undefined ? { param: this.options.param } : {}),
      ...(this.options.rateLimit ? { rate_limit: this.options.rateLimit } : {}),
      ...(this.options.anonymousHint && hints ? { hints } : {}),
    };
  }
}

export const notFound = (resource: string, param?: string) =>
  new ApiError('resource_not_found', `${resource} not found.`, param ? { param } : {});

export const invalidParameter = (param: string, message: string) => new ApiError('invalid_parameter', message, { param });

/** Redis did not answer a call that the request needs (a rate limit, an in-flight slot, a queue). */
export const redisUnavailable = () =>
  new ApiError('service_unavailable', 'The service is temporarily unavailable: Redis cannot be reached. Retry shortly.', { headers: { 'Retry-After': '5' } });
