import { Global, Module } from '@nestjs/common';
import { InvestigationsController } from './investigations.controller.js';
import { InvestigationRepository } from './investigations.repository.js';
import { InvestigationService } from './investigations.service.js';

@Global()
@Module({ controllers: [InvestigationsController], providers: [InvestigationRepository, InvestigationService], exports: [InvestigationService, InvestigationRepository] })
export class InvestigationsModule {}
