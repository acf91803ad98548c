import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { DataSource } from 'typeorm';
import { type CommandContext, Ctx, Roles, UuidPipe } from '#platform';
import { CompleteIsolationDto, CreateReagentDto, CreateReagentLotDto, RecordIsolationStepDto } from './isolation.dto.js';
import { IsolationService } from './isolation.service.js';
import { ReagentService } from './reagents.service.js';

export class RecallLotDto {
  @ApiProperty({ description: 'The QA manager re-enters their password to sign the recall' }) @IsString() @Length(1, 200)
  password: string;

  @ApiProperty() @IsString() @Length(3, 2000)
  reason: string;
}

export class ListLotsQuery {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID()
  reagentId?: string;

  @ApiPropertyOptional({ enum: ['valid', 'expiring_soon', 'expired', 'recalled'] }) @IsOptional() @IsIn(['valid', 'expiring_soon', 'expired', 'recalled'])
  status?: string;
}

@ApiTags('isolation')
@Controller('batches/:id/isolation')
export class IsolationController {
  constructor(
    private readonly isolation: IsolationService,
    private readonly dataSource: DataSource,
  ) {}

  @Get('steps')
  @Roles('technician', 'qa_manager')
  steps(@Param('id', UuidPipe) id: string) {
    return this.isolation.listSteps(this.dataSource.manager, id);
  }

  /** Records the next isolation step; the first one moves the batch into isolation. */
  @Post('steps')
  @HttpCode(201)
  @Roles('technician')
  recordStep(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: RecordIsolationStepDto) {
    return this.isolation.recordStep(ctx, id, dto);
  }

  @Post('complete')
  @HttpCode(200)
  @Roles('technician')
  complete(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: CompleteIsolationDto) {
    return this.isolation.completeIsolation(ctx, id, dto);
  }
}

@ApiTags('reagents')
@Controller()
export class ReagentsController {
  constructor(private readonly reagents: ReagentService) {}

  @Get('reagents')
  @Roles('technician', 'qa_manager')
  list() {
    return this.reagents.listReagents();
  }

  @Post('reagents')
  @HttpCode(201)
  @Roles('technician', 'qa_manager')
  create(@Ctx() ctx: CommandContext, @Body() dto: CreateReagentDto) {
    return this.reagents.createReagent(ctx, dto);
  }

  /** Receiving a lot of a catalogued reagent. */
  @Post('reagents/:id/lots')
  @HttpCode(201)
  @Roles('technician', 'qa_manager')
  createLot(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: CreateReagentLotDto) {
    return this.reagents.createLot(ctx, id, dto);
  }

  /** QA recall of a lot, with an e-signature; batches in QC that used it are re-evaluated. */
  @Post('reagent-lots/:id/recall')
  @HttpCode(200)
  @Roles('qa_manager')
  recall(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: RecallLotDto) {
    return this.reagents.recallLot(ctx, id, dto.password, dto.reason);
  }

  /** Lots with their status (valid, expiring_soon within 30 days, expired, recalled). */
  @Get('reagent-lots')
  @Roles('technician', 'qa_manager')
  lots(@Query() query: ListLotsQuery) {
    return this.reagents.listLots(query);
  }
}
