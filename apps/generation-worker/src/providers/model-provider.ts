import type { GenerationHint } from '@flowsmith/contracts';

export interface ModelRequest {
  prompt: string;
  hint?: GenerationHint | null;
  /** The folder's context: free text that steers generations made into it. */
  context?: string | null;
  /** Set on the one retry after the first answer failed to parse. */
  previous?: { mermaid: string; parserError: string };
}

export type ModelAnswer =
  | { kind: 'diagram'; mermaid: string; title: string }
  /** The prompt does not describe a diagram. */
  | { kind: 'not_a_diagram'; reason: string };

/** A provider failure, classified: retryable ones go back to BullMQ's backoff. */
export class ProviderError extends Error {
  constructor(
    readonly code: 'safety_blocked' | 'upstream_timeout' | 'upstream_error',
    message: string,
    readonly retryable = false,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** The one interface both the Claude provider and the offline generator implement. */
export interface ModelProvider {
  /** What Generations and /readyz report: the model id, or "offline". */
  readonly model: string;
  generate(request: ModelRequest): Promise<ModelAnswer>;
}

export const MODEL_PROVIDER = Symbol('MODEL_PROVIDER');
