import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length, MaxLength, ValidateIf } from 'class-validator';
import { type CommandContext, Ctx, Roles, UuidPipe } from '#platform';
import { InvestigationService } from './investigations.service.js';

export class ListInvestigationsQuery {
  @ApiPropertyOptional({ enum: ['open', 'closed'] }) @IsOptional() @IsIn(['open', 'closed']) status?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() batchId?: string;
}

export class UpdateInvestigationDto {
  @ApiPropertyOptional({ format: 'uuid', nullable: true }) @IsOptional() @ValidateIf((o) => o.assigneeId !== null) @IsUUID() assigneeId?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(10000) findings?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(4000) rootCause?: string;
}

export class CloseInvestigationDto {
  @ApiProperty({ enum: ['invalidated_retest', 'confirmed_oos'] }) @IsIn(['invalidated_retest', 'confirmed_oos']) conclusion: 'invalidated_retest' | 'confirmed_oos';
  @ApiProperty({ description: 'The QA manager re-enters their password to sign' }) @IsString() @Length(1, 200) password: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(3, 4000) rootCause?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(10000) findings?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'Required for invalidated_retest: the passing retest' }) @IsOptional() @IsUUID() retestResultId?: string;
}

@ApiTags('investigations')
@Controller('investigations')
export class InvestigationsController {
  constructor(private readonly investigations: InvestigationService) {}

  @Get()
  @Roles('technician', 'qa_manager')
  list(@Query() query: ListInvestigationsQuery) {
    return this.investigations.list(query);
  }

  @Get(':id')
  @Roles('technician', 'qa_manager')
  get(@Param('id', UuidPipe) id: string) {
    return this.investigations.get(id);
  }

  /** Assign, and record findings and root cause while the investigation is open. */
  @Patch(':id')
  @Roles('technician', 'qa_manager')
  update(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: UpdateInvestigationDto) {
    return this.investigations.update(ctx, id, dto);
  }

  /** QA e-signature ("OOS investigation closed") with the conclusion. */
  @Post(':id/close')
  @HttpCode(200)
  @Roles('qa_manager')
  close(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: CloseInvestigationDto) {
    return this.investigations.close(ctx, id, dto);
  }
}
