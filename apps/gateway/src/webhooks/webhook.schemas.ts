import { ApiProperty } from '@nestjs/swagger';
import { WEBHOOK_EVENT_TYPES } from '@flowsmith/contracts';

const TIMESTAMP = { type: String, format: 'date-time', example: '2026-12-07T20:00:00Z' };
const NULLABLE_TIMESTAMP = { ...TIMESTAMP, nullable: true };

export class WebhookEndpointResource {
  @ApiProperty({ enum: ['webhook_endpoint'] }) object: 'webhook_endpoint';
  @ApiProperty({ example: 'we_3kT9xQ2mV7bN1cR5fH8jL0pW' }) id: string;
  @ApiProperty({ example: 'https://example.com/flowsmith/webhooks' }) url: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ type: String, isArray: true, enum: [...WEBHOOK_EVENT_TYPES] }) events: string[];
  @ApiProperty({ description: 'false once disabled by its owner, or by Flowsmith after failing for 3 days.' }) enabled: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'Why Flowsmith disabled it; null otherwise.' }) disabled_reason: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) organization_id: string | null;
  @ApiProperty({ ...NULLABLE_TIMESTAMP, description: 'Until when deliveries are also signed with the secret replaced by the last rotation; null when they are signed with the current secret only.' })
  previous_secret_expires_at: string | null;
  @ApiProperty(TIMESTAMP) created_at: string;
  @ApiProperty(TIMESTAMP) updated_at: string;
}

export class CreatedWebhookEndpointResource extends WebhookEndpointResource {
  @ApiProperty({ example: 'whsec_4qV0c0kXh2m3...', description: 'The signing secret. Shown only here: store it.' }) secret: string;
}

export class DeletedWebhookEndpoint {
  @ApiProperty({ enum: ['webhook_endpoint'] }) object: 'webhook_endpoint';
  @ApiProperty({ example: 'we_3kT9xQ2mV7bN1cR5fH8jL0pW' }) id: string;
  @ApiProperty({ enum: [true] }) deleted: true;
}

export class WebhookDeliveryResource {
  @ApiProperty({ enum: ['webhook_delivery'] }) object: 'webhook_delivery';
  @ApiProperty({ example: 'whd_9f1c2b7e5a4d4e3f8b6a0c1d2e3f4a5b' }) id: string;
  @ApiProperty({ example: 'we_3kT9xQ2mV7bN1cR5fH8jL0pW' }) endpoint_id: string;
  @ApiProperty({ example: 'evt_7Hq2Lm9Xc4Vb1Nz8Kd3Rf6Tw', description: 'The `id` of the payload: the same on every delivery and replay of the event.' }) event_id: string;
  @ApiProperty({ enum: [...WEBHOOK_EVENT_TYPES] }) event_type: string;
  @ApiProperty({ enum: ['pending', 'succeeded', 'failed'] }) status: string;
  @ApiProperty({ type: 'integer', description: 'Attempts made so far.' }) attempts: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'The HTTP status of the last attempt; null when it got none.' }) response_status: number | null;
  @ApiProperty({ type: String, nullable: true, example: 'HTTP 503', description: 'What went wrong on the last attempt.' }) error: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The delivery this one replays.' }) replay_of: string | null;
  @ApiProperty(TIMESTAMP) created_at: string;
  @ApiProperty(TIMESTAMP) updated_at: string;
  @ApiProperty(NULLABLE_TIMESTAMP) completed_at: string | null;
}
