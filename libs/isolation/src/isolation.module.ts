import { Module } from '@nestjs/common';
import { BatchSummaryJob } from './batch-summary.job.js';
import { IsolationController, ReagentsController } from './isolation.controller.js';
import { IsolationService } from './isolation.service.js';
import { ReagentService } from './reagents.service.js';

@Module({
  controllers: [IsolationController, ReagentsController],
  providers: [IsolationService, ReagentService, BatchSummaryJob],
  exports: [IsolationService, ReagentService],
})
export class IsolationModule {}
