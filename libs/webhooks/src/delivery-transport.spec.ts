import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AddressPolicy, checkWebhookUrl, postWebhook, Resolver, UnsafeWebhookUrlError } from './delivery-transport';

/** A resolver that answers from a table, as a DNS server an attacker controls would. */
function resolverOf(table: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    calls.push(hostname);
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

describe('checkWebhookUrl', () => {
  const policy: AddressPolicy = { allowPrivate: false, resolve: resolverOf({ 'internal.example': ['10.0.0.7'], 'mixed.example': ['93.184.216.34', '192.168.0.2'], 'public.example': ['93.184.216.34'] }) };
  const refusal = (url: string) => checkWebhookUrl(url, policy).then(() => null, (error: Error) => (error instanceof UnsafeWebhookUrlError ? error.message : `unexpected ${error.message}`));

  it('refuses private and special addresses, by literal or by name', async () => {
    expect(await refusal('http://127.0.0.1:8080/hook')).toBe('127.0.0.1 is a loopback address');
    expect(await refusal('http://[::1]/hook')).toBe('::1 is a loopback address');
    expect(await refusal('http://169.254.169.254/latest/meta-data')).toBe('169.254.169.254 is a cloud metadata address');
    expect(await refusal('https://internal.example/hook')).toBe('internal.example resolves to 10.0.0.7, a private address');
    expect(await refusal('https://mixed.example/hook')).toBe('mixed.example resolves to 192.168.0.2, a private address');
    expect(await refusal('https://nowhere.example/hook')).toBe('nowhere.example does not resolve (ENOTFOUND)');
  });

  it('refuses other schemes, credentials and non-URLs, and takes public https and http', async () => {
    expect(await refusal('ftp://public.example/')).toBe('url must be an http or https URL');
    expect(await refusal('https://user:pw@public.example/')).toBe('url may not carry credentials');
    expect(await refusal('not a url')).toBe('url must be an absolute http or https URL');
    expect(await refusal('https://public.example/hook?x=1')).toBeNull();
    expect(await refusal('http://93.184.216.34/hook')).toBeNull();
  });

  it('lets anything through when private URLs are allowed', async () => {
    await expect(checkWebhookUrl('http://127.0.0.1/', { ...policy, allowPrivate: true })).resolves.toBeInstanceOf(URL);
  });
});

describe('postWebhook', () => {
  let server: Server;
  let port: number;
  const received: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        received.push(body);
        if (request.url === '/redirect') response.writeHead(302, { location: '/ok' }).end();
        else if (request.url === '/slow') setTimeout(() => response.end('late'), 2000);
        else if (request.url === '/big') response.end('x'.repeat(1_000_000));
        else response.writeHead(request.url === '/fail' ? 503 : 204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });

  it('connects to the address it checked, never resolving twice (DNS rebinding)', async () => {
    // First answer: loopback (allowed here, as in the tests); a second lookup would get a public address that does not listen.
    let answers = 0;
    const resolve: Resolver = async () => [{ address: answers++ === 0 ? '127.0.0.1' : '93.184.216.34', family: 4 }];
    const result = await postWebhook(`http://hooks.example:${port}/ok`, '{"a":1}', { headers: {}, timeoutMs: 3000, policy: { allowPrivate: true, resolve } });
    expect(result).toEqual({ ok: true, responseStatus: 204, error: null });
    expect(answers).toBe(1);
    expect(received).toContain('{"a":1}');
  });

  it('refuses at delivery time a name that now resolves to a blocked address, without connecting', async () => {
    const before = received.length;
    const resolve = resolverOf({ 'rebound.example': ['10.0.0.1'] });
    const result = await postWebhook(`http://rebound.example:${port}/ok`, '{}', { headers: {}, timeoutMs: 3000, policy: { allowPrivate: false, resolve } });
    expect(result).toEqual({ ok: false, responseStatus: null, error: 'rebound.example resolves to 10.0.0.1, a private address' });
    const literal = await postWebhook(`http://127.0.0.1:${port}/ok`, '{}', { headers: {}, timeoutMs: 3000, policy: { allowPrivate: false, resolve } });
    expect(literal.error).toBe('127.0.0.1 is a loopback address');
    expect(received.length).toBe(before);
  });

  it('does not follow redirects, fails non-2xx answers, times out, and reads little of a large answer', async () => {
    const options = { headers: {}, timeoutMs: 500, policy: { allowPrivate: true, resolve: resolverOf({}) } };
    expect(await postWebhook(`http://127.0.0.1:${port}/redirect`, '{}', options)).toEqual({ ok: false, responseStatus: 302, error: 'HTTP 302: redirects are not followed' });
    expect(await postWebhook(`http://127.0.0.1:${port}/fail`, '{}', options)).toEqual({ ok: false, responseStatus: 503, error: 'HTTP 503' });
    expect(await postWebhook(`http://127.0.0.1:${port}/slow`, '{}', options)).toEqual({ ok: false, responseStatus: null, error: 'no answer within 500 ms' });
    expect(await postWebhook(`http://127.0.0.1:${port}/big`, '{}', options)).toEqual({ ok: true, responseStatus: 200, error: null });
  });
});
