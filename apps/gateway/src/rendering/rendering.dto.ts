import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsDefined, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { DEFAULT_THEME, BACKGROUND_PATTERN, DEFAULT_MERMAID_LAYOUT, DEFAULT_MERMAID_LOOK, MAX_EMBED_SOURCE_BYTES, MAX_SIZE_OPTION, MAX_SOURCE_BYTES, MERMAID_LAYOUTS, MERMAID_LOOKS, MermaidLayout, MermaidLook, OUTPUT_FORMATS, OutputFormat, Scale, SCALES, SOURCE_FORMATS, SourceFormat, THEME_IDS, ThemeId } from '@flowsmith/contracts';
import { MaxUtf8Bytes, OneOf, OptionalString, RequiredString } from '../common/validation';

/** draw.io's page: by 1-based number or by name; JSON may send the number as a number. */
const PageRule = () =>
  applyDecorators(
    ApiPropertyOptional({ type: String, maxLength: 200, description: 'draw.io only: the page to render, by 1-based number or by name (default: the first).', example: '1' }),
    Transform(({ value }) => (typeof value === 'number' ? String(value) : value)),
    OptionalString('page', 200),
  );

/**
 * `source_format` where a source is sent: optional everywhere, detected from the source when
 * omitted (apps/gateway/src/rendering/render-options.ts, sourceFormatOf), answered as `detected_format`.
 */
export const SourceFormatRule = () =>
  applyDecorators(
    ApiPropertyOptional({ enum: SOURCE_FORMATS, example: 'mermaid', description: "The source's language. When omitted it is detected from the source (Mermaid's diagram keyword, PlantUML's `@start…`, draw.io's `<mxfile>`, BPMN's `definitions`, SVG's `<svg>`, DOT's `digraph {`, …: docs/api.md) and the response says which in `detected_format`; a source that shows none is 400 `missing_parameter`." }),
    IsOptional(),
    OneOf('source_format', SOURCE_FORMATS),
  );

/** Mermaid's layout engine; ignored by the other formats. Defaults: libs/rendering/src/mermaid/mermaid-engine.ts. */
export const LayoutRule = () =>
  applyDecorators(
    ApiPropertyOptional({ enum: MERMAID_LAYOUTS, default: DEFAULT_MERMAID_LAYOUT, description: 'Mermaid only: the layout engine (`dagre` or `elk`; docs/mermaid.md says why the default). Types with a layout of their own (mindmap, gantt, architecture, ...) keep it. Other formats ignore it.' }),
    IsOptional(),
    OneOf('layout', MERMAID_LAYOUTS),
  );

/** Mermaid's look; ignored by the other formats. */
export const LookRule = () =>
  applyDecorators(
    ApiPropertyOptional({ enum: MERMAID_LOOKS, default: DEFAULT_MERMAID_LOOK, description: 'Mermaid only: `classic`, `neo` or `handDrawn` (drawn with a fixed seed, so the same source always gives the same picture). Other formats ignore it.' }),
    IsOptional(),
    OneOf('look', MERMAID_LOOKS),
  );

/** `true`/`false` in a query string, a boolean in JSON. */
const EmbedFontsRule = () =>
  applyDecorators(
    ApiPropertyOptional({ type: Boolean, default: false, description: 'SVG only: embed the subset of the fonts the drawing uses (WOFF2), so it looks the same where those fonts are not installed. Exports and shares always embed them.' }),
    IsOptional(),
    Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value)),
    IsBoolean({ message: 'embed_fonts must be true or false.' }),
  );

/** The canvas: `theme`, `transparent` or `#rrggbb` (libs/contracts/src/rendering.ts, BACKGROUND_PATTERN). */
const BackgroundRule = () =>
  applyDecorators(
    ApiPropertyOptional({ type: String, pattern: BACKGROUND_PATTERN.source, default: 'theme', description: "The canvas: `theme` (the theme's), `transparent` (SVG, PNG and WebP; a JPEG keeps the theme's) or a colour `#rrggbb`." }),
    IsOptional(),
    IsString({ message: 'background must be theme, transparent or a colour #rrggbb.' }),
    Matches(BACKGROUND_PATTERN, { message: 'background must be theme, transparent or a colour #rrggbb.' }),
  );

/** `width` / `height`: the drawing's size in CSS px (libs/contracts/src/rendering.ts, RenderInput). */
const SizeRule = (name: 'width' | 'height') =>
  applyDecorators(
    ApiPropertyOptional({ type: Number, minimum: 1, maximum: MAX_SIZE_OPTION, description: `The drawing's ${name} in CSS px (SVG and PDF size; PNG, JPEG and WebP before \`scale\`). ${name === 'width' ? 'Alone' : 'Alone, as `width`,'} it keeps the aspect; with ${name === 'width' ? '`height`' : '`width`'} the drawing fits inside both.` }),
    IsOptional(),
    Type(() => Number),
    IsInt({ message: `${name} must be a whole number of pixels from 1 to ${MAX_SIZE_OPTION}.` }),
    Min(1, { message: `${name} must be a whole number of pixels from 1 to ${MAX_SIZE_OPTION}.` }),
    Max(MAX_SIZE_OPTION, { message: `${name} must be a whole number of pixels from 1 to ${MAX_SIZE_OPTION}.` }),
  );

const ScaleRule = () => IsIn(SCALES as unknown as number[], { message: 'scale must be one of: 1, 2, 4.' });
export const FILENAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,99}$/;

