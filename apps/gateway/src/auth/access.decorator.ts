import { SetMetadata } from '@nestjs/common';
import type { Scope } from '@flowsmith/contracts';

export const ACCESS_METADATA = 'flowsmith:access';

/** The per-IP buckets of callers without a key. */
export type AnonymousBucket = 'anonymous' | 'embed' | 'compat';

/**
 * Who may call a route. Every route of the gateway declares one; the gateway refuses to boot
 * with a route that does not.
 * - `scope`: the scope a key must hold.
 * - `anonymous`: callers without a key are let in and limited per IP in this bucket (`compat`: the
 *   Kroki and mermaid.ink routes, RATE_LIMIT_KROKI).
 * - `ai`: the route also spends the per-key AI bucket.
 * - `ignoreKey`: the route treats every caller as anonymous (public embeds).
 * - `anyKey`: any valid key, whatever its scopes (a key may always learn about itself).
 *   `bearerOnly`: only from the Authorization header, never the browser session's cookie (`/mcp`, for agents, not pages).
 * - `operations`: health and metrics: no auth, no rate limit.
 * - `documentation`: the API's own docs (OpenAPI document, docs UI) and pages: public, no auth,
 *   no rate limit, and left out of the OpenAPI document.
 */
export type AccessPolicy =
  | { scope: Scope; anonymous?: AnonymousBucket; ai?: boolean }
  | { anyKey: true; bearerOnly?: true }
  | { public: true; anonymous: AnonymousBucket; ignoreKey?: boolean }
  | { operations: true }
  | { public: true; documentation: true };

export const Access = (policy: AccessPolicy) => SetMetadata(ACCESS_METADATA, policy);
export const RequireScope = (scope: Scope, extra: { ai?: boolean } = {}) => Access({ scope, ...extra });
