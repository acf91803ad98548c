import { Global, Module } from '@nestjs/common';
import { BatchLifecycle } from './batch-lifecycle.service.js';
import { BatchQueries } from './batch-queries.service.js';
import { BatchRepository } from './batch.repository.js';
import { BatchViewSections } from './batch-view.js';
import { BatchesController } from './batches.controller.js';
import { ProductsController, ProductService } from './products.js';
import { QcChanges } from './qc-changes.js';

@Global()
@Module({
  controllers: [ProductsController, BatchesController],
  providers: [BatchRepository, BatchLifecycle, BatchQueries, BatchViewSections, ProductService, QcChanges],
  exports: [BatchRepository, BatchLifecycle, BatchQueries, BatchViewSections, ProductService, QcChanges],
})
export class BatchesModule {}
