import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';
import { MAX_SOURCE_BYTES, SOURCE_FORMATS, SourceFormat } from '@flowsmith/contracts';
import { ListQueryDto } from '../common/pagination';
import { SourceFormatRule } from '../rendering/rendering.dto';
import { MaxUtf8Bytes, NullableUuid, OneOf, OptionalString, RequiredString } from '../common/validation';

export const MAX_NAME_LENGTH = 200;

export class CreateDiagramDto {
  @ApiProperty({ minLength: 1, maxLength: MAX_NAME_LENGTH, example: 'Customer onboarding' })
  @RequiredString('name', MAX_NAME_LENGTH)
  name: string;

  @ApiProperty({ minLength: 1, description: `Diagram source; at most ${MAX_SOURCE_BYTES / 1024} KB of UTF-8 (413 source_too_large). Parsed on write (400 parse_failed).`, example: 'flowchart TD\n A-->B' })
  @RequiredString('source', MAX_SOURCE_BYTES)
  @MaxUtf8Bytes(MAX_SOURCE_BYTES)
  source: string;

  @SourceFormatRule()
  source_format?: SourceFormat;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'The folder to file it in; null or absent for the root.' })
  @NullableUuid('folder_id')
  folder_id?: string | null;
}

export class UpdateDiagramDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: MAX_NAME_LENGTH })
  @OptionalString('name', MAX_NAME_LENGTH)
  name?: string;

  @ApiPropertyOptional({ minLength: 1, description: `At most ${MAX_SOURCE_BYTES / 1024} KB of UTF-8; parsed on write.` })
  @OptionalString('source', MAX_SOURCE_BYTES)
  @MaxUtf8Bytes(MAX_SOURCE_BYTES)
  source?: string;

  @ApiPropertyOptional({ enum: SOURCE_FORMATS, description: "The source's language; when omitted the diagram keeps its own (a PATCH changes only what it sends)." })
  @IsOptional()
  @OneOf('source_format', SOURCE_FORMATS)
  source_format?: SourceFormat;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'Move to this folder; null moves it to the root.' })
  @NullableUuid('folder_id')
  folder_id?: string | null;
}

export class ListDiagramsQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only the diagrams of this folder.' })
  @IsOptional()
  @IsUUID('all', { message: 'folder_id must be a UUID.' })
  folder_id?: string;

  @ApiPropertyOptional({ maxLength: MAX_NAME_LENGTH, example: 'checkout', description: 'Only the diagrams whose name contains this text, in any case (`%` and `_` are plain characters).' })
  @OptionalString('q', MAX_NAME_LENGTH)
  q?: string;
}
