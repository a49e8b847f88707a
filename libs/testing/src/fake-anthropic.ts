import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  /** A JSON body, or a raw string for malformed answers. */
  body?: unknown;
  /** Never answer (until the server closes): for timeouts and kill-mid-job tests. */
  hang?: boolean;
  /** Answer after this long: for what happens while the model is working. */
  delayMs?: number;
}

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

/** A Messages API answer that calls `emit_diagram` with a source (Mermaid or any language asked for). */
export function emitDiagram(source: string, title = 'Generated'): FakeReply {
  return toolUse('emit_diagram', { source, title });
}

export function rejectRequest(reason: string): FakeReply {
  return toolUse('reject_request', { reason });
}

export function toolUse(name: string, input: Record<string, unknown>, stopReason = 'tool_use'): FakeReply {
  return {
    body: {
      id: `msg_${Math.random().toString(36).slice(2)}`,
      type: 'message',
      role: 'assistant',
      model: 'claude-fake',
      content: [{ type: 'tool_use', id: 'toolu_1', name, input }],
      stop_reason: stopReason,
      stop_sequence: null,
      usage: { input_tokens: 100, output_tokens: 50 },
    },
  };
}

export const safetyRefusal = (): FakeReply => ({
  body: { id: 'msg_refusal', type: 'message', role: 'assistant', model: 'claude-fake', content: [], stop_reason: 'refusal', stop_sequence: null, usage: { input_tokens: 10, output_tokens: 0 } },
});

export const overloaded = (retryAfterSeconds = 0): FakeReply => ({
  status: 529,
  headers: { 'retry-after': String(retryAfterSeconds) },
  body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
});

/**
 * A fake Anthropic Messages API on loopback: real HTTP, scripted per prompt. The SDK is pointed
 * at it with `baseURL`. A script is matched by a substring of the user's prompt, so concurrent
 * tests (or concurrent generations) each get their own answers in order.
 */
export class FakeAnthropic {
  readonly requests: RecordedRequest[] = [];
  private server?: Server;
  private readonly scripts = new Map<string, FakeReply[]>();
  private readonly hanging = new Set<ServerResponse>();
  fallback: FakeReply | ((prompt: string) => FakeReply) = emitDiagram('flowchart TD\n  A[Start] --> B[Done]');

  /** Answers, in order, for requests whose prompt contains `marker`; the last one repeats. */
  script(marker: string, ...replies: FakeReply[]): void {
    this.scripts.set(marker, replies);
  }

  requestsFor(marker: string): RecordedRequest[] {
    return this.requests.filter((request) => JSON.stringify(request.body?.messages ?? '').includes(marker));
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      let raw = '';
      request.on('data', (chunk) => (raw += chunk));
      request.on('end', () => {
        let body: any = null;
        try {
          body = JSON.parse(raw);
        } catch {
          /* recorded as null */
        }
        this.requests.push({ path: request.url ?? '', headers: request.headers, body });
        const prompt = JSON.stringify(body?.messages?.[0]?.content ?? '');
        const marker = [...this.scripts.keys()].find((key) => prompt.includes(key));
        const queue = marker ? this.scripts.get(marker)! : [];
        const reply = (queue.length > 1 ? queue.shift() : queue[0]) ?? (typeof this.fallback === 'function' ? this.fallback(prompt) : this.fallback);
        if (reply.hang) {
          this.hanging.add(response);
          return;
        }
        setTimeout(() => {
          response.writeHead(reply.status ?? 200, { 'content-type': 'application/json', 'request-id': 'req_fake', ...reply.headers });
          response.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {}));
        }, reply.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server?.closeAllConnections?.();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
