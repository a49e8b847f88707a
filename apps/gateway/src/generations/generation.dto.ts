import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDefined, IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { GENERATION_HINTS, GenerationHint, MAX_PROMPT_LENGTH, OUTPUT_FORMATS, OutputFormat, THEME_IDS, ThemeId } from '@flowsmith/contracts';
import { OneOf, OptionalString } from '../common/validation';
import { MAX_NAME_LENGTH } from '../diagrams/diagram.dto';

const trim = () => Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));

export class SyncGenerateDto {
  @ApiProperty({ minLength: 1, maxLength: MAX_PROMPT_LENGTH, description: 'What to draw, in plain language (trimmed).', example: 'The checkout flow: cart, payment, confirmation, with a retry on card decline.' })
  @IsDefined({ message: 'Missing required parameter: prompt.' })
  @IsString({ message: 'prompt must be a string.' })
  @trim()
  @MinLength(1, { message: 'prompt must not be empty.' })
  @MaxLength(MAX_PROMPT_LENGTH, { message: `prompt must be at most ${MAX_PROMPT_LENGTH} characters.` })
  prompt: string;

  @ApiPropertyOptional({ enum: GENERATION_HINTS, description: 'The kind of diagram to favour.' })
  @IsOptional()
  @OneOf('hint', GENERATION_HINTS)
  hint?: GenerationHint;
}

export class GenerateDto extends SyncGenerateDto {
  @ApiPropertyOptional({ enum: THEME_IDS, default: 'light' })
  @IsOptional()
  @OneOf('theme', THEME_IDS)
  theme?: ThemeId;

  @ApiPropertyOptional({ enum: OUTPUT_FORMATS, default: 'png', description: 'The format `image_url` is pre-rendered in.' })
  @IsOptional()
  @OneOf('format', OUTPUT_FORMATS)
  format?: OutputFormat;

  @ApiPropertyOptional({ minLength: 1, maxLength: MAX_NAME_LENGTH, description: 'The saved diagram\'s name.' })
  @OptionalString('name', MAX_NAME_LENGTH)
  name?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The folder to save into; its context steers the model.' })
  @IsOptional()
  @IsUUID('all', { message: 'folder_id must be a UUID.' })
  folder_id?: string;
}
