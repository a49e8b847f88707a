import Anthropic from '@anthropic-ai/sdk';
import type { ModelAnswer, ModelProvider, ModelRequest } from './model-provider';
import { ProviderError } from './model-provider';
import { GenerationFormat, LANGUAGES } from '@flowsmith/contracts';
import { metrics } from '@flowsmith/observability';

/** What the model is told of each language it may write, beyond its name. */
const LANGUAGE_RULES: Record<GenerationFormat, string> = {
  mermaid: `Mermaid (mermaid 11) rules that matter:
- Start with the diagram keyword: flowchart TD (or LR), sequenceDiagram, stateDiagram-v2, classDiagram, erDiagram.
- Flowchart node ids are plain words (A, checkout, step2); put labels in quotes when they hold
  punctuation: A["Pay (card)"]. Edges: A --> B, labelled A -->|yes| B. Decisions: C{"Paid?"}.
- Sequence: declare participants first; messages Alice->>Bob: text; replies Bob-->>Alice: text.
- State: [*] --> Draft, Draft --> Review : submit. Class: class Order { +id: string }, Order "1" --> "*" Item.
- ER: CUSTOMER ||--o{ ORDER : places.
- No click handlers, links, HTML, styles or %%{init}%% directives.`,
  plantuml: `PlantUML rules: between @startuml and @enduml. Sequence: participant A, A -> B : text, B --> A : reply.
Activity (new syntax): start, :step;, if (cond?) then (yes) ... else (no) ... endif, stop. State: [*] --> Draft.
No !include, !pragma, skinparam, url links or sprites.`,
  c4plantuml: `C4-PlantUML rules: between @startuml and @enduml, with the standard library's !include <C4/C4_Container>
(or C4_Context, C4_Component) and nothing else included; Person(), System(), Container(), Rel().`,
  graphviz: `Graphviz DOT rules: one digraph { } (or graph { }); node ids quoted when they hold spaces;
labels with label="..."; no URL, href, image or imagepath attributes.`,
  d2: `D2 rules: shapes as id: "Label", connections a -> b: "label", containers as id: { ... };
no icons, links, imports or layout-engine settings.`,
  dbml: `DBML rules: Table name { column type [pk] } blocks, references as Ref: a.id < b.a_id.`,
  nomnoml: `nomnoml rules: [Box] -> [Other], [<actor> User], [<choice> Paid?], classes as [Order|id: string|pay()].
No #directives.`,
};

/** The instructions: the tools, and the language the answer is written in. */
export function systemPrompt(format: GenerationFormat): string {
  return `You write diagrams as code, in ${LANGUAGES[format].label}: you turn a plain-language description into one
diagram, apply an instruction to an existing diagram, or fix a diagram that does not parse.
Answer only by calling a tool:
- emit_diagram with the complete ${LANGUAGES[format].label} source and a short title (at most 8 words) when the text
  describes something a diagram can show (a process, steps, a conversation between parties, states and transitions,
  classes or entities and their relations), or is an instruction that changes the diagram you are given.
- reject_request when it does not (a question, small talk, a request for prose or code).
When you edit or fix a diagram, change only what is asked and keep everything else as it is.
${LANGUAGE_RULES[format]}
Keep labels short.`;
}

const EMIT_TOOL = {
  name: 'emit_diagram',
  description: 'Return the diagram that the description or instruction asks for.',
  input_schema: {
    type: 'object' as const,
    properties: {
      source: { type: 'string', description: 'The complete diagram source in the requested language.' },
      title: { type: 'string', description: 'A short title for the diagram, at most 8 words.' },
    },
    required: ['source', 'title'],
  },
};

const REJECT_TOOL = {
  name: 'reject_request',
  description: 'Use when the text does not describe a diagram, or is not an instruction that changes one.',
  input_schema: {
    type: 'object' as const,
    properties: { reason: { type: 'string', description: 'One sentence: why this is not a diagram request.' } },
    required: ['reason'],
  },
};

const fenced = (format: GenerationFormat, source: string) => `\`\`\`${format}\n${source}\n\`\`\``;

