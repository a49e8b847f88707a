import { createServer, request, Server } from 'node:http';
import { AddressInfo, connect } from 'node:net';
import { limitConnections, spareConnectionsBeingAnswered } from './connection-limits';

/** A bare node:http server (no gateway, no infrastructure) with an idle timeout of 300 ms. */
async function server(handler: (answer: () => void) => void, setUp: (server: Server) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const http = createServer((_, response) => handler(() => response.end('ok')));
  http.timeout = 300;
  setUp(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    port: (http.address() as AddressInfo).port,
    close: () => new Promise((resolve) => {
      http.closeAllConnections();
      http.close(() => resolve());
    }),
  };
}

function get(port: number): Promise<string> {
  return new Promise((resolve) => {
    request({ host: '127.0.0.1', port, agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk));
      response.on('end', () => resolve(body));
    })
      .on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
      .end();
  });
}

/** How long the server keeps a connection on which the client sends nothing. */
function heldFor(port: number): Promise<number> {
  const started = performance.now();
  const socket = connect(port, '127.0.0.1').resume();
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.once('close', () => resolve(performance.now() - started)));
}

describe('spareConnectionsBeingAnswered', () => {
  it('lets an answer that takes longer than the idle timeout arrive (Node alone resets it)', async () => {
    const slowAnswer = (answer: () => void) => setTimeout(answer, 900);
    const plain = await server(slowAnswer, () => undefined);
    const spared = await server(slowAnswer, spareConnectionsBeingAnswered);
    try {
      expect(await get(plain.port)).toBe('ECONNRESET');
      expect(await get(spared.port)).toBe('ok');
    } finally {
      await Promise.all([plain.close(), spared.close()]);
    }
  });

  it('still closes a connection on which the client sends nothing', async () => {
    const spared = await server((answer) => answer(), spareConnectionsBeingAnswered);
    try {
      const held = await heldFor(spared.port);
      expect(held).toBeGreaterThan(200);
      expect(held).toBeLessThan(5000);
    } finally {
      await spared.close();
    }
  });
});

describe('limitConnections', () => {
  it('answers connections over the per-address cap with 429 in the envelope and closes them', async () => {
    const capped = await server((answer) => answer(), (http) => {
      http.timeout = 0;
      limitConnections(http, { perAddress: 2, total: 0 });
    });
    const sockets = [connect(capped.port, '127.0.0.1'), connect(capped.port, '127.0.0.1')];
    try {
      for (const socket of sockets) socket.on('error', () => undefined);
      await Promise.all(sockets.map((socket) => new Promise((resolve) => socket.once('connect', resolve))));
      // Both held connections are counted once the server has accepted them.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const third = connect(capped.port, '127.0.0.1');
      let received = '';
      third.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
      await new Promise((resolve) => third.once('close', resolve));
      expect(received).toMatch(/^HTTP\/1\.1 429 Too Many Requests\r\n/);
      expect(received).toMatch(/\r\nRetry-After: 1\r\n/);
      const body = JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4));
      expect(body).toEqual({ error: expect.objectContaining({ type: 'rate_limit_error', code: 'rate_limited' }), request_id: expect.stringMatching(/^req_[0-9a-f]{16}$/) });
    } finally {
      for (const socket of sockets) socket.destroy();
      await capped.close();
    }
  });
});
