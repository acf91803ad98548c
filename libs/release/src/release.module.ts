import { Global, Module } from '@nestjs/common';
import { CertificateService } from './certificate.service.js';
import { ChecklistContributors } from './checklist-contributors.js';
import { ChecklistRepository } from './checklist.repository.js';
import { ReleaseController } from './release.controller.js';
import { ReleaseGateJob } from './release-gate.job.js';
import { QuarantineService } from './quarantine.service.js';
import { ReleaseService } from './release.service.js';

@Global()
@Module({
  controllers: [ReleaseController],
  providers: [ChecklistRepository, ChecklistContributors, ReleaseGateJob, ReleaseService, CertificateService, QuarantineService],
  exports: [ChecklistContributors, ChecklistRepository, ReleaseService, ReleaseGateJob, CertificateService],
})
export class ReleaseModule {}
