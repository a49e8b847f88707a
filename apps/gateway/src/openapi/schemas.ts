import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_CATALOG, GENERATION_FORMATS, GENERATION_HINTS, MERMAID_LAYOUTS, MERMAID_LOOKS, OUTPUT_FORMATS, PLANS, SCALES, SCOPES, SOURCE_FORMATS, THEME_IDS } from '@flowsmith/contracts';

/**
 * The response bodies of the API, for the OpenAPI document only: the gateway builds its responses
 * with presenters, and these classes describe what they return (docs/api.md "Resources").
 */

const ERROR_TYPES = [...new Set(Object.values(ERROR_CATALOG).map((entry) => entry.type))];
const TIMESTAMP = { type: String, format: 'date-time', example: '2026-06-07T12:00:05Z' } as const;
const NULLABLE_TIMESTAMP = { ...TIMESTAMP, nullable: true } as const;
const UUID = { type: String, format: 'uuid', example: 'd290f1ee-6c54-4b01-90e6-d701748f0851' } as const;
const NULLABLE_UUID = { ...UUID, nullable: true, example: null } as const;

export class RateLimitDetails {
  @ApiProperty({ example: 120 }) limit: number;
  @ApiProperty({ example: 60 }) window_seconds: number;
  @ApiProperty({ example: 121 }) used: number;
  @ApiProperty(TIMESTAMP) resets_at: string;
}

export class AnonymousHints {
  @ApiProperty({ example: 'https://flowsmith.dev/signup' }) sign_up_url: string;
  @ApiProperty({ example: 'https://flowsmith.dev/docs' }) docs_url: string;
}

export class ErrorObject {
  @ApiProperty({ enum: ERROR_TYPES, example: 'invalid_request_error' }) type: string;
  @ApiProperty({ enum: Object.keys(ERROR_CATALOG), example: 'invalid_parameter' }) code: string;
  @ApiProperty({ example: 'format must be one of: png, svg.' }) message: string;
  @ApiPropertyOptional({ description: 'The offending field or query parameter, where there is one.', example: 'format' }) param?: string;
  @ApiPropertyOptional({ type: RateLimitDetails, description: 'On 429 rate_limited.' }) rate_limit?: RateLimitDetails;
  @ApiPropertyOptional({ type: AnonymousHints, description: 'On denials of an anonymous caller.' }) hints?: AnonymousHints;
}

export class ErrorEnvelope {
  @ApiProperty({ type: ErrorObject }) error: ErrorObject;
  @ApiProperty({ example: 'req_3d77e0a4c1b2f5e6', pattern: '^req_[0-9a-f]{16}$' }) request_id: string;
}

export class DiagramResource {
  @ApiProperty({ enum: ['diagram'] }) object: 'diagram';
  @ApiProperty(UUID) id: string;
  @ApiProperty({ example: 'Customer onboarding' }) name: string;
  @ApiProperty({ example: 'flowchart TD\n A-->B' }) source: string;
  @ApiProperty({ enum: SOURCE_FORMATS }) source_format: string;
  @ApiProperty({ example: 'flowchart', description: 'Detected: flowchart, sequence, class, state, er, gantt, mindmap, ...' }) diagram_type: string;
  @ApiProperty({ example: 1, description: 'The number of its newest revision (`GET /v1/diagrams/{id}/revisions`); the ETag is `"r<revision>"`.' }) revision: number;
  @ApiProperty(NULLABLE_UUID) folder_id: string | null;
  @ApiProperty(NULLABLE_UUID) organization_id: string | null;
  @ApiProperty(UUID) created_by: string;
  @ApiProperty(TIMESTAMP) created_at: string;
  @ApiProperty(TIMESTAMP) updated_at: string;
  @ApiPropertyOptional({ enum: SOURCE_FORMATS, nullable: true, description: 'In the answer to `POST /v1/diagrams` only: the format detected from the source when the request sent no `source_format`; null when it did.' }) detected_format?: string | null;
}

