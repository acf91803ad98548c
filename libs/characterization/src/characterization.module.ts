import { Global, Module } from '@nestjs/common';
import { ResultRepository } from './result.repository.js';
import { ResultsController } from './results.controller.js';
import { ResultsService } from './results.service.js';

@Global()
@Module({ controllers: [ResultsController], providers: [ResultRepository, ResultsService], exports: [ResultsService, ResultRepository] })
export class CharacterizationModule {}
