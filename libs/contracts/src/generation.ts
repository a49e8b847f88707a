import type { SourceFormat } from './languages';
import type { OutputFormat } from './rendering';
import type { ThemeId } from './themes';

export const GENERATION_HINTS = ['flowchart', 'sequence', 'state', 'class', 'er'] as const;
export type GenerationHint = (typeof GENERATION_HINTS)[number];
export const MAX_PROMPT_LENGTH = 2000;

/**
 * The languages a generation, an edit or a repair may write: text languages a model writes well
 * from a description, that the render worker's parser checks. Not the XML and JSON ones (draw.io,
 * BPMN, Excalidraw, Vega: coordinates and long documents), SVG (anything goes), TikZ (a TeX run
 * per check), nor the niche ones (blockdiag family, WaveDrom, Bytefield, Svgbob, Pikchr).
 */
export const GENERATION_FORMATS = ['mermaid', 'plantuml', 'c4plantuml', 'graphviz', 'd2', 'dbml', 'nomnoml'] as const satisfies readonly SourceFormat[];
export type GenerationFormat = (typeof GENERATION_FORMATS)[number];

export function isGenerationFormat(format: string): format is GenerationFormat {
  return (GENERATION_FORMATS as readonly string[]).includes(format);
}

/** What a Generation does: a new diagram, the next revision of one, or a source made to parse. */
export type GenerationKind = 'generate' | 'edit' | 'repair';

export type GenerationStatus = 'queued' | 'processing' | 'succeeded' | 'failed';
export type GenerationErrorCode =
  | 'prompt_injection'
  | 'instruction_rejected'
  | 'parse_failed_after_retry'
  | 'safety_blocked'
  | 'upstream_timeout'
  | 'upstream_error'
  | 'quota_exhausted'
  | 'resource_not_found'
  | 'precondition_failed';

/** The job names only the Generation; the worker reads the rest from Postgres. */
export interface GenerateJobData {
  generationId: string;
}

export type GenerateJobResult =
  | { status: 'succeeded'; source: string; sourceFormat: GenerationFormat; diagramType: string; diagramId: string | null; revision: number | null }
  | { status: 'failed'; error: { code: GenerationErrorCode; message: string } };

export interface GenerationRequest {
  prompt: string;
  hint?: GenerationHint;
  theme: ThemeId;
  format: OutputFormat;
}

/** Prompt-injection patterns screened before any model call. */
const INJECTION: RegExp[] = [
  /\b(ignore|disregard|forget|override)\b[^.]{0,40}\b(previous|prior|above|earlier|all|your|the)\b[^.]{0,20}\b(instructions?|prompts?|rules?|messages?|directions?)\b/i,
  /\b(reveal|print|show|repeat|output|leak)\b[^.]{0,30}\b(system prompt|instructions|hidden prompt|initial prompt)\b/i,
  /\byou are (now|no longer)\b/i,
  /\b(jailbreak|DAN mode|developer mode)\b/i,
  /<\/?\s*(system|assistant|instructions?)\s*>/i,
  /\bnew (system )?instructions?\s*:/i,
];

export function looksLikePromptInjection(prompt: string): boolean {
  return INJECTION.some((pattern) => pattern.test(prompt));
}
