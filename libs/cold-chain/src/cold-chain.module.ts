import { Global, Module } from '@nestjs/common';
import { ColdChainController } from './cold-chain.controller.js';
import { ColdChainJobs } from './cold-chain.jobs.js';
import { ExcursionDetector } from './excursion-detector.js';
import { Excursions } from './excursions.service.js';
import { ReadingIngestion } from './ingestion.service.js';
import { Loggers } from './loggers.service.js';
import { ExcursionHolds } from './quarantine.js';

@Global()
@Module({
  controllers: [ColdChainController],
  providers: [Loggers, ReadingIngestion, ExcursionHolds, ExcursionDetector, Excursions, ColdChainJobs],
  exports: [ExcursionDetector, ExcursionHolds, ColdChainJobs, ReadingIngestion],
})
export class ColdChainModule {}
