import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsDefined, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { WEBHOOK_EVENT_TYPES, WebhookEventType } from '@flowsmith/contracts';
import { NullableString, OptionalString, RequiredString } from '../common/validation';

export const MAX_WEBHOOK_URL_LENGTH = 2048;
export const MAX_WEBHOOK_DESCRIPTION_LENGTH = 500;

const EventTypes = () =>
  applyDecorators(
    IsArray({ message: 'events must be an array of event types.' }),
    ArrayMinSize(1, { message: 'events must name at least one event type.' }),
    ArrayMaxSize(WEBHOOK_EVENT_TYPES.length, { message: `events may name at most ${WEBHOOK_EVENT_TYPES.length} event types.` }),
    ArrayUnique({ message: 'events must not repeat an event type.' }),
    IsIn([...WEBHOOK_EVENT_TYPES], { each: true, message: `events must be among: ${WEBHOOK_EVENT_TYPES.join(', ')}.` }),
  );

const URL_DOC = {
  maxLength: MAX_WEBHOOK_URL_LENGTH,
  example: 'https://example.com/flowsmith/webhooks',
  description: 'http or https, without credentials; its host must resolve only to public addresses (docs/webhooks.md, "Addresses"). Redirects are not followed.',
};
const EVENTS_DOC = { type: String, isArray: true, enum: [...WEBHOOK_EVENT_TYPES], example: ['generation.succeeded', 'diagram.updated'], description: 'The event types to deliver.' };

export class CreateWebhookEndpointDto {
  @ApiProperty(URL_DOC)
  @RequiredString('url', MAX_WEBHOOK_URL_LENGTH)
  url: string;

  @ApiProperty(EVENTS_DOC)
  @IsDefined({ message: 'Missing required parameter: events.' })
  @EventTypes()
  events: WebhookEventType[];

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: MAX_WEBHOOK_DESCRIPTION_LENGTH })
  @NullableString('description', MAX_WEBHOOK_DESCRIPTION_LENGTH)
  description?: string | null;
}

export class UpdateWebhookEndpointDto {
  @ApiPropertyOptional(URL_DOC)
  @OptionalString('url', MAX_WEBHOOK_URL_LENGTH)
  url?: string;

  @ApiPropertyOptional(EVENTS_DOC)
  @IsOptional()
  @EventTypes()
  events?: WebhookEventType[];

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: MAX_WEBHOOK_DESCRIPTION_LENGTH, description: 'null clears it.' })
  @NullableString('description', MAX_WEBHOOK_DESCRIPTION_LENGTH)
  description?: string | null;

  @ApiPropertyOptional({ type: Boolean, description: 'false stops deliveries; true turns a disabled endpoint back on (clearing disabled_reason).' })
  @IsOptional()
  @IsBoolean({ message: 'enabled must be true or false.' })
  enabled?: boolean;
}

/** The longest a rotated secret may keep signing deliveries: a week. */
export const MAX_PREVIOUS_SECRET_SECONDS = 7 * 24 * 3600;
/** By default a day: time to deploy the new secret to every receiver. */
export const DEFAULT_PREVIOUS_SECRET_SECONDS = 24 * 3600;
const EXPIRES_MESSAGE = `expires_in_seconds must be a whole number of seconds from 0 to ${MAX_PREVIOUS_SECRET_SECONDS}.`;

export class RotateWebhookSecretDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_PREVIOUS_SECRET_SECONDS,
    default: DEFAULT_PREVIOUS_SECRET_SECONDS,
    description: 'How long deliveries stay signed with the old secret too (a second `v1` in the signature header), so receivers can switch without losing one; 0 stops it at once.',
  })
  @IsOptional()
  @IsInt({ message: EXPIRES_MESSAGE })
  @Min(0, { message: EXPIRES_MESSAGE })
  @Max(MAX_PREVIOUS_SECRET_SECONDS, { message: EXPIRES_MESSAGE })
  expires_in_seconds?: number;
}
