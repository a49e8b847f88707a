import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsUUID } from 'class-validator';
import { ListQueryDto } from '../common/pagination';
import { NullableString, NullableUuid, OptionalString, RequiredString } from '../common/validation';
import { MAX_NAME_LENGTH } from '../diagrams/diagram.dto';

/** The folder's context steers generation; it is sent to the model with every prompt. */
export const MAX_CONTEXT_LENGTH = 4000;

export class CreateFolderDto {
  @ApiProperty({ minLength: 1, maxLength: MAX_NAME_LENGTH, example: 'Onboarding' })
  @RequiredString('name', MAX_NAME_LENGTH)
  name: string;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'The parent folder; null or absent for the root.' })
  @NullableUuid('parent_id')
  parent_id?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: MAX_CONTEXT_LENGTH, description: 'Free text that steers every generation made into the folder.' })
  @NullableString('context', MAX_CONTEXT_LENGTH)
  context?: string | null;
}

export class UpdateFolderDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: MAX_NAME_LENGTH })
  @OptionalString('name', MAX_NAME_LENGTH)
  name?: string;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'Move under this folder; null moves it to the root.' })
  @NullableUuid('parent_id')
  parent_id?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: MAX_CONTEXT_LENGTH, description: 'null clears it.' })
  @NullableString('context', MAX_CONTEXT_LENGTH)
  context?: string | null;
}

export class ListFoldersQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only the folders directly under this one.' })
  @IsOptional()
  @IsUUID('all', { message: 'parent_id must be a UUID.' })
  parent_id?: string;
}

export class DeleteFolderQueryDto {
  @ApiPropertyOptional({ type: Boolean, default: false, description: 'Delete a folder that is not empty, moving its contents to its parent (409 folder_not_empty otherwise).' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'force must be true or false.' })
  force?: boolean;
}
