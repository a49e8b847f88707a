import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 40 base62 characters: 34 random (about 202 bits of entropy) and a 6-character checksum. */
const SECRET_LENGTH = 40;
const CHECKSUM_LENGTH = 6;
/** `fs_live_` or `fs_test_`, then at least 32 base62 characters (docs/api.md). */
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

/** A CRC-32 of everything before it, in 6 base62 characters (62^6 > 2^32). */
function checksumOf(body: string): string {
  let value = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/**
 * Whether a string is a key as Flowsmith mints them: the prefix, 34 random characters and their
 * checksum. Secret scanners use it to tell a real leaked key from a look-alike without asking the
 * server (GitHub's tokens do the same). Keys are still authenticated only by their hash.
 */
export function hasValidChecksum(secret: string): boolean {
  if (!API_KEY_PATTERN.test(secret) || secret.length !== 'fs_live_'.length + SECRET_LENGTH) return false;
  const body = secret.slice(0, -CHECKSUM_LENGTH);
  return checksumOf(body) === secret.slice(-CHECKSUM_LENGTH);
}

export interface MintedSecret {
  secret: string;
  hash: string;
  prefix: string;
}

/** A new secret, its SHA-256 and the prefix a person may see. Only the hash is ever stored. */
export function mintSecret(keyPrefix: 'fs_live_' | 'fs_test_'): MintedSecret {
  const body = keyPrefix + randomBase62(SECRET_LENGTH - CHECKSUM_LENGTH);
  const secret = body + checksumOf(body);
  return { secret, hash: hashSecret(secret), prefix: secret.slice(0, keyPrefix.length + 4) };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares a presented credential with the expected one in constant time (operator tokens and passwords). */
export function sameSecret(given: string, expected: string): boolean {
  const left = Buffer.from(given, 'utf8');
  const right = Buffer.from(expected, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Compares two hex digests in constant time. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
