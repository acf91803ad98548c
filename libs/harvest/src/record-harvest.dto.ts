import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsObject, IsInt, IsISO8601, IsNumber, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min, ValidateIf, ValidateNested } from 'class-validator';

export const SOURCE_TYPES = ['cell_culture_media', 'serum'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];
export const ORIGIN_CLASSES = ['human_cell_derived', 'human_serum', 'platelet_derived', 'plant_derived', 'synthetic'] as const;
export type OriginClass = (typeof ORIGIN_CLASSES)[number];
export const CELL_TYPES = ['msc', 'hela', 'hek293', 'dermal_fibroblast', 'keratinocyte', 'plant_cell', 'other'] as const;
export const MSC_TISSUES = ['adipose', 'umbilical_cord', 'bone_marrow', 'placenta', 'dental_pulp', 'other'] as const;

export class CellCultureDetailsDto {
  @ApiProperty({ enum: CELL_TYPES }) @IsIn(CELL_TYPES)
  producingCellType: (typeof CELL_TYPES)[number];

  @ApiPropertyOptional({ enum: MSC_TISSUES, description: 'Required for mesenchymal stem/stromal cells (msc)' })
  @ValidateIf((o: CellCultureDetailsDto) => o.producingCellType === 'msc' || o.sourceTissue !== undefined)
  @IsIn(MSC_TISSUES, { message: 'sourceTissue is required for MSCs and must be one of: ' + MSC_TISSUES.join(', ') })
  sourceTissue?: (typeof MSC_TISSUES)[number];

  @ApiPropertyOptional({ description: 'Free-text cell line or description when producingCellType is other' }) @IsOptional() @IsString() @MaxLength(200)
  cellLineDescription?: string;

  @ApiProperty({ minimum: 0, maximum: 100 }) @IsInt() @Min(0) @Max(100)
  passageNumber: number;

  @ApiPropertyOptional({ description: 'Viable cell count at harvest (give this or confluencePercent)' })
  @ValidateIf((o: CellCultureDetailsDto) => o.confluencePercent === undefined || o.cellCount !== undefined)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'cellCount or confluencePercent is required' }) @Min(1) @Max(1e13)
  cellCount?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 100 })
  @ValidateIf((o: CellCultureDetailsDto) => o.cellCount === undefined || o.confluencePercent !== undefined)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'confluencePercent or cellCount is required' }) @Min(0) @Max(100)
  confluencePercent?: number;

  @ApiProperty({ minimum: 1, maximum: 90 }) @IsInt() @Min(1) @Max(90)
  cultureDays: number;

  @ApiProperty({ description: 'Conditioned media volume, mL' }) @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0.001) @Max(1_000_000)
  mediaVolumeMl: number;

  @ApiProperty({ description: 'Serum-free or EV-depleted media was used' }) @IsBoolean()
  evDepletedMedia: boolean;
}

export class SerumDetailsDto {
  @ApiProperty({ description: 'A pseudonym, never a name: 4-40 upper-case letters, digits or dashes', example: 'DNR-7F3K2' })
  @Matches(/^[A-Z0-9][A-Z0-9-]{3,39}$/, { message: 'donorPseudonym must be a pseudonym code (4-40 upper-case letters, digits or dashes), never a name' })
  donorPseudonym: string;

  @ApiProperty({ example: 'CONSENT-2026-0042' }) @IsString() @Length(3, 80)
  consentReference: string;

  @ApiProperty({ example: '2026-11-20' }) @IsISO8601({ strict: true })
  collectionDate: string;

  @ApiProperty({ description: 'Serum volume, mL' }) @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0.001) @Max(100_000)
  volumeMl: number;

  @ApiProperty({ enum: ['passed', 'failed'], description: 'Haemolysis check result' }) @IsIn(['passed', 'failed'])
  haemolysisCheck: 'passed' | 'failed';
}

/** Recording a harvest starts a batch. */
export class RecordHarvestDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID()
  productId: string;

  @ApiPropertyOptional({ description: 'Human-readable batch number; generated (EXB-YYYY-NNNNN) when omitted', example: 'EXB-2026-00042' })
  @IsOptional() @Matches(/^[A-Z0-9][A-Z0-9-]{2,39}$/, { message: 'batchNumber must be 3-40 upper-case letters, digits or dashes' })
  batchNumber?: string;

  @ApiProperty({ enum: SOURCE_TYPES }) @IsIn(SOURCE_TYPES)
  sourceType: SourceType;

  @ApiProperty({ enum: ORIGIN_CLASSES }) @IsIn(ORIGIN_CLASSES)
  originClass: OriginClass;

  @ApiProperty({ example: '2026-11-22T09:30:00Z' }) @IsISO8601({ strict: true })
  harvestedAt: string;

  @ApiPropertyOptional({ type: CellCultureDetailsDto, description: 'Required when sourceType is cell_culture_media' })
  @ValidateIf((o: RecordHarvestDto) => o.sourceType === 'cell_culture_media' || o.cellCulture !== undefined)
  @IsObject({ message: 'cellCulture details are required for a cell_culture_media harvest' }) @ValidateNested() @Type(() => CellCultureDetailsDto)
  cellCulture?: CellCultureDetailsDto;

  @ApiPropertyOptional({ type: SerumDetailsDto, description: 'Required when sourceType is serum' })
  @ValidateIf((o: RecordHarvestDto) => o.sourceType === 'serum' || o.serum !== undefined)
  @IsObject({ message: 'serum details are required for a serum harvest' }) @ValidateNested() @Type(() => SerumDetailsDto)
  serum?: SerumDetailsDto;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000)
  notes?: string;
}
