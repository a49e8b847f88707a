import { createHmac, randomBytes } from 'node:crypto';

/** The header every delivery carries (docs/webhooks.md, "Verifying signatures"). */
export const SIGNATURE_HEADER = 'Flowsmith-Signature';

/** A new endpoint's signing secret: `whsec_` and 32 random bytes, base64url. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret>`, with one `v1` per
 * secret (the current one first; a rotated secret's too until it expires). The timestamp is
 * signed with the body, so a captured delivery cannot be replayed later under a fresh one;
 * receivers verify with libs/client's verifyWebhookSignature, which accepts any `v1` that matches.
 */
export function signatureHeader(body: string, secrets: string | readonly string[], timestampSeconds: number): string {
  const v1 = (typeof secrets === 'string' ? [secrets] : secrets).map((secret) => `v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`);
  return [`t=${timestampSeconds}`, ...v1].join(',');
}

type RotatedEndpoint = { secret: string; previousSecret: string | null; previousSecretExpiresAt: Date | null };

/** Until when the secret replaced by the last rotation still signs (null: it no longer does). */
export function previousSecretExpiry(endpoint: RotatedEndpoint, now: number): Date | null {
  return endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt.getTime() > now ? endpoint.previousSecretExpiresAt : null;
}

/** The secrets a delivery is signed with at `now`: the endpoint's, then the rotated one while it lasts. */
export function signingSecrets(endpoint: RotatedEndpoint, now: number): string[] {
  return previousSecretExpiry(endpoint, now) && endpoint.previousSecret ? [endpoint.secret, endpoint.previousSecret] : [endpoint.secret];
}
