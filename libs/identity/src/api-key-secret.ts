import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 40 base62 characters: about 238 bits of entropy. */
const SECRET_LENGTH = 40;
/** `fs_live_` or `fs_test_`, then at least 32 base62 characters (API.md). */
export const API_KEY_PATTERN = /^fs_(live|test)_[0-9A-Za-z]{32,128}$/;

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 62 * 4: rejecting the rest keeps every character equally likely.
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

export interface MintedSecret {
  secret: string;
  hash: string;
  prefix: string;
}

/** A new secret, its SHA-256 and the prefix a person may see. Only the hash is ever stored. */
export function mintSecret(keyPrefix: 'fs_live_' | 'fs_test_'): MintedSecret {
  const secret = keyPrefix + randomBase62(SECRET_LENGTH);
  return { secret, hash: hashSecret(secret), prefix: secret.slice(0, keyPrefix.length + 4) };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares two hex digests in constant time. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
