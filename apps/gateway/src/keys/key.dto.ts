import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined, IsIn, IsISO8601, IsOptional } from 'class-validator';
import { Scope, SCOPES } from '@flowsmith/contracts';
import { MAX_NAME_LENGTH } from '../diagrams/diagram.dto';
import { RequiredString } from '../common/validation';

export class CreateKeyDto {
  @ApiProperty({ minLength: 1, maxLength: MAX_NAME_LENGTH, example: 'ci' })
  @RequiredString('name', MAX_NAME_LENGTH)
  name: string;

  @ApiProperty({ enum: SCOPES, isArray: true, minItems: 1, maxItems: SCOPES.length, description: 'A subset of the creating key\'s scopes.', example: ['diagrams:read'] })
  @IsDefined({ message: 'Missing required parameter: scopes.' })
  @IsArray({ message: 'scopes must be an array of scopes.' })
  @ArrayMinSize(1, { message: 'scopes must name at least one scope.' })
  @ArrayMaxSize(SCOPES.length, { message: `scopes may name at most ${SCOPES.length} scopes.` })
  @IsIn(SCOPES as unknown as string[], { each: true, message: `scopes may only contain: ${SCOPES.join(', ')}.` })
  scopes: Scope[];

  @ApiPropertyOptional({ format: 'date-time', description: 'When the key stops working; in the future.' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'expires_at must be an ISO 8601 timestamp.' })
  expires_at?: string;
}
