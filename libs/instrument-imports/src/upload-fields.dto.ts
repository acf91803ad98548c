import { Transform } from 'class-transformer';
import { IsDefined, IsIn, IsISO8601, IsNumber, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { INSTRUMENT_FORMATS, type InstrumentFormat } from '#instruments';
import { IMPORT_ASSAYS, type ImportAssay } from './result-candidates.js';

const FINITE = { allowNaN: false, allowInfinity: false } as const;
/** Form fields arrive as text: a well-formed decimal becomes a number, anything else stays text and fails @IsNumber. */
const toNumber = () => Transform(({ value }) => (typeof value === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value) ? Number(value) : value));

/** How the file maps to a result; every field optional (what a format needs is checked once the format is known). */
export class MappingFieldsDto {
  @IsOptional() @IsIn(INSTRUMENT_FORMATS as InstrumentFormat[])
  format?: InstrumentFormat;

  @ValidateIf((o: MappingFieldsDto) => o.channel !== undefined || o.threshold !== undefined)
  @IsDefined({ message: 'channel is required with threshold' }) @IsString() @Length(1, 200)
  channel?: string;

  @ValidateIf((o: MappingFieldsDto) => o.channel !== undefined || o.threshold !== undefined)
  @IsDefined({ message: 'threshold is required with channel' }) @toNumber() @IsNumber(FINITE)
  threshold?: number;

  @IsOptional() @toNumber() @IsNumber(FINITE) @Min(0) @Max(100)
  isotypeControlPercent?: number;

  @IsOptional() @Matches(/^[A-Za-z0-9 _-]{1,40}$/, { message: 'marker must be 1-40 letters, digits, spaces, _ or -' })
  marker?: string;

  /** Comma-separated RDML target ids that are reference genes or spike-ins. */
  @IsOptional() @IsString() @MaxLength(2000)
  @Matches(/^\s*[A-Za-z0-9 ._/-]{1,60}\s*(,\s*[A-Za-z0-9 ._/-]{1,60}\s*)*$/, { message: 'referenceTargets must be comma-separated target ids' })
  referenceTargets?: string;
}

export class ParseFieldsDto extends MappingFieldsDto {}

export class ImportFieldsDto extends MappingFieldsDto {
  @IsDefined({ message: 'assay is required' }) @IsIn(IMPORT_ASSAYS as unknown as string[])
  assay: ImportAssay;

  @IsDefined({ message: 'performedAt is required' }) @IsISO8601({ strict: true })
  performedAt: string;

  @IsOptional() @IsString() @Length(1, 120)
  instrument?: string;

  @IsOptional() @IsUUID()
  retestOfId?: string;

  /** RDML sample id, or Agilent well / sample name, when the file holds several samples. */
  @IsOptional() @IsString() @Length(1, 200)
  sample?: string;
}

/** Image uploads take no fields besides the file. */
export class ImageFieldsDto {}

export function referenceTargetList(fields: MappingFieldsDto): string[] | undefined {
  if (fields.referenceTargets === undefined) return undefined;
  return fields.referenceTargets.split(',').map((t) => t.trim()).filter(Boolean);
}
