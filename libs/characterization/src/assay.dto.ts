import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsObject, IsInt, IsISO8601, IsNumber, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';

const FINITE = { allowNaN: false, allowInfinity: false } as const;

/** Fields every result carries: when, on which instrument, and what it retests. */
export class ResultMetaDto {
  @ApiProperty({ example: '2026-11-22T14:00:00Z' }) @IsISO8601({ strict: true })
  performedAt: string;

  @ApiPropertyOptional({ example: 'NanoSight NS300 #2' }) @IsOptional() @IsString() @MaxLength(120)
  instrument?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The result this one retests (after an OOS investigation)' }) @IsOptional() @IsUUID()
  retestOfId?: string;
}

export class SizeBinDto {
  @ApiProperty() @IsNumber(FINITE) @Min(0) @Max(100_000) sizeNm: number;
  @ApiProperty() @IsNumber(FINITE) @Min(0) concentration: number;
}

export class NtaDataDto {
  @ApiProperty({ description: 'nm' }) @IsNumber(FINITE) @Min(1) @Max(10_000) meanNm: number;
  @ApiProperty({ description: 'nm' }) @IsNumber(FINITE) @Min(1) @Max(10_000) modeNm: number;
  @ApiPropertyOptional({ description: 'nm' }) @IsOptional() @IsNumber(FINITE) @Min(1) @Max(10_000) d10Nm?: number;
  @ApiPropertyOptional({ description: 'nm' }) @IsOptional() @IsNumber(FINITE) @Min(1) @Max(10_000) d50Nm?: number;
  @ApiProperty({ description: 'nm' }) @IsNumber(FINITE) @Min(1) @Max(10_000) d90Nm: number;
  @ApiProperty({ description: 'particles/mL, corrected for dilution' }) @IsNumber(FINITE) @Min(0) @Max(1e16) concentrationPerMl: number;
  @ApiProperty() @IsNumber(FINITE) @Min(1) @Max(1e7) dilutionFactor: number;
  @ApiProperty() @IsInt() @Min(1) @Max(100) videoCount: number;
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @MaxLength(500, { each: true }) warnings?: string[];
  @ApiPropertyOptional({ type: [SizeBinDto] }) @IsOptional() @IsArray() @ArrayMaxSize(5000) @ValidateNested({ each: true }) @Type(() => SizeBinDto) sizeDistribution?: SizeBinDto[];
}

export class EmDataDto {
  @ApiProperty({ enum: ['tem', 'cryo_em', 'sem'] }) @IsIn(['tem', 'cryo_em', 'sem']) method: string;
  @ApiProperty({ enum: ['cup_shaped', 'round', 'irregular', 'aggregated', 'no_vesicles'] }) @IsIn(['cup_shaped', 'round', 'irregular', 'aggregated', 'no_vesicles']) morphology: string;
  @ApiProperty({ description: 'nm' }) @IsNumber(FINITE) @Min(1) @Max(10_000) sizeRangeMinNm: number;
  @ApiProperty({ description: 'nm' }) @IsNumber(FINITE) @Min(1) @Max(10_000) sizeRangeMaxNm: number;
  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'Uploaded image files (wide-field and close-up)' }) @IsOptional() @IsArray() @ArrayMaxSize(20) @IsUUID('all', { each: true }) imageFileIds?: string[];
}

export class MarkerResultDto {
  @ApiProperty({ example: 'CD63' }) @Matches(/^[A-Za-z0-9 _-]{1,40}$/) marker: string;
  @ApiProperty({ enum: ['present', 'absent', 'depleted'] }) @IsIn(['present', 'absent', 'depleted']) result: 'present' | 'absent' | 'depleted';
  @ApiPropertyOptional({ description: 'kDa' }) @IsOptional() @IsNumber(FINITE) @Min(1) @Max(1000) bandSizeKda?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(120) antibody?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(60) antibodyLot?: string;
}

export class WesternBlotDataDto {
  @ApiProperty({ type: [MarkerResultDto] }) @IsArray() @ArrayMinSize(1) @ArrayMaxSize(30) @ValidateNested({ each: true }) @Type(() => MarkerResultDto) markers: MarkerResultDto[];
  @ApiPropertyOptional({ format: 'uuid', description: 'The blot image' }) @IsOptional() @IsUUID() imageFileId?: string;
}

export class FacsDataDto {
  @ApiProperty({ example: 'CD63' }) @Matches(/^[A-Za-z0-9 _-]{1,40}$/) marker: string;
  @ApiProperty({ description: '% marker-positive events' }) @IsNumber(FINITE) @Min(0) @Max(100) percentPositive: number;
  @ApiProperty({ description: '% positive in the isotype control' }) @IsNumber(FINITE) @Min(0) @Max(100) isotypeControlPercent: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) eventCount?: number;
  @ApiPropertyOptional({ enum: ['bead_based', 'nano_flow'] }) @IsOptional() @IsIn(['bead_based', 'nano_flow']) method?: string;
}

export class ProteinDataDto {
  @ApiProperty({ enum: ['bca', 'micro_bca', 'bradford'] }) @IsIn(['bca', 'micro_bca', 'bradford']) method: string;
  @ApiProperty({ description: 'µg/mL' }) @IsNumber(FINITE) @Min(0.000001) @Max(1e6) concentrationUgPerMl: number;
}

