import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsNumber, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { STEP_TYPES, type StepType } from './step-rules.js';

const FINITE = { allowNaN: false, allowInfinity: false } as const;

export class StepParametersDto {
  @ApiPropertyOptional({ description: 'Relative centrifugal force, × g' }) @IsOptional() @IsNumber(FINITE) @Min(1) @Max(1_000_000)
  gForce?: number;

  @ApiPropertyOptional() @IsOptional() @IsNumber(FINITE) @Min(0.1) @Max(7 * 24 * 60)
  durationMinutes?: number;

  @ApiPropertyOptional() @IsOptional() @IsNumber(FINITE) @Min(-20) @Max(100)
  temperatureC?: number;

  @ApiPropertyOptional({ description: 'Input sample volume, mL' }) @IsOptional() @IsNumber(FINITE) @Min(0.001) @Max(1_000_000)
  sampleVolumeMl?: number;

  @ApiPropertyOptional({ description: 'Reagent volume added, mL' }) @IsOptional() @IsNumber(FINITE) @Min(0.001) @Max(1_000_000)
  reagentVolumeMl?: number;

  @ApiPropertyOptional({ description: 'Resuspension volume, mL' }) @IsOptional() @IsNumber(FINITE) @Min(0.001) @Max(100_000)
  resuspensionVolumeMl?: number;

  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(1000)
  fractionsCollected?: number;

  @ApiPropertyOptional({ description: 'TFF membrane molecular-weight cut-off, kDa' }) @IsOptional() @IsNumber(FINITE) @Min(1) @Max(10_000)
  membraneCutoffKda?: number;

  @ApiPropertyOptional({ example: 'SW41 Ti' }) @IsOptional() @IsString() @MaxLength(80)
  rotor?: string;
}

export class RecordIsolationStepDto {
  @ApiProperty({ enum: STEP_TYPES }) @IsIn(STEP_TYPES)
  stepType: StepType;

  @ApiPropertyOptional({ format: 'uuid', description: 'The reagent lot used (required for precipitation and SEC)' }) @IsOptional() @IsUUID()
  reagentLotId?: string;

  @ApiProperty({ example: '2026-11-22T10:00:00Z' }) @IsISO8601({ strict: true })
  performedAt: string;

  @ApiProperty({ type: StepParametersDto }) @ValidateNested() @Type(() => StepParametersDto)
  parameters: StepParametersDto;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000)
  notes?: string;
}

export class CompleteIsolationDto {
  @ApiProperty({ description: 'Isolated exosome yield, mL' }) @IsNumber(FINITE) @Min(0.001) @Max(100_000)
  yieldVolumeMl: number;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000)
  notes?: string;
}

export const REAGENT_KINDS = ['precipitation', 'buffer', 'sec_column', 'tff_membrane', 'rna_kit', 'other'] as const;

export class CreateReagentDto {
  @ApiProperty({ example: 'Total Exosome Isolation (from serum)' }) @IsString() @Length(2, 200)
  name: string;

  @ApiProperty({ example: 'Invitrogen' }) @IsString() @Length(1, 120)
  manufacturer: string;

  @ApiProperty({ example: '4478360' }) @IsString() @Matches(/^[A-Za-z0-9][A-Za-z0-9./-]{0,39}$/, { message: 'catalogueNumber must be 1-40 letters, digits, dots, slashes or dashes' })
  catalogueNumber: string;

  @ApiProperty({ enum: REAGENT_KINDS }) @IsIn(REAGENT_KINDS)
  kind: (typeof REAGENT_KINDS)[number];

  @ApiProperty({ enum: ['cell_culture_media', 'serum', 'any'], description: 'The starting material the reagent is made for' }) @IsIn(['cell_culture_media', 'serum', 'any'])
  intendedSource: 'cell_culture_media' | 'serum' | 'any';
}

export class CreateReagentLotDto {
  @ApiProperty({ example: '00981234' }) @IsString() @Matches(/^[A-Za-z0-9][A-Za-z0-9./-]{0,39}$/, { message: 'lotNumber must be 1-40 letters, digits, dots, slashes or dashes' })
  lotNumber: string;

  @ApiProperty({ example: '2027-06-30' }) @IsISO8601({ strict: true }) @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'expiryDate must be a date (YYYY-MM-DD)' })
  expiryDate: string;

  @ApiProperty({ example: '2026-11-01' }) @IsISO8601({ strict: true }) @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'receivedDate must be a date (YYYY-MM-DD)' })
  receivedDate: string;
}
