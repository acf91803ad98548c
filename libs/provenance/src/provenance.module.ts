import { Module } from '@nestjs/common';
import { ProvenanceController } from './provenance.controller.js';
import { ProvenanceRepository } from './provenance.repository.js';
import { ProvenanceService } from './provenance.service.js';
import { RecallsController } from './recalls.controller.js';
import { RecallService } from './recalls.service.js';
import { VerificationKey } from './verification-key.js';

@Module({
  controllers: [ProvenanceController, RecallsController],
  providers: [ProvenanceRepository, ProvenanceService, RecallService, VerificationKey],
  exports: [ProvenanceService, VerificationKey],
})
export class ProvenanceModule {}
