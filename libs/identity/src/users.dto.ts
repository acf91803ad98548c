import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsIn, IsOptional, Matches, IsString, IsUUID, Length, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { PageQuery, ROLES, type Role } from '#platform';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './passwords.js';

export class CreateUserDto {
  @ApiProperty({ example: 'j.devries@lab.example' }) @IsEmail() @MaxLength(320)
  email: string;

  @ApiProperty({ example: 'Jana de Vries', description: 'Printed name on audit entries and signatures' }) @IsString() @Length(2, 120)
  displayName: string;

  @ApiProperty({ enum: ROLES }) @IsIn(ROLES)
  role: Role;

  @ApiPropertyOptional({ format: 'uuid', description: 'Required for, and only for, the clinic role' }) @IsOptional() @IsUUID()
  clinicId?: string;

  @ApiProperty({ format: 'password', minLength: PASSWORD_MIN_LENGTH, description: 'Initial password; the user should change it' })
  @IsString() @MinLength(PASSWORD_MIN_LENGTH) @MaxLength(PASSWORD_MAX_LENGTH)
  password: string;
}

export class UpdateUserDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(2, 120)
  displayName?: string;

  @ApiPropertyOptional({ enum: ROLES }) @IsOptional() @IsIn(ROLES)
  role?: Role;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, description: 'null to detach (when leaving the clinic role)' })
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsUUID()
  clinicId?: string | null;

  @ApiPropertyOptional() @IsOptional() @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ description: 'Why, for the audit trail' }) @IsOptional() @IsString() @MaxLength(500)
  reason?: string;
}

export class UnlockUserDto {
  @ApiPropertyOptional({ description: 'Why, for the audit trail' }) @IsOptional() @IsString() @MaxLength(500)
  reason?: string;
}

export class ListUsersQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ROLES }) @IsOptional() @IsIn(ROLES)
  role?: Role;

  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID()
  clinicId?: string;

  @ApiPropertyOptional() @IsOptional() @IsIn(['true', 'false'])
  active?: 'true' | 'false';
}

export class CreateClinicDto {
  @ApiProperty({ example: 'CLN-AMS-01' }) @IsString() @Matches(/^[A-Z0-9][A-Z0-9-]{1,31}$/, { message: 'code must be 2-32 upper-case letters, digits or dashes' })
  code: string;

  @ApiProperty({ example: 'Amsterdam Skin Clinic' }) @IsString() @Length(2, 200)
  name: string;

  @ApiPropertyOptional({ example: 'NL', description: 'ISO 3166-1 alpha-2' }) @IsOptional() @Matches(/^[A-Z]{2}$/, { message: 'country must be a two-letter ISO code' })
  country?: string;
}

/** A clinic as lab staff see it in the directory (choosing where a shipment goes). */
export class ClinicDirectoryEntryDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'CLN-AMS-01' })
  code: string;

  @ApiProperty({ example: 'Amsterdam Skin Clinic' })
  name: string;

  @ApiProperty({ example: 'NL', nullable: true, type: String })
  country: string | null;

  @ApiProperty({ description: 'Only an active clinic can receive a shipment or have users' })
  active: boolean;
}