export class DiagramRevisionResource {
  @ApiProperty({ enum: ['diagram_revision'] }) object: 'diagram_revision';
  @ApiProperty(UUID) diagram_id: string;
  @ApiProperty({ example: 3, description: 'From 1, one more for each change of the name or source.' }) number: number;
  @ApiProperty({ example: 'Customer onboarding' }) name: string;
  @ApiProperty({ example: 'flowchart TD\n A-->B' }) source: string;
  @ApiProperty({ enum: SOURCE_FORMATS }) source_format: string;
  @ApiProperty({ type: String, nullable: true, example: 'flowchart' }) diagram_type: string | null;
  @ApiProperty({ ...NULLABLE_UUID, description: 'The API key that made it; null if unknown.' }) api_key_id: string | null;
  @ApiProperty(UUID) created_by: string;
  @ApiProperty(TIMESTAMP) created_at: string;
}

export class DeletedResource {
  @ApiProperty({ enum: ['diagram', 'folder', 'share'], example: 'diagram' }) object: string;
  @ApiProperty({ example: 'd290f1ee-6c54-4b01-90e6-d701748f0851' }) id: string;
  @ApiProperty({ enum: [true] }) deleted: true;
}

export class FolderResource {
  @ApiProperty({ enum: ['folder'] }) object: 'folder';
  @ApiProperty(UUID) id: string;
  @ApiProperty({ example: 'Onboarding' }) name: string;
  @ApiProperty(NULLABLE_UUID) parent_id: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Free text given to the model with every generation made into the folder.', example: null }) context: string | null;
  @ApiProperty(NULLABLE_UUID) organization_id: string | null;
  @ApiProperty(TIMESTAMP) created_at: string;
  @ApiProperty(TIMESTAMP) updated_at: string;
}

export class GenerationError {
  @ApiProperty({ enum: ERROR_TYPES }) type: string;
  @ApiProperty({ example: 'parse_failed_after_retry' }) code: string;
  @ApiProperty() message: string;
}

export class GenerationResource {
  @ApiProperty({ enum: ['generation'] }) object: 'generation';
  @ApiProperty({ example: 'gen_5f9a2b3c4d5e6f708192a3b4' }) id: string;
  @ApiProperty({ enum: ['generate', 'edit', 'repair'], description: '`generate`: a new diagram; `edit`: the next revision of `diagram_id`; `repair`: POST /v1/ai/repair.' }) kind: string;
  @ApiProperty({ enum: ['queued', 'processing', 'succeeded', 'failed'] }) status: string;
  @ApiProperty({ description: 'The prompt, or an edit\'s instruction.' }) prompt: string;
  @ApiProperty({ enum: GENERATION_FORMATS, description: 'The language written.' }) source_format: string;
  @ApiProperty({ enum: GENERATION_HINTS, nullable: true }) hint: string | null;
  @ApiProperty({ enum: THEME_IDS }) theme: string;
  @ApiProperty({ enum: OUTPUT_FORMATS }) format: string;
  @ApiProperty({ type: String, nullable: true, description: 'The model that produced the diagram.' }) model: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The diagram made (once succeeded) or edited (from the start).' }) diagram_id: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'An edit\'s revision of the diagram, once succeeded.', example: null }) revision: number | null;
  @ApiProperty({ type: DiagramResource, nullable: true, description: 'The saved (or edited) diagram once succeeded.' }) diagram: DiagramResource | null;
  @ApiProperty({ type: String, nullable: true, example: '/api/v1/diagrams/d290f1ee-6c54-4b01-90e6-d701748f0851/image?theme=light&format=png' }) image_url: string | null;
  @ApiProperty({ type: GenerationError, nullable: true }) error: GenerationError | null;
  @ApiProperty(TIMESTAMP) created_at: string;
  @ApiProperty(NULLABLE_TIMESTAMP) completed_at: string | null;
}

export class AiQuota {
  @ApiProperty({ type: Number, nullable: true }) limit: number | null;
  @ApiProperty() used: number;
  @ApiProperty(TIMESTAMP) resets_at: string;
}

export class AiGenerationResource {
  @ApiProperty({ enum: ['ai_generation'] }) object: 'ai_generation';
  @ApiPropertyOptional({ example: 'flowchart TD\n A-->B', description: 'The source again, for Mermaid sources only (as before `source_format` existed).' }) mermaid?: string;
  @ApiProperty({ example: 'flowchart TD\n A-->B' }) source: string;
  @ApiProperty({ enum: GENERATION_FORMATS }) source_format: string;
  @ApiProperty({ example: 'flowchart' }) diagram_type: string;
  @ApiProperty({ type: String, nullable: true, description: 'The model that wrote it: ANTHROPIC_MODEL, or `offline` for the built-in generator.', example: 'offline' }) model: string | null;
  @ApiProperty({ example: 'req_3d77e0a4c1b2f5e6' }) request_id: string;
  @ApiProperty({ type: AiQuota }) quota: AiQuota;
}

