import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { type CommandContext, Ctx, Roles, UuidPipe } from '#platform';
import { CreateSpecificationDto, ReplaceCriteriaDto, SignDto } from './specification.dto.js';
import { SpecificationService } from './specifications.service.js';

export class CompareQuery {
  @ApiPropertyOptional({ description: 'A specification id, or "effective" (default)' })
  @IsOptional() @Matches(/^(effective|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i, { message: 'with must be a specification id or "effective"' })
  with?: string;
}

@ApiTags('specifications')
@Controller()
export class SpecificationsController {
  constructor(private readonly specs: SpecificationService) {}

  @Get('specification-templates')
  @Roles('technician', 'qa_manager')
  templates() {
    return this.specs.templates();
  }

  @Get('products/:productId/specifications')
  @Roles('technician', 'qa_manager')
  list(@Param('productId', UuidPipe) productId: string) {
    return this.specs.list(productId);
  }

  /** A new draft version: from a template, from a version, from the effective one (default), or explicit criteria. */
  @Post('products/:productId/specifications')
  @HttpCode(201)
  @Roles('qa_manager')
  draft(@Ctx() ctx: CommandContext, @Param('productId', UuidPipe) productId: string, @Body() dto: CreateSpecificationDto) {
    return this.specs.createDraft(ctx, productId, dto);
  }

  @Get('specifications/:id')
  @Roles('technician', 'qa_manager')
  get(@Param('id', UuidPipe) id: string) {
    return this.specs.get(id);
  }

  @Put('specifications/:id/criteria')
  @Roles('qa_manager')
  replace(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: ReplaceCriteriaDto) {
    return this.specs.replaceCriteria(ctx, id, dto.criteria);
  }

  /** QA e-signature ("approved specification"): the draft becomes the effective version. */
  @Post('specifications/:id/approve')
  @HttpCode(200)
  @Roles('qa_manager')
  approve(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: SignDto) {
    return this.specs.approve(ctx, id, dto.password, dto.reason);
  }

  @Get('specifications/:id/compare')
  @Roles('technician', 'qa_manager')
  compare(@Param('id', UuidPipe) id: string, @Query() query: CompareQuery) {
    return this.specs.compare(id, query.with ?? 'effective');
  }
}
