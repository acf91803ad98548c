import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { type CommandContext, Ctx, Roles, UuidPipe } from '#platform';
import { HarvestService } from './harvest.service.js';
import { RecordHarvestDto } from './record-harvest.dto.js';

@ApiTags('harvest')
@Controller('batches')
export class HarvestController {
  constructor(
    private readonly harvests: HarvestService,
    private readonly dataSource: DataSource,
  ) {}

  /** Records a harvest, which starts a new batch in state harvested. */
  @Post()
  @HttpCode(201)
  @Roles('technician')
  record(@Ctx() ctx: CommandContext, @Body() dto: RecordHarvestDto) {
    return this.harvests.recordHarvest(ctx, dto);
  }

  @Get(':id/harvest')
  @Roles('technician', 'qa_manager')
  get(@Param('id', UuidPipe) id: string) {
    return this.harvests.getForBatch(id, this.dataSource.manager);
  }
}
