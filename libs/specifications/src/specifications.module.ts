import { Global, Module } from '@nestjs/common';
import { SpecificationRepository } from './specification.repository.js';
import { SpecificationsController } from './specifications.controller.js';
import { SpecificationService } from './specifications.service.js';

@Global()
@Module({ controllers: [SpecificationsController], providers: [SpecificationRepository, SpecificationService], exports: [SpecificationRepository, SpecificationService] })
export class SpecificationsModule {}
