import { Module } from '@nestjs/common';
import { InstrumentFileRepository } from './instrument-file.repository.js';
import { BatchFilesController, InstrumentFilesController } from './instrument-files.controller.js';
import { InstrumentImportsService } from './instrument-imports.service.js';
import { UploadReader } from './upload-reader.js';

/** Instrument files: parse previews, imports that store the file with its result, images, downloads. */
@Module({
  controllers: [InstrumentFilesController, BatchFilesController],
  providers: [InstrumentImportsService, InstrumentFileRepository, UploadReader],
  exports: [InstrumentImportsService, InstrumentFileRepository],
})
export class InstrumentImportsModule {}
