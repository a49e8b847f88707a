import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsUUID } from 'class-validator';
import { DEFAULT_THEME, MAX_SOURCE_BYTES, MermaidLayout, MermaidLook, SourceFormat, THEME_IDS, ThemeId } from '@flowsmith/contracts';
import { MaxUtf8Bytes, OneOf, OptionalString } from '../common/validation';
import { LayoutRule, LookRule, SourceFormatRule } from '../rendering/rendering.dto';

/** Either a stored diagram (`diagram_id`) or a source to publish as it is. */
export class CreateShareDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'A stored diagram to publish (it stays live: the share renders the diagram as it is now). Either this or `source`.' })
  @IsOptional()
  @IsUUID('all', { message: 'diagram_id must be a UUID.' })
  diagram_id?: string;

  @ApiPropertyOptional({ minLength: 1, description: `A source to publish as it is; at most ${MAX_SOURCE_BYTES / 1024} KB of UTF-8. Either this or \`diagram_id\`.` })
  @OptionalString('source', MAX_SOURCE_BYTES)
  @MaxUtf8Bytes(MAX_SOURCE_BYTES)
  source?: string;

  @SourceFormatRule()
  source_format?: SourceFormat;

  @ApiPropertyOptional({ type: Boolean, default: false, description: 'A share of a diagram shows the revision it was made from; `true` makes it follow the newest instead.' })
  @IsOptional()
  @IsBoolean({ message: 'follow_latest must be true or false.' })
  follow_latest?: boolean;

  @ApiPropertyOptional({ enum: THEME_IDS, default: DEFAULT_THEME })
  @IsOptional()
  @OneOf('theme', THEME_IDS)
  theme?: ThemeId;

  @LayoutRule()
  layout?: MermaidLayout;

  @LookRule()
  look?: MermaidLook;
}
