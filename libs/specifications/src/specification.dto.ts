import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsObject, IsOptional, IsString, IsUUID, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { ASSAYS, type Assay, type Criterion } from './criteria.js';

export class CriterionLineDto {
  @ApiProperty({ enum: ASSAYS }) @IsIn(ASSAYS)
  assay: Assay;

  @ApiProperty({ example: 'modeNm', description: 'The result field (or marker name) the criterion judges' }) @Matches(/^[A-Za-z0-9_.]{1,60}$/)
  parameter: string;

  @ApiProperty({ example: 'NTA mode size' }) @IsString() @Length(1, 120)
  label: string;

  @ApiProperty({
    description: 'One of: {kind:"range",min?,max?,maxExclusive?,unit} | {kind:"min_count",min} | {kind:"marker",marker,expected:["present"|"absent"|"depleted"]} | {kind:"any_marker_present",markers:[...]} | {kind:"categorical",allowed:[...]} | {kind:"recorded"}',
    example: { kind: 'range', min: 50, max: 150, unit: 'nm' },
  })
  @IsObject()
  criterion: Criterion;

  @ApiPropertyOptional({ enum: ['cell_culture_media', 'serum'], nullable: true }) @IsOptional() @IsIn(['cell_culture_media', 'serum', null])
  appliesToSource?: 'cell_culture_media' | 'serum' | null;

  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean()
  required?: boolean;
}

export class CreateSpecificationDto {
  @ApiPropertyOptional({ example: 'Release specification, v2 (tighter endotoxin)' }) @IsOptional() @IsString() @Length(3, 200)
  title?: string;

  @ApiPropertyOptional({ example: 'misev-default', description: 'Start from a shipped template' }) @IsOptional() @Matches(/^[a-z0-9-]{1,40}$/)
  fromTemplate?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Start from an existing version of this product' }) @IsOptional() @IsUUID()
  fromSpecificationId?: string;

  @ApiPropertyOptional({ type: [CriterionLineDto], description: 'Explicit criteria (instead of a template or version)' })
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(200) @ValidateNested({ each: true }) @Type(() => CriterionLineDto)
  criteria?: CriterionLineDto[];

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000)
  notes?: string;
}

export class ReplaceCriteriaDto {
  @ApiProperty({ type: [CriterionLineDto] })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(200) @ValidateNested({ each: true }) @Type(() => CriterionLineDto)
  criteria: CriterionLineDto[];
}

export class SignDto {
  @ApiProperty({ description: 'The signer re-enters their password' }) @IsString() @Length(1, 200)
  password: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000)
  reason?: string;
}
