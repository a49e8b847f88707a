import { ApiProperty } from '@nestjs/swagger';
import { PLANS, SCOPES } from '@flowsmith/contracts';
import { RequiredString } from '../common/validation';
import { KeyIdentity } from '../openapi/schemas';

/** Longer than any key Flowsmith mints (API_KEY_PATTERN allows 128 characters after the prefix). */
const MAX_API_KEY_LENGTH = 200;

export class CreateSessionDto {
  @ApiProperty({ minLength: 1, maxLength: MAX_API_KEY_LENGTH, description: 'The API key to sign in with; exchanged for the session cookie and never stored.', example: 'fs_live_…' })
  @RequiredString('api_key', MAX_API_KEY_LENGTH)
  api_key: string;
}

export class SessionKey {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'laptop' }) name: string;
  @ApiProperty({ enum: SCOPES, isArray: true }) scopes: string[];
  @ApiProperty({ enum: PLANS }) plan: string;
}

export class SessionResource {
  @ApiProperty({ enum: ['session'] }) object: 'session';
  @ApiProperty({ description: 'Send it as `X-CSRF-Token` on every POST, PUT, PATCH and DELETE signed in by the cookie.', example: 'hY3…' }) csrf_token: string;
  @ApiProperty({ type: String, format: 'date-time', example: '2026-06-07T20:00:05Z' }) expires_at: string;
  @ApiProperty({ type: SessionKey, description: 'The key the session stands for.' }) key: SessionKey;
  @ApiProperty({ type: KeyIdentity, description: 'What `GET /api/v1/me` answers for the key.' }) user: KeyIdentity;
}