export class AiRepairResource {
  @ApiProperty({ enum: ['ai_repair'] }) object: 'ai_repair';
  @ApiProperty({ example: 'flowchart TD\n A[Start] --> B[Done]', description: 'A source that parses.' }) source: string;
  @ApiProperty({ enum: GENERATION_FORMATS }) source_format: string;
  @ApiProperty({ example: 'flowchart' }) diagram_type: string;
  @ApiProperty({ description: 'False when the source already parsed: returned unchanged, no model called, no quota spent.' }) repaired: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'ANTHROPIC_MODEL, or `offline` for the built-in generator.', example: 'offline' }) model: string | null;
  @ApiProperty({ example: 'req_3d77e0a4c1b2f5e6' }) request_id: string;
  @ApiProperty({ type: AiQuota }) quota: AiQuota;
}

export class ShareResource {
  @ApiProperty({ enum: ['share'] }) object: 'share';
  @ApiProperty({ example: 'aB3dE5fG7h' }) id: string;
  @ApiProperty({ example: '/api/v1/share/aB3dE5fG7h.svg' }) url: string;
  @ApiProperty({ example: '/api/v1/share/aB3dE5fG7h.png' }) png_url: string;
  @ApiProperty({ example: '/api/v1/share/aB3dE5fG7h.jpg' }) jpeg_url: string;
  @ApiProperty({ example: '/api/v1/share/aB3dE5fG7h.webp' }) webp_url: string;
  @ApiProperty({ enum: THEME_IDS }) theme: string;
  @ApiProperty({ enum: MERMAID_LAYOUTS, nullable: true, description: 'Mermaid only: the layout engine the share renders with; null is the default.' }) layout: string | null;
  @ApiProperty({ enum: MERMAID_LOOKS, nullable: true, description: 'Mermaid only: the look the share renders with; null is the default.' }) look: string | null;
  @ApiProperty(NULLABLE_UUID) diagram_id: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'The revision of the diagram it shows; null when it follows the newest, or shares a source.' }) revision: number | null;
  @ApiProperty({ description: '`true`: a share of a diagram that shows its newest revision.' }) follow_latest: boolean;
  @ApiProperty(TIMESTAMP) created_at: string;
  @ApiPropertyOptional({ enum: SOURCE_FORMATS, nullable: true, description: 'In the answer to `POST /v1/share` only: the format detected from `source` when the request sent no `source_format`; null otherwise.' }) detected_format?: string | null;
}

export class KeyResource {
  @ApiProperty({ enum: ['api_key'] }) object: 'api_key';
  @ApiProperty(UUID) id: string;
  @ApiProperty({ example: 'ci' }) name: string;
  @ApiProperty({ example: 'fs_live_AbC1', description: 'The display prefix of the secret.' }) prefix: string;
  @ApiProperty({ enum: SCOPES, isArray: true }) scopes: string[];
  @ApiProperty(NULLABLE_UUID) organization_id: string | null;
  @ApiProperty(UUID) created_by: string;
  @ApiProperty(TIMESTAMP) created_at: string;
  @ApiProperty(NULLABLE_TIMESTAMP) expires_at: string | null;
  @ApiProperty(NULLABLE_TIMESTAMP) last_used_at: string | null;
  @ApiProperty(NULLABLE_TIMESTAMP) revoked_at: string | null;
}

export class CreatedKeyResource extends KeyResource {
  @ApiProperty({ type: String, nullable: true, example: 'fs_live_AbC1dEf2GhI3jKl4MnO5pQr6StU7vWx8', description: 'Shown once, at creation; null on an idempotent replay.' })
  secret: string | null;
}

export class KeyIdentity {
  @ApiProperty({ enum: ['api_key_identity'] }) object: 'api_key_identity';
  @ApiProperty(UUID) key_id: string;
  @ApiProperty(UUID) user_id: string;
  @ApiProperty(NULLABLE_UUID) organization_id: string | null;
  @ApiProperty({ enum: PLANS }) plan: string;
  @ApiProperty({ enum: SCOPES, isArray: true }) scopes: string[];
}

export class UsageBucket {
  @ApiProperty() used: number;
  @ApiProperty({ type: Number, nullable: true, description: 'null: unlimited.' }) limit: number | null;
  @ApiProperty(TIMESTAMP) resets_at: string;
}

