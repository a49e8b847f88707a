import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod/v4';
import { CLIENT_VERSION, type CreateDiagramParams, type Diagram, FlowsmithClient, type Generation, FlowsmithConnectionError, FlowsmithError, FlowsmithTimeoutError } from '@flowsmith/client';
import { GENERATION_FORMATS, GENERATION_HINTS, LANGUAGES, MERMAID_LAYOUTS, MERMAID_LOOKS, SOURCE_FORMATS, THEME_IDS } from '@flowsmith/contracts';

export interface McpServerOptions {
  /** Calls the API as the caller: their key, so scopes, quotas and errors are the API's own. */
  client: FlowsmithClient;
  /** The origin people reach the API at, for the absolute `image_url`s the tools return. */
  publicUrl: string;
  /** How long `generate` polls its generation before it gives up (the generation itself goes on). */
  generationTimeoutMs?: number;
}

const INSTRUCTIONS = `Flowsmith renders diagrams-as-code (Mermaid, PlantUML, Graphviz, D2 and more: list_languages) in named themes (list_themes), stores them, and writes new ones from a plain-language description (generate).
To show a diagram, write its source and call render; to keep it, save_diagram; to change a saved one as told in words, edit_diagram. A failed call answers JSON {code, message, param?, request_id}: parse_failed carries the parser's line and column, so fix the source and call again.`;

// Zod wants a non-empty tuple for an enum; the contracts' lists are never empty.
const enumOf = <T extends string>(values: readonly T[]) => z.enum(values as [T, ...T[]]);

const sourceFormat = enumOf(SOURCE_FORMATS).describe('The language of the source. Leave it out to have it detected from the source; name it when detection fails (missing_parameter, param source_format).');
const theme = enumOf(THEME_IDS).describe('The theme to draw in (list_themes); default modern.');
const diagramId = z.string().describe("The diagram's id (a UUID, from list_diagrams, save_diagram or generate).");

/** `{code, message, param?, request_id?}`: the API's error, as a tool error the model can act on. */
function toolError(error: unknown): CallToolResult {
  let body: Record<string, unknown>;
  if (error instanceof FlowsmithError) {
    body = { code: error.code, message: error.message, ...(error.param ? { param: error.param } : {}), ...(error.requestId ? { request_id: error.requestId } : {}) };
  } else if (error instanceof FlowsmithTimeoutError) {
    body = { code: 'upstream_timeout', message: `${error.message} It may still finish: list_diagrams shows it once it is saved.`, generation_id: error.generation.id };
  } else if (error instanceof FlowsmithConnectionError) {
    body = { code: 'service_unavailable', message: `The Flowsmith server did not answer (${error.message}).` };
  } else {
    throw error;
  }
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(body) }] };
}

const json = (value: unknown): CallToolResult => ({ content: [{ type: 'text', text: JSON.stringify(value, null, 2) }] });

/** Runs a tool's body; the API's errors become tool errors, anything else stays a bug (the SDK reports it). */
async function answer(body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await body();
  } catch (error) {
    return toolError(error);
  }
}

/**
 * The Flowsmith MCP server: tools that map one to one onto the HTTP API, called through
 * `FlowsmithClient` with the caller's key. Both transports serve it: `flowsmith mcp` over stdio
 * (apps/cli/src/commands/mcp.ts) and the gateway's `POST /mcp` (apps/gateway/src/mcp/mcp.controller.ts).
 */
