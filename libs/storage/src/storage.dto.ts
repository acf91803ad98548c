import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsCelsius } from '#platform';
import { ArrayMaxSize, ArrayMinSize, IsInt, IsISO8601, IsNumber, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';

const FINITE = { allowNaN: false, allowInfinity: false } as const;
const CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;
const CODE_MESSAGE = 'must be 1-40 letters, digits, dots, dashes or underscores';
/** Vial serials as printed: 8-20 digits and upper-case letters (scanners may send lower case). */
export const SERIAL_PATTERN = /^[0-9A-Za-z]{8,20}$/;

export class CreateSiteDto {
  @ApiProperty({ example: 'AMS-1' }) @Matches(CODE, { message: `code ${CODE_MESSAGE}` })
  code: string;

  @ApiProperty({ example: 'Amsterdam lab' }) @IsString() @Length(2, 200)
  name: string;
}

export class CreateFreezerDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID()
  siteId: string;

  @ApiProperty({ example: 'ULT-01' }) @Matches(CODE, { message: `code ${CODE_MESSAGE}` })
  code: string;

  @ApiProperty({ example: 'Ultra-low freezer 1' }) @IsString() @Length(2, 200)
  name: string;

  @ApiProperty({ example: -80 }) @IsCelsius(-200, 10)
  setPointC: number;

  @ApiProperty({ example: -60, description: 'Readings above this are an excursion once they last longer than the grace period' }) @IsCelsius(-200, 30)
  alarmHighC: number;

  @ApiPropertyOptional({ example: 1800, default: 1800, description: 'Seconds above the limit tolerated (door openings)' }) @IsOptional() @IsInt() @Min(0) @Max(86400)
  graceSeconds?: number;

  @ApiPropertyOptional({ example: 3600, default: 3600, description: 'A gap between readings longer than this is an excursion' }) @IsOptional() @IsInt() @Min(1) @Max(604800)
  maxGapSeconds?: number;
}

export class CreateRackDto {
  @ApiProperty({ example: 'R1' }) @Matches(CODE, { message: `code ${CODE_MESSAGE}` })
  code: string;
}

export class CreateBoxDto {
  @ApiProperty({ example: 'BOX-0001', description: 'Printed on the box; unique across sites' }) @Matches(CODE, { message: `code ${CODE_MESSAGE}` })
  code: string;

  @ApiProperty({ example: 9 }) @IsInt() @Min(1) @Max(26)
  rows: number;

  @ApiProperty({ example: 9 }) @IsInt() @Min(1) @Max(26)
  cols: number;
}

export class PositionDto {
  @ApiProperty({ example: 'K7M9X2PQ4RTW', description: 'The scanned vial serial' }) @Matches(SERIAL_PATTERN, { message: 'serial must be 8-20 letters or digits' })
  serial: string;

  @ApiProperty({ format: 'uuid' }) @IsUUID()
  boxId: string;

  @ApiProperty({ example: 1 }) @IsInt() @Min(1) @Max(26)
  row: number;

  @ApiProperty({ example: 1 }) @IsInt() @Min(1) @Max(26)
  col: number;
}

export class BulkMoveDto {
  @ApiProperty({ type: [PositionDto] }) @ValidateNested({ each: true }) @Type(() => PositionDto) @ArrayMinSize(1) @ArrayMaxSize(500)
  moves: PositionDto[];
}

export class ScanDto {
  @ApiProperty({ example: 'K7M9X2PQ4RTW' }) @Matches(SERIAL_PATTERN, { message: 'serial must be 8-20 letters or digits' })
  serial: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500)
  reason?: string;
}

export class DestroyVialDto {
  @ApiProperty({ example: 'K7M9X2PQ4RTW' }) @Matches(SERIAL_PATTERN, { message: 'serial must be 8-20 letters or digits' })
  serial: string;

  @ApiProperty({ example: 'Vial cracked on retrieval' }) @IsString() @Length(3, 500)
  reason: string;
}

export class FillVialDto {
  @ApiProperty({ example: 0.5, description: 'mL' }) @IsNumber(FINITE) @Min(0.001) @Max(1000)
  volumeMl: number;

  @ApiPropertyOptional({ format: 'uuid', description: 'The clinic a patient-specific vial is made for' }) @IsOptional() @IsUUID()
  clinicId?: string;

  @ApiPropertyOptional({ example: 'PT-7F3K2', description: 'Order or patient pseudonym, never a name' }) @IsOptional()
  @Matches(/^(?=.*[0-9])[A-Z0-9][A-Z0-9-]{3,39}$/, { message: 'patientRef must be a pseudonym code (4-40 upper-case letters, digits or dashes, with at least one digit), never a name' })
  patientRef?: string;
}

export class FillDto {
  @ApiProperty({ example: 'HA 1% reconstitution solution' }) @IsString() @Length(2, 200)
  solutionName: string;

  @ApiProperty({ example: 'HA-2611-07' }) @Matches(/^[A-Za-z0-9][A-Za-z0-9./-]{0,39}$/, { message: 'solutionLot must be 1-40 letters, digits, dots, slashes or dashes' })
  solutionLot: string;

  @ApiPropertyOptional({ description: 'Fill time (default now)' }) @IsOptional() @IsISO8601({ strict: true })
  filledAt?: string;

  @ApiProperty({ type: [FillVialDto] }) @ValidateNested({ each: true }) @Type(() => FillVialDto) @ArrayMinSize(1) @ArrayMaxSize(500)
  vials: FillVialDto[];
}

export class BulkContainerDto {
  @ApiProperty({ example: 2, description: 'mL of bulk material in the container' }) @IsNumber(FINITE) @Min(0.001) @Max(100000)
  volumeMl: number;
}
