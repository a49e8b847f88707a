import type { GenerationFormat, GenerationHint, GenerationKind } from '@flowsmith/contracts';

export interface ModelRequest {
  task: GenerationKind;
  /** generate: the description; edit: the instruction; repair: the caller's note on what is wrong (may be empty). */
  prompt: string;
  /** The language to write. */
  sourceFormat: GenerationFormat;
  hint?: GenerationHint | null;
  /** The folder's context: free text that steers generations made into (and edits of diagrams in) it. */
  context?: string | null;
  /** edit: the diagram's source as it is now; repair: the caller's source. */
  current?: string;
  /** repair: the parser's message on `current`. */
  currentError?: string;
  /** Set on the one retry after the model's answer failed to parse. */
  previous?: { source: string; parserError: string };
}

export type ModelAnswer =
  | { kind: 'diagram'; source: string; title: string }
  /** The prompt does not describe a diagram, or the instruction is not one the provider can apply. */
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
