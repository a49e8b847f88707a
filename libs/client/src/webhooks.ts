/**
 * Verifying the deliveries of Flowsmith's webhooks (docs/webhooks.md). Web Crypto, not node:crypto,
 * so the package stays platform-neutral: it runs in Node 20+, Deno, Bun and edge runtimes.
 */

export interface VerifyWebhookOptions {
  /** How old (or how far ahead) the signed timestamp may be, in seconds; 300 by default. */
  toleranceSeconds?: number;
  /** The current time in Unix seconds (tests); the clock by default. */
  now?: number;
}

const encoder = new TextEncoder();

function hexBytes(hex: string): Uint8Array<ArrayBuffer> | null {
  if (!/^(?:[0-9a-f]{2})+$/i.test(hex)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/**
 * True when `header` (the `Flowsmith-Signature` header: `t=<unix seconds>,v1=<hex>`) signs
 * `rawBody` with `secret` and its timestamp is within `toleranceSeconds` of now. Pass the body
 * exactly as received, before any JSON parsing. The comparison is Web Crypto's HMAC verify, which
 * takes the same time wherever the signatures differ.
 */
export async function verifyWebhookSignature(rawBody: string | Uint8Array, header: string | null | undefined, secret: string, options: VerifyWebhookOptions = {}): Promise<boolean> {
  if (!header || !secret) return false;
  let timestamp: string | undefined;
  const signatures: Uint8Array<ArrayBuffer>[] = [];
  for (const part of header.split(',')) {
    const [key, value = ''] = part.trim().split('=', 2);
    if (key === 't') timestamp = value;
    else if (key === 'v1') {
      const bytes = hexBytes(value);
      if (bytes) signatures.push(bytes);
    }
  }
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !signatures.length) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300)) return false;
  const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;
  const prefix = encoder.encode(`${timestamp}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  for (const signature of signatures) if (await crypto.subtle.verify('HMAC', key, signature, signed)) return true;
  return false;
}
