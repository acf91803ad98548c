import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { IsCelsius, PageQuery } from '#platform';
import { SERIAL_PATTERN } from '#storage';


export class CreateShipmentDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID()
  clinicId: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The shipping logger packed in the container' }) @IsOptional() @IsUUID()
  loggerId?: string;

  @ApiPropertyOptional({ example: -60, default: -60, description: 'Container alarm limit (dry ice shippers hold below -60 °C)' }) @IsOptional() @IsCelsius(-200, 30)
  alarmHighC?: number;

  @ApiPropertyOptional({ default: 1800 }) @IsOptional() @IsInt() @Min(0) @Max(86400)
  graceSeconds?: number;

  @ApiPropertyOptional({ default: 3600 }) @IsOptional() @IsInt() @Min(1) @Max(604800)
  maxGapSeconds?: number;
}

export class PackDto {
  @ApiProperty({ type: [String], example: ['K7M9X2PQ4RTW'] }) @ArrayMinSize(1) @ArrayMaxSize(500) @Matches(SERIAL_PATTERN, { each: true, message: 'each serial must be 8-20 letters or digits' })
  serials: string[];
}

export class RecordUseDto {
  @ApiPropertyOptional({ enum: ['administered', 'destroyed'], default: 'administered' }) @IsOptional() @IsIn(['administered', 'destroyed'])
  outcome?: 'administered' | 'destroyed';

  @ApiPropertyOptional({ description: 'Required when the vial is destroyed (e.g. dropped, seal broken)' }) @ValidateIf((o: RecordUseDto) => o.outcome === 'destroyed' || o.reason !== undefined) @IsString() @Length(3, 2000)
  reason?: string;
}

export class ReceiveDto {
  @ApiPropertyOptional({ example: 'Dry ice present, container intact' }) @IsOptional() @IsString() @MaxLength(2000)
  notes?: string;
}

export class ListShipmentsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['packing', 'shipped', 'received'] }) @IsOptional() @IsIn(['packing', 'shipped', 'received'])
  status?: 'packing' | 'shipped' | 'received';
}
