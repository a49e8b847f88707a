import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsUUID } from 'class-validator';
import { ListQueryDto } from '../common/pagination';
import { NullableString, NullableUuid, OptionalString, RequiredString } from '../common/validation';
import { MAX_NAME_LENGTH } from '../diagrams/diagram.dto';

/** The folder's context steers generation; it is sent to the model with every prompt. */
export const MAX_CONTEXT_LENGTH = 4000;

export class CreateFolderDto {
  @RequiredString('name', MAX_NAME_LENGTH)
  name: string;

  @NullableUuid('parent_id')
  parent_id?: string | null;

  @NullableString('context', MAX_CONTEXT_LENGTH)
  context?: string | null;
}

export class UpdateFolderDto {
  @OptionalString('name', MAX_NAME_LENGTH)
  name?: string;

  @NullableUuid('parent_id')
  parent_id?: string | null;

  @NullableString('context', MAX_CONTEXT_LENGTH)
  context?: string | null;
}

export class ListFoldersQueryDto extends ListQueryDto {
  @IsOptional()
  @IsUUID('all', { message: 'parent_id must be a UUID.' })
  parent_id?: string;
}

export class DeleteFolderQueryDto {
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'force must be true or false.' })
  force?: boolean;
}
