import { createHmac, randomBytes } from 'node:crypto';

/** The header every delivery carries (docs/webhooks.md, "Verifying signatures"). */
export const SIGNATURE_HEADER = 'Flowsmith-Signature';

/** A new endpoint's signing secret: `whsec_` and 32 random bytes, base64url. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret>`. The timestamp is
 * signed with the body, so a captured delivery cannot be replayed later under a fresh one;
 * receivers verify with libs/client's verifyWebhookSignature.
 */
export function signatureHeader(body: string, secret: string, timestampSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${v1}`;
}
