import { API_KEY_PATTERN, hasValidChecksum, hashSecret, mintSecret, sameHash, sameSecret } from './api-key-secret';

describe('API key secrets', () => {
  it('mints fs_live_/fs_test_ keys of 40 base62 characters whose checksum scanners can verify', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const minted = mintSecret(i % 2 ? 'fs_live_' : 'fs_test_');
      expect(minted.secret).toMatch(/^fs_(live|test)_[0-9A-Za-z]{40}$/);
      expect(API_KEY_PATTERN.test(minted.secret)).toBe(true);
      expect(hasValidChecksum(minted.secret)).toBe(true);
      expect(minted.hash).toBe(hashSecret(minted.secret));
      expect(minted.prefix).toBe(minted.secret.slice(0, 12));
      seen.add(minted.secret);
    }
    expect(seen.size).toBe(500);
  });

  it('tells a look-alike or a mistyped key from a minted one', () => {
    const { secret } = mintSecret('fs_live_');
    const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === 'a' ? 'b' : 'a') + text.slice(at + 1);
    for (const at of [8, 20, secret.length - 7, secret.length - 1]) expect(hasValidChecksum(flip(secret, at))).toBe(false);
    expect(hasValidChecksum('fs_live_' + 'A'.repeat(40))).toBe(false);
    expect(hasValidChecksum(secret.replace('fs_live_', 'fs_test_'))).toBe(false);
    expect(hasValidChecksum(`${secret}x`)).toBe(false);
  });

  it('compares hashes in constant time and only equal ones as equal', () => {
    const a = hashSecret('fs_live_one');
    expect(sameHash(a, hashSecret('fs_live_one'))).toBe(true);
    expect(sameHash(a, hashSecret('fs_live_two'))).toBe(false);
    expect(sameHash(a, 'abcd')).toBe(false);
    expect(sameSecret('Bearer s3cret-token', 'Bearer s3cret-token')).toBe(true);
    expect(sameSecret('Bearer s3cret-tokeN', 'Bearer s3cret-token')).toBe(false);
    expect(sameSecret('', 'Bearer s3cret-token')).toBe(false);
    expect(sameSecret('é', 'e')).toBe(false);
  });
});
