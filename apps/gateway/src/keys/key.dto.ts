import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined, IsIn, IsISO8601, IsOptional } from 'class-validator';
import { Scope, SCOPES } from '@flowsmith/contracts';
import { MAX_NAME_LENGTH } from '../diagrams/diagram.dto';
import { RequiredString } from '../common/validation';

export class CreateKeyDto {
  @RequiredString('name', MAX_NAME_LENGTH)
  name: string;

  @IsDefined({ message: 'Missing required parameter: scopes.' })
  @IsArray({ message: 'scopes must be an array of scopes.' })
  @ArrayMinSize(1, { message: 'scopes must name at least one scope.' })
  @ArrayMaxSize(SCOPES.length, { message: `scopes may name at most ${SCOPES.length} scopes.` })
  @IsIn(SCOPES as unknown as string[], { each: true, message: `scopes may only contain: ${SCOPES.join(', ')}.` })
  scopes: Scope[];

  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'expires_at must be an ISO 8601 timestamp.' })
  expires_at?: string;
}