/** The first user message: what to do, with the source it applies to. */
function task(request: ModelRequest): string {
  const language = LANGUAGES[request.sourceFormat].label;
  const parts: string[] = [];
  if (request.task === 'edit') {
    parts.push(`Apply this instruction to the ${language} diagram below:\n${request.prompt}`, fenced(request.sourceFormat, request.current ?? ''));
  } else if (request.task === 'repair') {
    parts.push(`This ${language} diagram does not parse. Fix it, keeping what it shows.`);
    if (request.prompt) parts.push(`What its author saw:\n${request.prompt}`);
    parts.push(fenced(request.sourceFormat, request.current ?? ''), `The parser says: ${request.currentError ?? ''}`);
  } else {
    parts.push(`Describe as a ${language} diagram:\n${request.prompt}`);
    if (request.hint) parts.push(`Use a ${request.hint} diagram.`);
  }
  if (request.context) parts.push(`Context for diagrams in this folder:\n${request.context}`);
  return parts.join('\n\n');
}

export interface AnthropicOptions {
  apiKey: string;
  baseURL?: string;
  model: string;
  timeoutMs: number;
  maxTokens: number;
}

function retryAfterMs(headers: Headers | undefined): number | undefined {
  const value = headers?.get?.('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** Claude through the real SDK; retries are BullMQ's (maxRetries 0 here), timeouts the SDK's. */
export class AnthropicProvider implements ModelProvider {
  readonly model: string;
  private readonly client: Anthropic;

  constructor(private readonly options: AnthropicOptions) {
    this.model = options.model;
    this.client = new Anthropic({ apiKey: options.apiKey, baseURL: options.baseURL, timeout: options.timeoutMs, maxRetries: 0 });
  }

  async generate(request: ModelRequest): Promise<ModelAnswer> {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: task(request) }];
    if (request.previous) {
      messages.push(
        { role: 'assistant', content: fenced(request.sourceFormat, request.previous.source) },
        { role: 'user', content: `That ${LANGUAGES[request.sourceFormat].label} does not parse: ${request.previous.parserError}\nCall emit_diagram again with a corrected diagram.` },
      );
    }
    let response: Anthropic.Message;
    try {
      response = await this.client.messages.create({
        model: this.options.model,
        max_tokens: this.options.maxTokens,
        system: systemPrompt(request.sourceFormat),
        tools: [EMIT_TOOL, REJECT_TOOL],
        tool_choice: { type: 'any' },
        messages,
      });
    } catch (error) {
      const classified = this.classify(error);
      metrics.modelCalls.inc({ provider: 'anthropic', model: this.model, outcome: classified.code });
      throw classified;
    }
    metrics.modelCalls.inc({ provider: 'anthropic', model: this.model, outcome: 'ok' });
    metrics.modelTokens.inc({ provider: 'anthropic', model: this.model, direction: 'input' }, response.usage?.input_tokens ?? 0);
    metrics.modelTokens.inc({ provider: 'anthropic', model: this.model, direction: 'output' }, response.usage?.output_tokens ?? 0);
    if ((response.stop_reason as string) === 'refusal') throw new ProviderError('safety_blocked', 'The model provider declined to answer this prompt.');
    const tool = response.content.find((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use');
    const input = (tool?.input ?? {}) as Record<string, unknown>;
    if (tool?.name === 'reject_request') return { kind: 'not_a_diagram', reason: typeof input.reason === 'string' ? input.reason : 'The prompt does not describe a diagram.' };
    if (tool?.name === 'emit_diagram' && typeof input.source === 'string' && input.source.trim()) {
      return { kind: 'diagram', source: input.source.trim(), title: typeof input.title === 'string' && input.title.trim() ? input.title.trim().slice(0, 200) : 'Generated diagram' };
    }
    throw new ProviderError('upstream_error', 'The model provider answered in an unexpected form.');
  }

  private classify(error: unknown): ProviderError {
    if (error instanceof Anthropic.APIConnectionTimeoutError) return new ProviderError('upstream_timeout', `The model provider did not answer within ${this.options.timeoutMs} ms.`);
    if (error instanceof Anthropic.APIConnectionError) return new ProviderError('upstream_error', 'The model provider could not be reached.', true);
    if (error instanceof Anthropic.APIError) {
      const status = error.status ?? 0;
      const overloaded = status === 529 || /overloaded/i.test(error.message);
      if (status === 429 || status >= 500 || overloaded) {
        return new ProviderError('upstream_error', `The model provider is unavailable (${status || 'connection'}${overloaded ? ', overloaded' : ''}).`, true, retryAfterMs(error.headers as Headers | undefined));
      }
      return new ProviderError('upstream_error', `The model provider refused the request (${status}).`);
    }
    // Anything else (an answer that is not JSON, an unexpected shape): retrying would get the same.
    return new ProviderError('upstream_error', `The model provider's answer could not be read: ${(error as Error).message}`);
  }
}
