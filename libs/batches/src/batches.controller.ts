import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsUUID, Matches } from 'class-validator';
import { PageQuery, Roles, UuidPipe } from '#platform';
import { BatchQueries } from './batch-queries.service.js';
import { BATCH_STATES, type BatchState } from './domain/batch-lifecycle.js';

export class ListBatchesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: BATCH_STATES }) @IsOptional() @IsIn(BATCH_STATES)
  state?: BatchState;

  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID()
  productId?: string;

  @ApiPropertyOptional({ description: 'Created at or after (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true })
  createdFrom?: string;

  @ApiPropertyOptional({ description: 'Created before (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true })
  createdTo?: string;

  @ApiPropertyOptional() @IsOptional() @Matches(/^[A-Za-z0-9-]{1,40}$/)
  batchNumber?: string;
}

@ApiTags('batches')
@Controller('batches')
export class BatchesController {
  constructor(private readonly queries: BatchQueries) {}

  @Get()
  @Roles('technician', 'qa_manager')
  list(@Query() query: ListBatchesQuery) {
    return this.queries.list(query);
  }

  /** The batch with its harvest, isolation steps, summary and full event history. */
  @Get(':id')
  @Roles('technician', 'qa_manager')
  get(@Param('id', UuidPipe) id: string) {
    return this.queries.get(id);
  }
}
