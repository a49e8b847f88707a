import type { Socket } from 'node:net';
import { rootLogger } from '@flowsmith/observability';

/** Connections already logged as gone: one line per connection, whoever notices first. */
const logged = new WeakSet<Socket>();

/**
 * A client that closed its connection mid-request, or a request the server timed out, is the
 * client's business, not a fault of the gateway: one debug line per connection, no stack. A slow
 * or aborting client could otherwise write an error line per connection (43,573 of them, with
 * stacks, in the red-team run of issue 13).
 */
export function noteClientGone(socket: Socket | null | undefined, reason: string, fields: Record<string, unknown> = {}): void {
  if (socket) {
    if (logged.has(socket)) return;
    logged.add(socket);
  }
  rootLogger().debug({ ...fields, reason, remote_address: socket?.remoteAddress }, 'client connection closed early');
}
