import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDefined, IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import {
  DEFAULT_THEME, GENERATION_FORMATS, GENERATION_HINTS, GenerationFormat, GenerationHint, MAX_PROMPT_LENGTH, MAX_SOURCE_BYTES, OUTPUT_FORMATS, OutputFormat, THEME_IDS, ThemeId,
} from '@flowsmith/contracts';
import { MaxUtf8Bytes, OneOf, OptionalString, RequiredString } from '../common/validation';
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

  @ApiPropertyOptional({ enum: GENERATION_FORMATS, default: 'mermaid', description: 'The language to write the diagram in (docs/api.md says why these).' })
  @IsOptional()
  @OneOf('source_format', GENERATION_FORMATS)
  source_format?: GenerationFormat;
}

/** The theme and format `image_url` is pre-rendered in (asynchronous generations and edits). */
const ImageTheme = () => applyDecorators(ApiPropertyOptional({ enum: THEME_IDS, default: DEFAULT_THEME }), IsOptional(), OneOf('theme', THEME_IDS));
const ImageFormat = () =>
  applyDecorators(ApiPropertyOptional({ enum: OUTPUT_FORMATS, default: 'png', description: 'The format `image_url` is pre-rendered in.' }), IsOptional(), OneOf('format', OUTPUT_FORMATS));

export class GenerateDto extends SyncGenerateDto {
  @ImageTheme()
  theme?: ThemeId;

  @ImageFormat()
  format?: OutputFormat;

  @ApiPropertyOptional({ minLength: 1, maxLength: MAX_NAME_LENGTH, description: 'The saved diagram\'s name.' })
  @OptionalString('name', MAX_NAME_LENGTH)
  name?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The folder to save into; its context steers the model.' })
  @IsOptional()
  @IsUUID('all', { message: 'folder_id must be a UUID.' })
  folder_id?: string;
}

export class EditDto {
  @ApiProperty({ minLength: 1, maxLength: MAX_PROMPT_LENGTH, description: 'What to change, in plain language (trimmed).', example: 'Add a step "Fraud check" after "Pay".' })
  @IsDefined({ message: 'Missing required parameter: instruction.' })
  @IsString({ message: 'instruction must be a string.' })
  @trim()
  @MinLength(1, { message: 'instruction must not be empty.' })
  @MaxLength(MAX_PROMPT_LENGTH, { message: `instruction must be at most ${MAX_PROMPT_LENGTH} characters.` })
  instruction: string;

  @ImageTheme()
  theme?: ThemeId;

  @ImageFormat()
  format?: OutputFormat;
}

export class RepairDto {
  @ApiProperty({ minLength: 1, description: `The source to repair; at most ${MAX_SOURCE_BYTES / 1024} KB of UTF-8 (413 source_too_large).`, example: 'flowchart TD\n A[Start] -->' })
  @RequiredString('source', MAX_SOURCE_BYTES)
  @MaxUtf8Bytes(MAX_SOURCE_BYTES)
  source: string;

  @ApiProperty({ enum: GENERATION_FORMATS, description: "The source's language." })
  @IsDefined({ message: 'Missing required parameter: source_format.' })
  @OneOf('source_format', GENERATION_FORMATS)
  source_format: GenerationFormat;

  @ApiPropertyOptional({ minLength: 1, maxLength: MAX_PROMPT_LENGTH, description: 'What went wrong, as you saw it (an error message); the parser\'s own message is given to the model in any case.' })
  @OptionalString('error', MAX_PROMPT_LENGTH)
  error?: string;
}
