
/** docs/api.md: a source is at most 100 KB of UTF-8. */
export const MAX_SOURCE_BYTES = 100 * 1024;
/** docs/api.md: a request body is at most 1 MB. */
export const MAX_BODY_BYTES = 1024 * 1024;
