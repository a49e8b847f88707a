// A loopback round-robin HTTP proxy for bench/load: the scaled run puts two gateways behind it.
//
//   node bench/load/proxy.mjs <port> <upstream-url> [<upstream-url> ...]
//
// node:http only (no dependencies): one keep-alive agent per upstream, so the proxy holds warm
// connections to every gateway instead of opening one per request; each request goes to the next
// upstream in turn. Hop-by-hop headers are dropped both ways and X-Forwarded-For is appended, as a
// real proxy would (the gateways behind it run with TRUST_PROXY_HOPS=1). It runs as its own
// process so that its CPU cost shows up on its own line in the bench's CPU table.
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function endToEnd(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

/** Starts the proxy; resolves to the listening server. */
export function startProxy(port, upstreamUrls, host = '127.0.0.1') {
  const upstreams = upstreamUrls.map((raw) => {
    const url = new URL(raw);
    return { hostname: url.hostname, port: Number(url.port), agent: new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 512 }) };
  });
  let next = 0;
  const server = http.createServer((request, response) => {
    const upstream = upstreams[next++ % upstreams.length];
    const headers = endToEnd(request.headers);
    const remote = request.socket.remoteAddress ?? '127.0.0.1';
    headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${remote}` : remote;
    const forward = http.request({ hostname: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers, agent: upstream.agent }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      answer.pipe(response);
    });
    forward.on('error', (error) => {
      if (response.headersSent) return response.destroy(error);
      response.writeHead(502, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { type: 'api_error', code: 'bad_gateway', message: `proxy: ${error.message}` } }));
    });
    request.pipe(forward);
  });
  // Longer than any client's idle keep-alive, so the proxy is never the side that drops a connection mid-run.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [port, ...upstreams] = process.argv.slice(2);
  if (!port || upstreams.length === 0) {
    console.error('usage: node bench/load/proxy.mjs <port> <upstream-url> [<upstream-url> ...]');
    process.exit(2);
  }
  const server = await startProxy(Number(port), upstreams);
  console.error(`proxy on 127.0.0.1:${port} → ${upstreams.join(', ')}`);
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
