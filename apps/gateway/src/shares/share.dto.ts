import { IsOptional, IsUUID, ValidateIf } from 'class-validator';
import { MAX_SOURCE_BYTES, SOURCE_FORMATS, SourceFormat, THEME_IDS, ThemeId } from '@flowsmith/contracts';
import { MaxUtf8Bytes, OneOf, OptionalString } from '../common/validation';

/** Either a stored diagram (`diagram_id`) or a source to publish as it is. */
export class CreateShareDto {
  @IsOptional()
  @IsUUID('all', { message: 'diagram_id must be a UUID.' })
  diagram_id?: string;

  @OptionalString('source', MAX_SOURCE_BYTES)
  @MaxUtf8Bytes(MAX_SOURCE_BYTES)
  source?: string;

  @ValidateIf((body: CreateShareDto) => body.source !== undefined || body.source_format !== undefined)
  @OneOf('source_format', SOURCE_FORMATS)
  source_format?: SourceFormat;

  @IsOptional()
  @OneOf('theme', THEME_IDS)
  theme?: ThemeId;
}
