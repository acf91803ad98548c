import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID, Matches, MaxLength } from 'class-validator';
import { PageQuery, Roles, UuidPipe } from '#platform';
import { ESignatures } from './e-signatures.service.js';
import { SIGNATURE_MEANINGS, type SignatureMeaning } from './meanings.js';

export class ListSignaturesQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'specification' }) @IsOptional() @Matches(/^[a-z][a-z0-9_]{1,62}$/)
  recordType?: string;

  @ApiPropertyOptional() @IsOptional() @MaxLength(200)
  recordId?: string;

  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID()
  signerId?: string;

  @ApiPropertyOptional({ enum: SIGNATURE_MEANINGS }) @IsOptional() @IsIn(SIGNATURE_MEANINGS)
  meaning?: SignatureMeaning;
}

/** Reading signatures; signing happens only inside the domain commands that need one. */
@ApiTags('signatures')
@ApiBearerAuth()
@Controller('signatures')
@Roles('technician', 'qa_manager', 'admin')
export class SignaturesController {
  constructor(private readonly signatures: ESignatures) {}

  /** Signatures with `valid`: whether the record is still the exact version signed. */
  @Get()
  list(@Query() query: ListSignaturesQuery) {
    return this.signatures.list(query);
  }

  /** One signature with the record exactly as it was signed. */
  @Get(':id')
  get(@Param('id', UuidPipe) id: string) {
    return this.signatures.get(id);
  }
}
