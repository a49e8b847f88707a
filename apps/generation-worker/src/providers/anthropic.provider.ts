import Anthropic from '@anthropic-ai/sdk';
import type { ModelAnswer, ModelProvider, ModelRequest } from './model-provider';
import { ProviderError } from './model-provider';
import { metrics } from '@flowsmith/observability';

export const SYSTEM_PROMPT = `You turn a plain-language description into one Mermaid diagram (mermaid 11).
Answer only by calling a tool:
- emit_diagram with the Mermaid source and a short title (at most 8 words) when the text describes
  something a diagram can show: a process, steps, a conversation between parties, states and
  transitions, classes or entities and their relations.
- reject_request when it does not (a question, small talk, a request for prose or code).
Mermaid rules that matter:
- Start with the diagram keyword: flowchart TD (or LR), sequenceDiagram, stateDiagram-v2, classDiagram, erDiagram.
- Flowchart node ids are plain words (A, checkout, step2); put labels in quotes when they hold
  punctuation: A["Pay (card)"]. Edges: A --> B, labelled A -->|yes| B. Decisions: C{"Paid?"}.
- Sequence: declare participants first; messages Alice->>Bob: text; replies Bob-->>Alice: text.
- State: [*] --> Draft, Draft --> Review : submit. Class: class Order { +id: string }, Order "1" --> "*" Item.
- ER: CUSTOMER ||--o{ ORDER : places.
- No click handlers, links, HTML, styles or %%{init}%% directives. Keep labels short.`;

const EMIT_TOOL = {
  name: 'emit_diagram',
  description: 'Return the Mermaid diagram that the description asks for.',
  input_schema: {
    type: 'object' as const,
    properties: {
      mermaid: { type: 'string', description: 'The complete Mermaid source, starting with the diagram keyword.' },
      title: { type: 'string', description: 'A short title for the diagram, at most 8 words.' },
    },
    required: ['mermaid', 'title'],
  },
};

const REJECT_TOOL = {
  name: 'reject_request',
  description: 'Use when the text does not describe a diagram.',
  input_schema: {
    type: 'object' as const,
    properties: { reason: { type: 'string', description: 'One sentence: why this is not a diagram request.' } },
    required: ['reason'],
  },
};

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
    const parts = [`Describe as a diagram:\n${request.prompt}`];
    if (request.hint) parts.push(`Use a ${request.hint} diagram.`);
    if (request.context) parts.push(`Context for diagrams in this folder:\n${request.context}`);
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: parts.join('\n\n') }];
    if (request.previous) {
      messages.push(
        { role: 'assistant', content: `\`\`\`mermaid\n${request.previous.mermaid}\n\`\`\`` },
        { role: 'user', content: `That Mermaid does not parse: ${request.previous.parserError}\nCall emit_diagram again with a corrected diagram.` },
      );
    }
    let response: Anthropic.Message;
    try {
      response = await this.client.messages.create({
        model: this.options.model,
        max_tokens: this.options.maxTokens,
        system: SYSTEM_PROMPT,
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
    if (tool?.name === 'emit_diagram' && typeof input.mermaid === 'string' && input.mermaid.trim()) {
      return { kind: 'diagram', mermaid: input.mermaid.trim(), title: typeof input.title === 'string' && input.title.trim() ? input.title.trim().slice(0, 200) : 'Generated diagram' };
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
