import { IsOptional, IsUUID } from 'class-validator';
import { MAX_SOURCE_BYTES, SOURCE_FORMATS, SourceFormat } from '@flowsmith/contracts';
import { ListQueryDto } from '../common/pagination';
import { MaxUtf8Bytes, NullableUuid, OneOf, OptionalString, RequiredString } from '../common/validation';

export const MAX_NAME_LENGTH = 200;

export class CreateDiagramDto {
  @RequiredString('name', MAX_NAME_LENGTH)
  name: string;

  @RequiredString('source', MAX_SOURCE_BYTES)
  @MaxUtf8Bytes(MAX_SOURCE_BYTES)
  source: string;

  @IsOptional()
  @OneOf('source_format', SOURCE_FORMATS)
  source_format?: SourceFormat;

  @NullableUuid('folder_id')
  folder_id?: string | null;
}

export class UpdateDiagramDto {
  @OptionalString('name', MAX_NAME_LENGTH)
  name?: string;

  @OptionalString('source', MAX_SOURCE_BYTES)
  @MaxUtf8Bytes(MAX_SOURCE_BYTES)
  source?: string;

  @IsOptional()
  @OneOf('source_format', SOURCE_FORMATS)
  source_format?: SourceFormat;

  @NullableUuid('folder_id')
  folder_id?: string | null;
}

export class ListDiagramsQueryDto extends ListQueryDto {
  @IsOptional()
  @IsUUID('all', { message: 'folder_id must be a UUID.' })
  folder_id?: string;
}