export function createMcpServer({ client, publicUrl, generationTimeoutMs = 120_000 }: McpServerOptions): McpServer {
  const server = new McpServer({ name: 'flowsmith', version: CLIENT_VERSION }, { instructions: INSTRUCTIONS });
  const imageUrl = (id: string, query = '') => `${publicUrl.replace(/\/+$/, '')}/api/v1/diagrams/${id}/image${query}`;
  const withImage = (diagram: Diagram) => ({ ...diagram, image_url: imageUrl(diagram.id) });

  /** Polls a generation to its end: its saved diagram, or its error as a tool error. */
  const finished = async (accepted: Generation): Promise<CallToolResult> => {
    const generation = await client.generations.wait(accepted.id, { timeoutMs: generationTimeoutMs });
    if (generation.status === 'failed' || !generation.diagram) {
      const failure = generation.error ?? { code: 'internal_error', message: 'The generation ended without a diagram.' };
      return { isError: true, content: [{ type: 'text', text: JSON.stringify({ code: failure.code, message: failure.message, generation_id: generation.id }) }] };
    }
    const query = generation.image_url?.includes('?') ? generation.image_url.slice(generation.image_url.indexOf('?')) : '';
    return json({ ...generation.diagram, image_url: imageUrl(generation.diagram.id, query), generation_id: generation.id, model: generation.model });
  };

  server.registerTool(
    'render',
    {
      title: 'Render a diagram',
      description:
        'Draws diagram source code (Mermaid, PlantUML, Graphviz, D2, ... : list_languages) and returns the picture, without storing anything. ' +
        'Use it to show a diagram or to check that a source is valid before saving it. format svg (default) returns the SVG as text and costs nothing; ' +
        'format png returns a PNG image and spends one export of the monthly quota. A source that does not parse fails with parse_failed and the line and column.',
      inputSchema: {
        source: z.string().min(1).describe('The diagram source code, at most 100 KB.'),
        source_format: sourceFormat.optional(),
        theme: theme.optional(),
        format: z.enum(['svg', 'png']).default('svg').describe('svg: the SVG markup as text (free). png: a PNG image (spends one export).'),
        scale: z.union([z.literal(1), z.literal(2), z.literal(4)]).optional().describe('PNG only: 1, 2 or 4 times the drawing size, clamped to the plan.'),
        width: z.number().int().min(1).max(8192).optional().describe('The drawing width in CSS px; alone it keeps the aspect ratio.'),
        height: z.number().int().min(1).max(8192).optional().describe('The drawing height in CSS px; alone it keeps the aspect ratio.'),
        background: z.string().optional().describe('theme (default), transparent, or a colour #rrggbb.'),
        layout: enumOf(MERMAID_LAYOUTS).optional().describe('Mermaid only: dagre (default) or elk.'),
        look: enumOf(MERMAID_LOOKS).optional().describe('Mermaid only: classic (default), neo or handDrawn.'),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ format, scale, ...params }) =>
      answer(async () => {
        if (format === 'svg') {
          const render = await client.render.beautify(params);
          const about = { source_format: render.source_format, detected_format: render.detected_format, diagram_type: render.diagram_type, ...render.meta };
          return { content: [{ type: 'text', text: render.svg }, { type: 'text', text: JSON.stringify(about) }] };
        }
        const file = await client.render.export({ ...params, format: 'png', scale });
        const header = (name: string) => file.headers.get(name);
        const about = {
          source_format: header('x-source-format'),
          detected_format: header('x-detected-format'),
          diagram_type: header('x-diagram-type'),
          scale: Number(header('x-scale')),
          scale_clamped: header('x-scale-clamped') === 'true',
          exports_used: Number(header('x-quota-used')),
          exports_limit: header('x-quota-limit'),
        };
        return { content: [{ type: 'image', data: Buffer.from(file.data).toString('base64'), mimeType: 'image/png' }, { type: 'text', text: JSON.stringify(about) }] };
      }),
  );

  server.registerTool(
    'generate',
    {
      title: 'Generate a diagram from a description',
      description:
        'Writes a new diagram from a plain-language description with an AI model (in Mermaid unless source_format says otherwise), saves it, and returns the saved diagram (id, name, source, image_url). ' +
        'Use it when the user describes a process, a conversation, states or a data model and has no source yet; to draw a source you already have, use render. ' +
        `It waits for the generation (up to ${Math.round(generationTimeoutMs / 1000)} s) and spends one AI generation of the monthly quota when it succeeds. ` +
        'Refusals come back as errors: prompt_injection, instruction_rejected, parse_failed_after_retry.',
      inputSchema: {
        prompt: z.string().min(1).max(2000).describe('What to draw, in plain language: the steps, actors, states or entities and how they connect.'),
        hint: enumOf(GENERATION_HINTS).optional().describe('The kind of diagram to favour: flowchart, sequence, state, class or er.'),
        source_format: enumOf(GENERATION_FORMATS).optional().describe('The language to write the diagram in; default mermaid.'),
        name: z.string().min(1).max(200).optional().describe("The saved diagram's name; by default the model's title."),
        folder_id: z.string().optional().describe("The folder to save into (its context steers the model); by default the root."),
        theme: theme.optional().describe('The theme image_url is drawn in; default modern.'),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    (params) => answer(async () => finished(await client.generations.create(params))),
  );

  server.registerTool(
    'edit_diagram',
    {
      title: 'Edit a saved diagram with AI',
      description:
        'Changes a saved diagram as told in plain language ("add a step Fraud check after Pay", "rename Cart to Basket") with an AI model, which gets the current source, ' +
        "its language and the folder's context. The edited source is checked by the parser and saved as the diagram's next revision; returns the diagram at that revision (revision, source, image_url). " +
        `It waits for the edit (up to ${Math.round(generationTimeoutMs / 1000)} s) and spends one AI generation of the monthly quota when it succeeds. ` +
        'To write the change yourself, use save_diagram with the id instead (no AI, no quota).',
      inputSchema: {
        id: diagramId,
        instruction: z.string().min(1).max(2000).describe('What to change, in plain language.'),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    ({ id, instruction }) => answer(async () => finished(await client.diagrams.edit(id, { instruction }))),
  );

  server.registerTool(
    'list_diagrams',
    {
      title: 'List saved diagrams',
      description:
        'Lists the saved diagrams, newest first: id, name, source_format, diagram_type, folder_id and updated_at (no sources: get_diagram reads one). ' +
        'Pass next_cursor back as cursor for the next page while has_more is true.',
      inputSchema: {
        folder_id: z.string().optional().describe('Only the diagrams of this folder.'),
        q: z.string().max(200).optional().describe('Only the diagrams whose name contains this text, in any case.'),
        limit: z.number().int().min(1).max(100).default(20).describe('Diagrams per page, 1 to 100.'),
        cursor: z.string().optional().describe('next_cursor of the previous page.'),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (params) =>
      answer(async () => {
        const page = await client.diagrams.list(params);
        const data = page.data.map(({ id, name, source_format, diagram_type, folder_id, updated_at }) => ({ id, name, source_format, diagram_type, folder_id, updated_at }));
        return json({ data, has_more: page.has_more, next_cursor: page.next_cursor });
      }),
  );

  server.registerTool(
    'get_diagram',
    {
      title: 'Read a saved diagram',
      description: 'Returns one saved diagram with its source, source_format, diagram_type, folder and image_url (its PNG, for a client that holds the same API key).',
      inputSchema: { id: diagramId },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ id }) => answer(async () => json(withImage(await client.diagrams.get(id)))),
  );

  server.registerTool(
    'save_diagram',
    {
      title: 'Save a diagram',
      description:
        'Stores a diagram. Without id it creates one (name and source required); with id it updates that diagram, changing only the fields given. ' +
        'The source is parsed first: one that does not parse is not saved and fails with parse_failed and the line and column. Returns the saved diagram.',
      inputSchema: {
        id: diagramId.optional().describe('The diagram to update; leave it out to create a new one.'),
        name: z.string().min(1).max(200).optional().describe('The name; required when creating.'),
        source: z.string().min(1).optional().describe('The diagram source code; required when creating.'),
        source_format: sourceFormat.optional(),
        folder_id: z.string().nullable().optional().describe('The folder to keep it in; null moves it to the root.'),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    ({ id, ...fields }) =>
      answer(async () => {
        // The API says what is missing or wrong (missing_parameter, invalid_parameter with its param).
        const saved = id ? await client.diagrams.update(id, fields) : await client.diagrams.create(fields as CreateDiagramParams);
        return json(withImage(saved));
      }),
  );

  server.registerTool(
    'list_themes',
    {
      title: 'List themes',
      description: 'Lists the themes render and generate can draw in: id, name, tone (light or dark) and a description.',
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () =>
      answer(async () => {
        const themes = await client.themes.list();
        return json(themes.data.map(({ id, name, tone, description }) => ({ id, name, tone, description })));
      }),
  );

  server.registerTool(
    'list_languages',
    {
      title: 'List diagram languages',
      description:
        'Lists the diagram languages render and save_diagram accept: id (the source_format), label, kroki_names (what Kroki calls it) and text_output (whether it can also be drawn as ASCII text).',
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => json(SOURCE_FORMATS.map((id) => ({ id, label: LANGUAGES[id].label, kroki_names: LANGUAGES[id].kroki, text_output: LANGUAGES[id].text }))),
  );

  return server;
}
