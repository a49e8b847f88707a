import { lookup as dnsLookup } from 'node:dns/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, Socket } from 'node:net';
import { blockedAddressReason } from './address-policy';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Name resolution, injectable so tests can make a name resolve anywhere without a DNS server. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface AddressPolicy {
  /** WEBHOOK_ALLOW_PRIVATE_URLS: any address may be reached (tests, receivers on a private network). */
  allowPrivate: boolean;
  resolve: Resolver;
}

/** A URL a webhook may not be sent to; its message says why, for the API's 400 and the delivery log. */
export class UnsafeWebhookUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeWebhookUrlError';
  }
}

/**
 * Resolves `hostname` once and checks every address it resolves to: one address of a name that
 * is blocked refuses the name (its owner controls which one a client picks). The first address
 * is the one to connect to, so what was checked is what is reached (no second lookup a DNS
 * rebinding could answer differently).
 */
export async function resolveWebhookHost(hostname: string, policy: AddressPolicy): Promise<ResolvedAddress> {
  const literal = hostname.replace(/^\[|\]$/g, '');
  let addresses: ResolvedAddress[];
  if (isIP(literal)) addresses = [{ address: literal, family: isIP(literal) }];
  else {
    addresses = await policy.resolve(literal).catch((error: NodeJS.ErrnoException) => {
      throw new UnsafeWebhookUrlError(`${literal} does not resolve (${error.code ?? error.message})`);
    });
  }
  if (!addresses.length) throw new UnsafeWebhookUrlError(`${literal} does not resolve`);
  if (!policy.allowPrivate) {
    for (const { address } of addresses) {
      const reason = blockedAddressReason(address);
      if (reason) throw new UnsafeWebhookUrlError(literal === address ? `${address} is ${reason}` : `${literal} resolves to ${address}, ${reason}`);
    }
  }
  return addresses[0];
}

/**
 * Checks a webhook URL as the API takes it: http or https, no credentials, a host that resolves
 * only to addresses the policy allows. Throws UnsafeWebhookUrlError.
 */
export async function checkWebhookUrl(raw: string, policy: AddressPolicy): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeWebhookUrlError('url must be an absolute http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UnsafeWebhookUrlError('url must be an http or https URL');
  if (url.username || url.password) throw new UnsafeWebhookUrlError('url may not carry credentials');
  if (!url.hostname) throw new UnsafeWebhookUrlError('url must name a host');
  await resolveWebhookHost(url.hostname, policy);
  return url;
}

/** At most this much of a response is read; the rest is dropped with the connection. */
const MAX_RESPONSE_BYTES = 4096;

export interface PostOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  policy: AddressPolicy;
}

/** How an attempt ended: a 2xx answer is success; anything else names what went wrong. */
export interface PostResult {
  ok: boolean;
  responseStatus: number | null;
  error: string | null;
}

/**
 * POSTs `body` to `url` once: resolved and checked once (resolveWebhookHost), connected to that
 * address (the request's own lookup answers with it), the peer checked again once connected;
 * redirects are not followed, the whole attempt is bounded by `timeoutMs`, and at most a few KB of
 * the answer are read.
 */
export async function postWebhook(url: string, body: string, options: PostOptions): Promise<PostResult> {
  let target: URL;
  let resolved: ResolvedAddress;
  try {
    target = new URL(url);
    resolved = await resolveWebhookHost(target.hostname, options.policy);
  } catch (error) {
    return { ok: false, responseStatus: null, error: (error as Error).message };
  }
  const transport = target.protocol === 'https:' ? https : http;
  const hostname = target.hostname.replace(/^\[|\]$/g, '');
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(result);
    };
    const request = transport.request({
      method: 'POST',
      protocol: target.protocol,
      hostname,
      port: target.port || undefined,
      path: `${target.pathname}${target.search}`,
      headers: { ...options.headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Flowsmith-Webhooks/1' },
      agent: false,
      servername: isIP(hostname) ? undefined : hostname,
      lookup: (_host, lookupOptions, callback) => {
        // Node asks for every address when it may try several (autoSelectFamily); either way, only the checked one.
        if ((lookupOptions as { all?: boolean }).all) (callback as unknown as (error: null, addresses: ResolvedAddress[]) => void)(null, [resolved]);
        else callback(null, resolved.address, resolved.family);
      },
    });
    const timer = setTimeout(() => finish({ ok: false, responseStatus: null, error: `no answer within ${options.timeoutMs} ms` }), options.timeoutMs);
    request.on('socket', (socket: Socket) => {
      socket.once('connect', () => {
        const peer = socket.remoteAddress ?? '';
        const reason = options.policy.allowPrivate ? null : blockedAddressReason(peer);
        if (reason) finish({ ok: false, responseStatus: null, error: `connected to ${peer}, ${reason}` });
      });
    });
    request.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, responseStatus: null, error: error.code ? `${error.code}: ${error.message}` : error.message }));
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      let read = 0;
      const done = () =>
        finish(
          status >= 200 && status < 300
            ? { ok: true, responseStatus: status, error: null }
            : { ok: false, responseStatus: status, error: status >= 300 && status < 400 ? `HTTP ${status}: redirects are not followed` : `HTTP ${status}` },
        );
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read >= MAX_RESPONSE_BYTES) done();
      });
      response.on('end', done);
      response.on('error', done);
    });
    request.end(body);
  });
}
