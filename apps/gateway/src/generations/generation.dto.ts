import { Transform } from 'class-transformer';
import { IsDefined, IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { GENERATION_HINTS, GenerationHint, MAX_PROMPT_LENGTH, OUTPUT_FORMATS, OutputFormat, THEME_IDS, ThemeId } from '@flowsmith/contracts';
import { OneOf, OptionalString } from '../common/validation';
import { MAX_NAME_LENGTH } from '../diagrams/diagram.dto';

const trim = () => Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));

export class SyncGenerateDto {
  @IsDefined({ message: 'Missing required parameter: prompt.' })
  @IsString({ message: 'prompt must be a string.' })
  @trim()
  @MinLength(1, { message: 'prompt must not be empty.' })
  @MaxLength(MAX_PROMPT_LENGTH, { message: `prompt must be at most ${MAX_PROMPT_LENGTH} characters.` })
  prompt: string;

  @IsOptional()
  @OneOf('hint', GENERATION_HINTS)
  hint?: GenerationHint;
}

export class GenerateDto extends SyncGenerateDto {
  @IsOptional()
  @OneOf('theme', THEME_IDS)
  theme?: ThemeId;

  @IsOptional()
  @OneOf('format', OUTPUT_FORMATS)
  format?: OutputFormat;

  @OptionalString('name', MAX_NAME_LENGTH)
  name?: string;

  @IsOptional()
  @IsUUID('all', { message: 'folder_id must be a UUID.' })
  folder_id?: string;
}
