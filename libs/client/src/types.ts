import type {
  ErrorCode, ErrorType, GenerationHint, GenerationStatus, MermaidLayout, MermaidLook, OutputFormat, PlanName, RateLimitInfo, Scale, Scope, SourceFormat, ThemeId,
} from '@flowsmith/contracts';

/**
 * The request and response bodies of the API, hand-written to mirror the gateway's OpenAPI
 * document (apps/gateway/src/openapi/schemas.ts and the DTOs). The e2e drift spec checks the
 * resource interfaces' fields against the live document.
 */

export type { ErrorCode, ErrorType, GenerationHint, GenerationStatus, MermaidLayout, MermaidLook, OutputFormat, PlanName, RateLimitInfo, Scale, Scope, SourceFormat, ThemeId };

/** `{object: "list", data, has_more, next_cursor}`: newest first, cursor-paginated. */
export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

/** `limit` 1..100 (default 20); `cursor` is the `next_cursor` of the previous page. */
export interface ListParams {
  limit?: number;
  cursor?: string;
}

export interface DeletedResource {
  object: 'diagram' | 'folder' | 'share';
  id: string;
  deleted: true;
}

export interface Diagram {
  object: 'diagram';
  id: string;
  name: string;
  source: string;
  source_format: SourceFormat;
  diagram_type: string;
  folder_id: string | null;
  organization_id: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface CreateDiagramParams {
  name: string;
  source: string;
  source_format?: SourceFormat;
  folder_id?: string | null;
}

export interface UpdateDiagramParams {
  name?: string;
  source?: string;
  source_format?: SourceFormat;
  folder_id?: string | null;
}

export interface ListDiagramsParams extends ListParams {
  folder_id?: string;
}

export interface DiagramImageParams {
  theme?: ThemeId;
  format?: OutputFormat;
  scale?: Scale;
  /** draw.io only: the page, by 1-based number or by name. */
  page?: string;
  /** Mermaid only: the layout engine and look. */
  layout?: MermaidLayout;
  look?: MermaidLook;
  /** SVG only: embed the subset of the fonts the drawing uses. */
  embed_fonts?: boolean;
  /** An ETag from an earlier fetch: a 304 comes back as `notModified: true` with no data. */
  ifNoneMatch?: string;
}

export interface Folder {
  object: 'folder';
  id: string;
  name: string;
  parent_id: string | null;
  context: string | null;
  organization_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface CreateFolderParams {
  name: string;
  parent_id?: string | null;
  context?: string | null;
}

export interface UpdateFolderParams {
  name?: string;
  parent_id?: string | null;
  context?: string | null;
}

export interface ListFoldersParams extends ListParams {
  parent_id?: string;
}

export interface GenerationError {
  type: ErrorType;
  code: ErrorCode;
  message: string;
}

export interface Generation {
  object: 'generation';
  id: string;
  status: GenerationStatus;
  prompt: string;
  hint: GenerationHint | null;
  theme: ThemeId;
  format: OutputFormat;
  model: string | null;
  diagram: Diagram | null;
  image_url: string | null;
  error: GenerationError | null;
  created_at: string;
  completed_at: string | null;
}

export interface SyncGenerateParams {
  prompt: string;
  hint?: GenerationHint;
}

export interface GenerateParams extends SyncGenerateParams {
  theme?: ThemeId;
  format?: OutputFormat;
  name?: string;
  folder_id?: string;
}

export interface AiGeneration {
  object: 'ai_generation';
  mermaid: string;
  diagram_type: string;
  request_id: string;
  quota: { limit: number | null; used: number; resets_at: string };
}

export interface SourceParams {
  source: string;
  source_format: SourceFormat;
  theme?: ThemeId;
  /** draw.io only: the page, by 1-based number or by name. */
  page?: string;
  /** Mermaid only: the layout engine and look. */
  layout?: MermaidLayout;
  look?: MermaidLook;
}

export interface BeautifyParams extends SourceParams {
  /** Embed the subset of the fonts the drawing uses (exports always do). */
  embed_fonts?: boolean;
}

export interface ExportParams extends SourceParams {
  format?: OutputFormat;
  scale?: Scale;
  filename?: string;
}

export interface Render {
  object: 'render';
  diagram_type: string;
  svg: string;
  meta: { theme: ThemeId; width: number; height: number; watermarked: boolean };
  usage: { used: number; limit: number | null; resets_at: string | null };
}

export interface Share {
  object: 'share';
  id: string;
  url: string;
  png_url: string;
  jpeg_url: string;
  webp_url: string;
  theme: ThemeId;
  layout: MermaidLayout | null;
  look: MermaidLook | null;
  diagram_id: string | null;
  created_at: string;
}

type ShareOptions = { theme?: ThemeId; layout?: MermaidLayout; look?: MermaidLook };
export type CreateShareParams = ({ diagram_id: string } | { source: string; source_format: SourceFormat }) & ShareOptions;

export interface Theme {
  object: 'theme';
  id: ThemeId;
  name: string;
  tone: 'light' | 'dark';
  description: string;
}

export interface UsageBucket {
  used: number;
  /** null: unlimited. */
  limit: number | null;
  resets_at: string;
}

export interface Usage {
  object: 'usage';
  plan: PlanName;
  actor: 'api_key';
  exports: UsageBucket;
  ai: UsageBucket & { enabled: boolean; reserved: number };
  shares: { used: number; limit: number | null };
}

export interface ApiKey {
  object: 'api_key';
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  organization_id: string | null;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface CreatedApiKey extends ApiKey {
  /** Shown once, at creation; null on an idempotent replay. */
  secret: string | null;
}

export interface CreateKeyParams {
  name: string;
  scopes: Scope[];
  expires_at?: string;
}

export interface KeyIdentity {
  object: 'api_key_identity';
  key_id: string;
  user_id: string;
  organization_id: string | null;
  plan: PlanName;
  scopes: Scope[];
}

export interface HealthStatus {
  status: 'ok';
}

export interface ReadinessStatus {
  status: 'ok' | 'unavailable';
  checks: Record<string, string>;
  workers: Record<string, number>;
  generation_provider: string | null;
}

/** What the image and export methods return: the bytes and what the headers say about them. */
export interface BinaryResponse {
  data: Uint8Array;
  contentType: string;
  /** From `Content-Disposition`, where the server names the file (exports). */
  filename?: string;
  etag?: string;
  /** A 304 answer to `ifNoneMatch`: `data` is empty. */
  notModified: boolean;
  requestId: string;
  headers: Headers;
}

/** Per-call options every method takes. */
export interface RequestOptions {
  signal?: AbortSignal;
  /** For POSTs that create or spend: overrides the generated key (kept across retries either way). */
  idempotencyKey?: string;
  /** Overrides the client's `maxRetries` for this call. */
  maxRetries?: number;
}
