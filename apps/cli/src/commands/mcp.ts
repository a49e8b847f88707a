import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMcpServer } from '@flowsmith/mcp';
import { CliContext, warnIfAnonymous } from '../context';

/**
 * `flowsmith mcp`: the MCP server of libs/mcp on stdin and stdout, for an agent that spawns it
 * (docs/mcp.md). stdout carries only the protocol; warnings go to stderr. Runs until stdin ends.
 */
export async function runMcp(context: CliContext): Promise<number> {
  warnIfAnonymous(context);
  const server = createMcpServer({ client: context.client, publicUrl: context.baseUrl });
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = resolve;
  });
  process.stdin.once('end', () => void server.close());
  await server.connect(new StdioServerTransport());
  await closed;
  return 0;
}