export class ImageQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: 'Render this revision of the diagram instead of the newest.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'revision must be a revision number (an integer from 1).' })
  @Min(1, { message: 'revision must be a revision number (an integer from 1).' })
  @Max(2_147_483_647, { message: 'revision must be a revision number (an integer from 1).' })
  revision?: number;

  @ApiPropertyOptional({ enum: THEME_IDS, default: DEFAULT_THEME })
  @IsOptional()
  @OneOf('theme', THEME_IDS)
  theme?: ThemeId;

  @ApiPropertyOptional({ enum: OUTPUT_FORMATS, default: 'png' })
  @IsOptional()
  @OneOf('format', OUTPUT_FORMATS)
  format?: OutputFormat;

  @ApiPropertyOptional({ enum: SCALES, default: 1, description: 'PNG, JPEG and WebP; clamped to the plan\'s maximum (X-Scale-Clamped).' })
  @IsOptional()
  @Type(() => Number)
  @ScaleRule()
  scale?: Scale;

  @PageRule()
  page?: string;

  @LayoutRule()
  layout?: MermaidLayout;

  @LookRule()
  look?: MermaidLook;

  @EmbedFontsRule()
  embed_fonts?: boolean;

  @BackgroundRule()
  background?: string;

  @SizeRule('width')
  width?: number;

  @SizeRule('height')
  height?: number;
}

/** The public share's image: its size may be asked for (`GET /v1/share/{id}.png?width=800`). */
export class ShareImageQueryDto {
  @SizeRule('width')
  width?: number;

  @SizeRule('height')
  height?: number;
}

class SourceBody {
  @ApiProperty({ minLength: 1, description: `The diagram source; at most ${MAX_SOURCE_BYTES / 1024} KB of UTF-8 (413 source_too_large). Never stored.`, example: 'flowchart TD\n A-->B' })
  @RequiredString('source', MAX_SOURCE_BYTES)
  @MaxUtf8Bytes(MAX_SOURCE_BYTES)
  source: string;

  @SourceFormatRule()
  source_format?: SourceFormat;

  @ApiPropertyOptional({ enum: THEME_IDS, default: DEFAULT_THEME })
  @IsOptional()
  @OneOf('theme', THEME_IDS)
  theme?: ThemeId;

  @PageRule()
  page?: string;

  @LayoutRule()
  layout?: MermaidLayout;

  @LookRule()
  look?: MermaidLook;

  @BackgroundRule()
  background?: string;

  @SizeRule('width')
  width?: number;

  @SizeRule('height')
  height?: number;
}

export class BeautifyDto extends SourceBody {
  @EmbedFontsRule()
  embed_fonts?: boolean;
}

export class ExportDto extends SourceBody {
  @ApiPropertyOptional({ enum: OUTPUT_FORMATS, default: 'svg' })
  @IsOptional()
  @OneOf('format', OUTPUT_FORMATS)
  format?: OutputFormat;

  @ApiPropertyOptional({ enum: SCALES, default: 1, description: 'PNG, JPEG and WebP; clamped to the plan\'s maximum (X-Scale-Clamped).' })
  @IsOptional()
  @ScaleRule()
  scale?: Scale;

  @ApiPropertyOptional({ pattern: FILENAME_PATTERN.source, maxLength: 100, description: 'Overrides the download name (default `diagram-<type>-<sha6>.<ext>`).' })
  @IsOptional()
  @IsString({ message: 'filename must be a string.' })
  @Matches(FILENAME_PATTERN, { message: 'filename may hold letters, digits, spaces, dots, dashes and underscores (at most 100).' })
  filename?: string;
}

export class ExportQueryDto {
  @ApiPropertyOptional({ enum: ['json', 'file'], default: 'file', description: '`json` returns JSON with the file base64-encoded (as `Accept: application/json` does).' })
  @IsOptional()
  @OneOf('response', ['json', 'file'])
  response?: 'json' | 'file';

  @ApiPropertyOptional({ pattern: FILENAME_PATTERN.source, maxLength: 100, description: 'Overrides the download name; wins over the body\'s `filename`.' })
  @IsOptional()
  @IsString({ message: 'filename must be a string.' })
  @Matches(FILENAME_PATTERN, { message: 'filename may hold letters, digits, spaces, dots, dashes and underscores (at most 100).' })
  filename?: string;
}

export class EmbedQueryDto {
  @ApiProperty({ description: `The diagram source, base64url (or base64) of UTF-8; at most ${MAX_EMBED_SOURCE_BYTES / 1024} KB decoded (413 source_too_large).`, example: 'Zmxvd2NoYXJ0IFRECiBBLS0-Qg' })
  @IsDefined({ message: 'Missing required parameter: source.' })
  @IsString({ message: 'source must be a string.' })
  @MaxLength(16 * 1024, { message: 'source is larger than 5 KB decoded.' })
  @Transform(({ value }) => (Array.isArray(value) ? value[0] : value))
  source: string;

  @SourceFormatRule()
  source_format?: SourceFormat;

  @ApiPropertyOptional({ enum: THEME_IDS, default: DEFAULT_THEME })
  @IsOptional()
  @OneOf('theme', THEME_IDS)
  theme?: ThemeId;

  @LayoutRule()
  layout?: MermaidLayout;

  @LookRule()
  look?: MermaidLook;

  @EmbedFontsRule()
  embed_fonts?: boolean;
}
