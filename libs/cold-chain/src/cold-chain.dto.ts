import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsISO8601, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { PageQuery } from '#platform';

export class RegisterLoggerDto {
  @ApiProperty({ example: 'TL-0042', description: 'The device serial printed on the logger' }) @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, { message: 'code must be 1-40 letters, digits, dots, dashes or underscores' })
  code: string;

  @ApiProperty({ enum: ['freezer', 'shipping'] }) @IsIn(['freezer', 'shipping'])
  kind: 'freezer' | 'shipping';

  @ApiPropertyOptional({ format: 'uuid', description: 'The freezer a freezer logger monitors' }) @IsOptional() @IsUUID()
  freezerId?: string;
}

/** One reading as a logger sends it. Screened one by one: bad ones are reported, good ones kept. */
export class ReadingIn {
  @ApiPropertyOptional({ description: "The logger's id or code (must be the key's logger)" })
  loggerId?: string;

  @ApiProperty({ example: '2026-11-22T10:00:00Z' })
  recordedAt: string;

  @ApiProperty({ example: -79.4 })
  temperatureC: number;
}

export class IngestReadingsDto {
  @ApiProperty({ type: [ReadingIn], maxItems: 5000 }) @IsArray() @ArrayMinSize(1) @ArrayMaxSize(5000)
  readings: unknown[];
}

export class ReadingsQuery {
  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true })
  to?: string;
}

export class ListExcursionsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['unresolved', 'resolved'] }) @IsOptional() @IsIn(['unresolved', 'resolved'])
  status?: 'unresolved' | 'resolved';

  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID()
  loggerId?: string;

  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID()
  freezerId?: string;
}

export class DispositionDto {
  @ApiProperty({ enum: ['release_from_quarantine', 'destroy'] }) @IsIn(['release_from_quarantine', 'destroy'])
  decision: 'release_from_quarantine' | 'destroy';

  @ApiProperty({ example: 'Stability data cover 4 h at -40 °C; peak -52 °C for 50 min.' }) @IsString() @Length(10, 2000)
  justification: string;

  @ApiProperty({ description: 'Your password: the disposition is e-signed' }) @IsString() @Length(1, 200)
  password: string;
}
