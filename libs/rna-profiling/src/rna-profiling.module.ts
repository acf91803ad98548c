import { Module } from '@nestjs/common';
import { RnaProfilingController } from './rna-profiling.controller.js';

@Module({ controllers: [RnaProfilingController] })
export class RnaProfilingModule {}
