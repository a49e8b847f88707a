import { applyDecorators } from '@nestjs/common';
import { Transform, Type } from 'class-transformer';
import { IsDefined, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { MAX_SOURCE_BYTES, OUTPUT_FORMATS, OutputFormat, Scale, SCALES, SOURCE_FORMATS, SourceFormat, THEME_IDS, ThemeId } from '@flowsmith/contracts';
import { MaxUtf8Bytes, OneOf, OptionalString, RequiredString } from '../common/validation';

/** draw.io's page: by 1-based number or by name; JSON may send the number as a number. */
const PageRule = () =>
  applyDecorators(
    Transform(({ value }) => (typeof value === 'number' ? String(value) : value)),
    OptionalString('page', 200),
  );

const ScaleRule = () => IsIn(SCALES as unknown as number[], { message: 'scale must be one of: 1, 2, 4.' });
export const FILENAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,99}$/;

export class ImageQueryDto {
  @IsOptional()
  @OneOf('theme', THEME_IDS)
  theme?: ThemeId;

  @IsOptional()
  @OneOf('format', OUTPUT_FORMATS)
  format?: OutputFormat;

  @IsOptional()
  @Type(() => Number)
  @ScaleRule()
  scale?: Scale;

  @PageRule()
  page?: string;
}

class SourceBody {
  @RequiredString('source', MAX_SOURCE_BYTES)
  @MaxUtf8Bytes(MAX_SOURCE_BYTES)
  source: string;

  @IsDefined({ message: 'Missing required parameter: source_format.' })
  @OneOf('source_format', SOURCE_FORMATS)
  source_format: SourceFormat;

  @IsOptional()
  @OneOf('theme', THEME_IDS)
  theme?: ThemeId;

  @PageRule()
  page?: string;
}

export class BeautifyDto extends SourceBody {}

export class ExportDto extends SourceBody {
  @IsOptional()
  @OneOf('format', OUTPUT_FORMATS)
  format?: OutputFormat;

  @IsOptional()
  @ScaleRule()
  scale?: Scale;

  @IsOptional()
  @IsString({ message: 'filename must be a string.' })
  @Matches(FILENAME_PATTERN, { message: 'filename may hold letters, digits, spaces, dots, dashes and underscores (at most 100).' })
  filename?: string;
}

export class ExportQueryDto {
  @IsOptional()
  @OneOf('response', ['json', 'file'])
  response?: 'json' | 'file';

  @IsOptional()
  @IsString({ message: 'filename must be a string.' })
  @Matches(FILENAME_PATTERN, { message: 'filename may hold letters, digits, spaces, dots, dashes and underscores (at most 100).' })
  filename?: string;
}

export class EmbedQueryDto {
  @IsDefined({ message: 'Missing required parameter: source.' })
  @IsString({ message: 'source must be a string.' })
  @MaxLength(16 * 1024, { message: 'source is larger than 5 KB decoded.' })
  @Transform(({ value }) => (Array.isArray(value) ? value[0] : value))
  source: string;

  @IsOptional()
  @OneOf('theme', THEME_IDS)
  theme?: ThemeId;
}
