import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';
import { type CommandContext, Ctx, Roles, UuidPipe } from '#platform';
import {
  CorrectResultDto, RecordEmResultDto, RecordEndotoxinResultDto, RecordFacsResultDto, RecordMycoplasmaResultDto, RecordNtaResultDto,
  RecordProteinResultDto, RecordSterilityResultDto, RecordWesternBlotResultDto,
} from './assay.dto.js';
import { ResultsService } from './results.service.js';

export class ListResultsQuery {
  @ApiPropertyOptional({ description: 'Include superseded versions' })
  @IsOptional() @Transform(({ value }) => value === 'true' || value === true ? true : value === 'false' || value === false ? false : value) @IsBoolean()
  history?: boolean;
}

/** Characterization results (identity and purity) and the release-safety tests. Recording is a technician's job. */
@ApiTags('characterization')
@Controller('batches/:id/results')
export class ResultsController {
  constructor(private readonly results: ResultsService) {}

  @Get()
  @Roles('technician', 'qa_manager')
  list(@Param('id', UuidPipe) id: string, @Query() query: ListResultsQuery) {
    return query.history ? this.results.allFor(id) : this.results.currentFor(id);
  }

  @Get(':resultId/versions')
  @Roles('technician', 'qa_manager')
  versions(@Param('id', UuidPipe) id: string, @Param('resultId', UuidPipe) resultId: string) {
    return this.results.versions(id, resultId);
  }

  /** A correction: the next version, with a mandatory reason. The old version stays visible. */
  @Post(':resultId/corrections')
  @HttpCode(201)
  @Roles('technician')
  correct(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Param('resultId', UuidPipe) resultId: string, @Body() dto: CorrectResultDto) {
    return this.results.correct(ctx, id, resultId, dto);
  }

  @Post('nta') @HttpCode(201) @Roles('technician')
  nta(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: RecordNtaResultDto) {
    return this.results.record(ctx, id, 'nta', dto);
  }

  @Post('em') @HttpCode(201) @Roles('technician')
  em(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: RecordEmResultDto) {
    return this.results.record(ctx, id, 'em', dto);
  }

  @Post('western-blot') @HttpCode(201) @Roles('technician')
  westernBlot(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: RecordWesternBlotResultDto) {
    return this.results.record(ctx, id, 'western_blot', dto);
  }

  @Post('facs') @HttpCode(201) @Roles('technician')
  facs(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: RecordFacsResultDto) {
    return this.results.record(ctx, id, 'facs', dto);
  }

  @Post('protein') @HttpCode(201) @Roles('technician')
  protein(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: RecordProteinResultDto) {
    return this.results.record(ctx, id, 'protein', dto);
  }

  @Post('sterility') @HttpCode(201) @Roles('technician')
  sterility(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: RecordSterilityResultDto) {
    return this.results.record(ctx, id, 'sterility', dto);
  }

  @Post('endotoxin') @HttpCode(201) @Roles('technician')
  endotoxin(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: RecordEndotoxinResultDto) {
    return this.results.record(ctx, id, 'endotoxin', dto);
  }

  @Post('mycoplasma') @HttpCode(201) @Roles('technician')
  mycoplasma(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: RecordMycoplasmaResultDto) {
    return this.results.record(ctx, id, 'mycoplasma', dto);
  }
}
