import { Body, Controller, Delete, Get, Post, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest, InjectOptions } from 'fastify';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { FetchLike, FlowsmithClient } from '@flowsmith/client';
import { createMcpServer } from '@flowsmith/mcp';
import { Access } from '../auth/access.decorator';
import { ApiError } from '../common/api-error';

/** The origin of the in-process requests: only their paths are used, no connection is made to it. */
const IN_PROCESS_ORIGIN = 'http://gateway.invalid';

/** Statuses whose answer has no body: a web Response refuses one. */
const NO_BODY = new Set([204, 205, 304]);

/** Node's header record (a value may be a list) as web Headers. */
function webHeaders(record: Record<string, string | string[] | number | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(record)) {
    for (const one of [value ?? []].flat()) headers.append(name, String(one));
  }
  return headers;
}

/**
 * A fetch that hands each request to this gateway's own Fastify instance (`inject`), so the tools'
 * API calls pass the same hooks, guard, rate limits, quotas, idempotency and error envelope as any
 * client's, without a socket: no loopback address to guess (HOST may be one interface), and no
 * per-address connection cap (operations/connection-limits.ts) shared by every agent as 127.0.0.1.
 * The caller's address goes along, for the logs.
 */
function injectFetch(fastify: FastifyInstance, remoteAddress: string): FetchLike {
  return async (input, init) => {
    const url = new URL(input);
    const answer = await fastify.inject({
      method: (init.method ?? 'GET') as InjectOptions['method'],
      url: `${url.pathname}${url.search}`,
      headers: init.headers as Record<string, string>,
      payload: init.body as string | undefined,
      remoteAddress,
    });
    return new Response(NO_BODY.has(answer.statusCode) ? null : new Uint8Array(answer.rawPayload), { status: answer.statusCode, headers: webHeaders(answer.headers) });
  };
}

/**
 * The MCP server of libs/mcp over Streamable HTTP (docs/mcp.md), stateless: every POST gets a new
 * server and transport, so any gateway behind a load balancer can answer any message. Answers are
 * JSON, not SSE streams (no tool sends progress), which proxies pass as they are. Only a bearer key
 * is accepted, never the browser session's cookie; the tools call the API with that key.
 * Left out of the OpenAPI document: it speaks JSON-RPC, described by the MCP specification, not by routes.
 */
@ApiExcludeController()
@Controller('mcp')
export class McpController {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  @Post()
  @Access({ anyKey: true, bearerOnly: true })
  async message(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Body() body: unknown) {
    const apiKey = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const client = new FlowsmithClient({ apiKey, baseUrl: IN_PROCESS_ORIGIN, fetch: injectFetch(fastify, request.ip), userAgent: 'flowsmith-mcp' });
    // The image links the tools return point where this request came in (the Host, or X-Forwarded-Host behind TRUST_PROXY_HOPS).
    const server = createMcpServer({ client, publicUrl: `${request.protocol}://${request.host}` });
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.raw.once('close', () => void server.close());
    await server.connect(transport);
    const answer = await transport.handleRequest(new Request(`${IN_PROCESS_ORIGIN}/mcp`, { method: 'POST', headers: webHeaders(request.headers) }), { parsedBody: body });
    return reply.send(answer);
  }

  /** Stateless: no stream to open, no session to end. MCP clients read 405 as exactly that. */
  @Get()
  @Access({ anyKey: true, bearerOnly: true })
  stream(): never {
    throw notAllowed();
  }

  @Delete()
  @Access({ anyKey: true, bearerOnly: true })
  end(): never {
    throw notAllowed();
  }
}

const notAllowed = () =>
  new ApiError('method_not_allowed', 'The MCP endpoint is stateless: POST each JSON-RPC message to /mcp. There is no stream to GET and no session to DELETE.', {
    headers: { Allow: 'POST' },
  });