export class RnaIsolationDataDto {
  @ApiProperty({ example: 'Total Exosome RNA and Protein Isolation' }) @IsString() @Length(1, 200) kitName: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'The kit lot (a reagent lot of kind rna_kit)' }) @IsOptional() @IsUUID() kitLotId?: string;
  @ApiProperty({ description: 'ng of RNA recovered' }) @IsNumber(FINITE) @Min(0) @Max(1e9) yieldNg: number;
}

export class BioanalyzerDataDto {
  @ApiProperty({ enum: ['bioanalyzer', 'tapestation'] }) @IsIn(['bioanalyzer', 'tapestation']) instrumentType: string;
  @ApiProperty({ description: 'pg/µL' }) @IsNumber(FINITE) @Min(0) @Max(1e9) concentrationPgPerUl: number;
  @ApiPropertyOptional({ description: '% of RNA in the small-RNA region' }) @IsOptional() @IsNumber(FINITE) @Min(0) @Max(100) smallRnaFractionPercent?: number;
  @ApiPropertyOptional({ description: 'RIN or RINe' }) @IsOptional() @IsNumber(FINITE) @Min(1) @Max(10) rin?: number;
  @ApiProperty({ enum: ['present', 'absent'] }) @IsIn(['present', 'absent']) smallRnaProfile: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(120) sampleName?: string;
}

export class QpcrTargetDto {
  @ApiProperty({ example: 'miR-21-5p' }) @Matches(/^[A-Za-z0-9 ._/-]{1,60}$/) target: string;
  @ApiPropertyOptional({ description: 'Cq; omit when not detected' }) @IsOptional() @IsNumber(FINITE) @Min(0) @Max(60) cq?: number;
  @ApiProperty({ description: 'A reference gene or spike-in' }) @IsBoolean() isReference: boolean;
}

export class QpcrDataDto {
  @ApiProperty({ type: [QpcrTargetDto] }) @IsArray() @ArrayMinSize(1) @ArrayMaxSize(500) @ValidateNested({ each: true }) @Type(() => QpcrTargetDto) targets: QpcrTargetDto[];
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(120) sampleName?: string;
}

export class SterilityDataDto {
  @ApiProperty({ enum: ['no_growth', 'growth'] }) @IsIn(['no_growth', 'growth']) result: string;
  @ApiPropertyOptional({ example: 'USP <71> membrane filtration, 14 days' }) @IsOptional() @IsString() @MaxLength(200) method?: string;
}

export class EndotoxinDataDto {
  @ApiProperty({ description: 'EU/mL (LAL)' }) @IsNumber(FINITE) @Min(0) @Max(1e6) euPerMl: number;
  @ApiPropertyOptional({ enum: ['gel_clot', 'kinetic_chromogenic', 'kinetic_turbidimetric', 'recombinant_factor_c'] }) @IsOptional() @IsIn(['gel_clot', 'kinetic_chromogenic', 'kinetic_turbidimetric', 'recombinant_factor_c']) method?: string;
}

export class MycoplasmaDataDto {
  @ApiProperty({ enum: ['negative', 'positive', 'inconclusive'] }) @IsIn(['negative', 'positive', 'inconclusive']) result: string;
  @ApiPropertyOptional({ enum: ['pcr', 'culture', 'luminescence'] }) @IsOptional() @IsIn(['pcr', 'culture', 'luminescence']) method?: string;
}

function withData<T>(dataClass: new () => T) {
  class RecordResult extends ResultMetaDto {
    @ApiProperty({ type: dataClass }) @ValidateNested() @Type(() => dataClass)
    data: T;
  }
  return RecordResult;
}

export class RecordNtaResultDto extends withData(NtaDataDto) {}
export class RecordEmResultDto extends withData(EmDataDto) {}
export class RecordWesternBlotResultDto extends withData(WesternBlotDataDto) {}
export class RecordFacsResultDto extends withData(FacsDataDto) {}
export class RecordProteinResultDto extends withData(ProteinDataDto) {}
export class RecordRnaIsolationResultDto extends withData(RnaIsolationDataDto) {}
export class RecordBioanalyzerResultDto extends withData(BioanalyzerDataDto) {}
export class RecordQpcrResultDto extends withData(QpcrDataDto) {}
export class RecordSterilityResultDto extends withData(SterilityDataDto) {}
export class RecordEndotoxinResultDto extends withData(EndotoxinDataDto) {}
export class RecordMycoplasmaResultDto extends withData(MycoplasmaDataDto) {}

export const DATA_CLASSES = {
  nta: NtaDataDto, em: EmDataDto, western_blot: WesternBlotDataDto, facs: FacsDataDto, protein: ProteinDataDto,
  rna_isolation: RnaIsolationDataDto, bioanalyzer: BioanalyzerDataDto, qpcr: QpcrDataDto,
  sterility: SterilityDataDto, endotoxin: EndotoxinDataDto, mycoplasma: MycoplasmaDataDto,
} as const;

export class CorrectResultDto {
  @ApiProperty({ description: 'The corrected data, in the same shape as the assay records', type: 'object', additionalProperties: true })
  @IsObject()
  data: Record<string, unknown>;

  @ApiProperty({ description: 'Why the value is corrected (mandatory)' }) @IsString() @Length(3, 2000)
  reason: string;

  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true })
  performedAt?: string;
}
