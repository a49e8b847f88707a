import { createHmac } from 'node:crypto';
import { verifyWebhookSignature } from '@flowsmith/client';
import { newWebhookSecret, signatureHeader, signingSecrets } from './signature';

describe('webhook signatures', () => {
  const secret = newWebhookSecret();
  const body = JSON.stringify({ id: 'evt_1', type: 'diagram.created', created_at: '2026-12-07T20:00:00Z', data: { object: { id: 'd' } } });
  const t = 1_800_000_000;

  it('signs "<t>.<body>" with HMAC-SHA256 keyed by the secret', () => {
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(signatureHeader(body, secret, t)).toBe(`t=${t},v1=${expected}`);
  });

  it("verifies with the client's helper, within the tolerance only", async () => {
    const header = signatureHeader(body, secret, t);
    await expect(verifyWebhookSignature(body, header, secret, { now: t + 10 })).resolves.toBe(true);
    await expect(verifyWebhookSignature(new TextEncoder().encode(body), header, secret, { now: t - 10 })).resolves.toBe(true);
    await expect(verifyWebhookSignature(body, header, secret, { now: t + 301 })).resolves.toBe(false);
    await expect(verifyWebhookSignature(body, header, secret, { now: t + 1000, toleranceSeconds: 3600 })).resolves.toBe(true);
  });

  it('refuses another body, another secret, another timestamp and malformed headers', async () => {
    const header = signatureHeader(body, secret, t);
    const now = { now: t };
    await expect(verifyWebhookSignature(body.replace('created', 'deleted'), header, secret, now)).resolves.toBe(false);
    await expect(verifyWebhookSignature(body, header, newWebhookSecret(), now)).resolves.toBe(false);
    await expect(verifyWebhookSignature(body, header.replace(`t=${t}`, `t=${t + 1}`), secret, { now: t + 1 })).resolves.toBe(false);
    for (const bad of [undefined, '', 'v1=abc', `t=${t}`, `t=${t},v1=zz`, `t=abc,v1=${'0'.repeat(64)}`]) {
      await expect(verifyWebhookSignature(body, bad, secret, now)).resolves.toBe(false);
    }
  });

  it('accepts any one of several v1 signatures (a secret being rotated)', async () => {
    const header = `${signatureHeader(body, secret, t)},v1=${'ab'.repeat(32)}`;
    await expect(verifyWebhookSignature(body, header.replace(/v1=([0-9a-f]+),v1=([0-9a-f]+)/, 'v1=$2,v1=$1'), secret, { now: t })).resolves.toBe(true);
  });

  it('signs with each secret given, the first first: a rotated secret beside the new one', async () => {
    const previous = newWebhookSecret();
    const header = signatureHeader(body, [secret, previous], t);
    const hmac = (key: string) => createHmac('sha256', key).update(`${t}.${body}`).digest('hex');
    expect(header).toBe(`t=${t},v1=${hmac(secret)},v1=${hmac(previous)}`);
    for (const key of [secret, previous]) await expect(verifyWebhookSignature(body, header, key, { now: t })).resolves.toBe(true);
    await expect(verifyWebhookSignature(body, header, newWebhookSecret(), { now: t })).resolves.toBe(false);
  });

  it('keeps a rotated secret signing only until it expires', () => {
    const now = Date.parse('2026-12-08T02:00:00Z');
    const endpoint = (previousSecret: string | null, expires: number | null) => ({ secret: 'whsec_new', previousSecret, previousSecretExpiresAt: expires === null ? null : new Date(expires) });
    expect(signingSecrets(endpoint('whsec_old', now + 1000), now)).toEqual(['whsec_new', 'whsec_old']);
    expect(signingSecrets(endpoint('whsec_old', now), now)).toEqual(['whsec_new']);
    expect(signingSecrets(endpoint('whsec_old', null), now)).toEqual(['whsec_new']);
    expect(signingSecrets(endpoint(null, now + 1000), now)).toEqual(['whsec_new']);
  });
});
