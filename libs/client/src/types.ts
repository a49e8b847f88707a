import type { components, operations } from './generated/api';

/**
 * The request and response bodies of the API, taken from the types generated from the gateway's
 * OpenAPI document (generated/api.ts, by `npm run generate:client`): each shape is written once,
 * in the gateway's DTOs and schemas (apps/gateway/src/openapi/schemas.ts). Only what the client
 * adds itself (BinaryResponse, RequestOptions, `ifNoneMatch`) is written here.
 */

type Schemas = components['schemas'];
/** The JSON body of an operation's 200 answer. */
type Answer<Op extends keyof operations> = operations[Op]['responses'] extends { 200: { content: { 'application/json': infer Body } } } ? Body : never;
/** The query parameters of an operation. */
type Query<Op extends keyof operations> = NonNullable<operations[Op]['parameters']['query']>;

export type Diagram = Schemas['DiagramResource'];
export type DiagramRevision = Schemas['DiagramRevisionResource'];
export type Folder = Schemas['FolderResource'];
export type Generation = Schemas['GenerationResource'];
export type GenerationError = Schemas['GenerationError'];
export type AiGeneration = Schemas['AiGenerationResource'];
export type AiRepair = Schemas['AiRepairResource'];
export type WebhookEndpoint = Schemas['WebhookEndpointResource'];
export type CreatedWebhookEndpoint = Schemas['CreatedWebhookEndpointResource'];
export type WebhookDelivery = Schemas['WebhookDeliveryResource'];
export type Render = Schemas['RenderResource'];
export type Share = Schemas['ShareResource'];
export type Theme = Schemas['ThemeResource'];
export type Usage = Schemas['UsageResource'];
export type UsageBucket = Schemas['UsageBucket'];
export type ApiKey = Schemas['KeyResource'];
/** `secret` is shown once, at creation; null on an idempotent replay. */
export type CreatedApiKey = Schemas['CreatedKeyResource'];
export type KeyIdentity = Schemas['KeyIdentity'];
export type DeletedResource = Schemas['DeletedResource'];
export type HealthStatus = Schemas['HealthStatus'];
export type ReadinessStatus = Schemas['ReadinessStatus'];
export type RateLimitInfo = Schemas['RateLimitDetails'];

export type SourceFormat = Diagram['source_format'];
export type ThemeId = Theme['id'];
export type OutputFormat = Generation['format'];
export type Scale = NonNullable<Schemas['ExportDto']['scale']>;
export type MermaidLayout = NonNullable<Share['layout']>;
export type MermaidLook = NonNullable<Share['look']>;
export type PlanName = Usage['plan'];
export type Scope = ApiKey['scopes'][number];
export type GenerationHint = NonNullable<Generation['hint']>;
export type GenerationStatus = Generation['status'];
export type ErrorType = Schemas['ErrorObject']['type'];
export type ErrorCode = Schemas['ErrorObject']['code'];

/** `{object: "list", data, has_more, next_cursor}`: newest first, cursor-paginated; every list has this envelope. */
export type ListPage<T> = Omit<Answer<'diagrams_list'>, 'data'> & { data: T[] };
/** `limit` 1..100 (default 20); `cursor` is the `next_cursor` of the previous page. */
export type ListParams = Query<'generations_list'>;
export type ListDiagramsParams = Query<'diagrams_list'>;
export type ListFoldersParams = Query<'folders_list'>;

export type CreateDiagramParams = Schemas['CreateDiagramDto'];
export type UpdateDiagramParams = Schemas['UpdateDiagramDto'];
export type DiagramImageParams = Query<'diagrams_image'> & {
  /** An ETag from an earlier fetch: a 304 comes back as `notModified: true` with no data. */
  ifNoneMatch?: string;
};
export type CreateFolderParams = Schemas['CreateFolderDto'];
export type UpdateFolderParams = Schemas['UpdateFolderDto'];
export type GenerateParams = Schemas['GenerateDto'];
export type SyncGenerateParams = Schemas['SyncGenerateDto'];
export type BeautifyParams = Schemas['BeautifyDto'];
export type ExportParams = Schemas['ExportDto'];
/** The embed's options besides the source (`GET /v1/beautify.svg`). */
export type EmbedParams = Omit<Query<'rendering_embed'>, 'source'>;
export type CreateKeyParams = Schemas['CreateKeyDto'];
export type EditDiagramParams = Schemas['EditDto'];
export type RepairParams = Schemas['RepairDto'];
export type CreateWebhookEndpointParams = Schemas['CreateWebhookEndpointDto'];
export type UpdateWebhookEndpointParams = Schemas['UpdateWebhookEndpointDto'];
export type RotateWebhookSecretParams = Schemas['RotateWebhookSecretDto'];

type ShareDto = Schemas['CreateShareDto'];
/** Of a stored diagram or of a source: the document has both optional, the gateway wants exactly one. */
export type CreateShareParams = (Required<Pick<ShareDto, 'diagram_id'>> | (Required<Pick<ShareDto, 'source'>> & Pick<ShareDto, 'source_format'>)) & Omit<ShareDto, 'diagram_id' | 'source' | 'source_format'>;

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