export class AiUsageBucket extends UsageBucket {
  @ApiProperty() enabled: boolean;
  @ApiProperty({ description: 'Held by generations still running.' }) reserved: number;
}

export class ShareUsage {
  @ApiProperty() used: number;
  @ApiProperty({ type: Number, nullable: true, description: 'null: unlimited.' }) limit: number | null;
}

export class UsageResource {
  @ApiProperty({ enum: ['usage'] }) object: 'usage';
  @ApiProperty({ enum: PLANS }) plan: string;
  @ApiProperty({ enum: ['api_key'] }) actor: 'api_key';
  @ApiProperty({ type: UsageBucket }) exports: UsageBucket;
  @ApiProperty({ type: AiUsageBucket }) ai: AiUsageBucket;
  @ApiProperty({ type: ShareUsage }) shares: ShareUsage;
}

export class ThemeResource {
  @ApiProperty({ enum: ['theme'] }) object: 'theme';
  @ApiProperty({ enum: THEME_IDS }) id: string;
  @ApiProperty({ example: 'Light' }) name: string;
  @ApiProperty({ enum: ['light', 'dark'] }) tone: string;
  @ApiProperty() description: string;
}

export class RenderMeta {
  @ApiProperty({ enum: THEME_IDS }) theme: string;
  @ApiProperty() width: number;
  @ApiProperty() height: number;
  @ApiProperty() watermarked: boolean;
}

export class RenderUsage {
  @ApiProperty() used: number;
  @ApiProperty({ type: Number, nullable: true }) limit: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) resets_at: string | null;
}

export class RenderResource {
  @ApiProperty({ enum: ['render'] }) object: 'render';
  @ApiProperty({ enum: SOURCE_FORMATS }) source_format: string;
  @ApiProperty({ enum: SOURCE_FORMATS, nullable: true, description: 'The format detected from the source when the request sent no `source_format`; null when it did.' }) detected_format: string | null;
  @ApiProperty({ example: 'flowchart' }) diagram_type: string;
  @ApiProperty({ example: '<svg xmlns="http://www.w3.org/2000/svg">...</svg>' }) svg: string;
  @ApiProperty({ type: RenderMeta }) meta: RenderMeta;
  @ApiProperty({ type: RenderUsage, description: 'The caller\'s export bucket; beautify itself is not metered.' }) usage: RenderUsage;
}

export class ExportQuotaInfo {
  @ApiProperty({ enum: [...PLANS, 'anonymous'] }) plan: string;
  @ApiProperty() used: number;
  @ApiProperty({ type: Number, nullable: true }) limit: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) resets_at: string | null;
}

export class ExportResource {
  @ApiProperty({ enum: ['export'] }) object: 'export';
  @ApiProperty({ example: 'diagram-flowchart-3f2a1b.svg' }) filename: string;
  @ApiProperty({ enum: ['image/svg+xml', 'image/png', 'image/jpeg', 'image/webp', 'application/pdf', 'text/plain; charset=utf-8'] }) content_type: string;
  @ApiProperty({ enum: SOURCE_FORMATS }) source_format: string;
  @ApiProperty({ enum: SOURCE_FORMATS, nullable: true, description: 'The format detected from the source when the request sent no `source_format`; null when it did.' }) detected_format: string | null;
  @ApiProperty({ example: 'flowchart' }) diagram_type: string;
  @ApiProperty({ enum: THEME_IDS }) theme: string;
  @ApiProperty({ enum: OUTPUT_FORMATS }) format: string;
  @ApiProperty({ enum: SCALES }) scale: number;
  @ApiProperty() scale_clamped: boolean;
  @ApiProperty() watermarked: boolean;
  @ApiProperty() width: number;
  @ApiProperty() height: number;
  @ApiProperty({ description: 'The file, base64-encoded.', format: 'byte' }) data: string;
  @ApiProperty({ type: ExportQuotaInfo }) quota: ExportQuotaInfo;
}

export class HealthStatus {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
}

export class ReadinessStatus {
  @ApiProperty({ enum: ['ok', 'unavailable'] }) status: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { database: 'ok', redis: 'ok', render_workers: 'ok' } })
  checks: Record<string, string>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { render: 1, generation: 1 } }) workers: Record<string, number>;
  @ApiProperty({ type: String, nullable: true, example: 'offline' }) generation_provider: string | null;
}
