import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What a path answers to its nth hit (from 1): a status, or 'hold' to never answer. */
export type Behaviour = (hit: number) => number | 'hold';

/** A webhook receiver on loopback that records every request and answers as each path's behaviour says (204 by default). */
export class Receiver {
  readonly hits: Hit[] = [];
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly held: ServerResponse[] = [];
  private server?: Server;
  url = '';

  async start(): Promise<string> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        this.hits.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        const answer = (this.behaviours.get(path) ?? (() => 204))(this.hits.filter((hit) => hit.path === path).length);
        if (answer === 'hold') this.held.push(response);
        else response.writeHead(answer).end();
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  on(path: string, behaviour: Behaviour): string {
    this.behaviours.set(path, behaviour);
    return `${this.url}${path}`;
  }

  at(path: string): Hit[] {
    return this.hits.filter((hit) => hit.path === path);
  }

  async close(): Promise<void> {
    for (const response of this.held) response.destroy();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** Polls `check` until it returns something truthy; throws with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
