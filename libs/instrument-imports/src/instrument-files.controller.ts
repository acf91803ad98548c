import { Controller, Get, HttpCode, Param, Post, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type CommandContext, Ctx, Roles, UuidPipe } from '#platform';
import { attachmentDisposition } from './file-facts.js';
import { InstrumentImportsService } from './instrument-imports.service.js';
import { IMAGE_FORM, IMPORT_FORM, PARSE_FORM } from './openapi-forms.js';
import { UploadReader } from './upload-reader.js';

/** Instrument files: preview what a file would record, read a stored file back. */
@ApiTags('instrument-files')
@Controller('instrument-files')
export class InstrumentFilesController {
  constructor(
    private readonly imports: InstrumentImportsService,
    private readonly uploads: UploadReader,
  ) {}

  /** Recognises and parses the file and shows the results it would record. Stores nothing. */
  @Post('parse') @HttpCode(200) @Roles('technician', 'qa_manager')
  @ApiConsumes('multipart/form-data') @ApiBody(PARSE_FORM)
  async parse(@Req() request: FastifyRequest) {
    return this.imports.preview(await this.uploads.read(request, 'instrument'));
  }

  @Get(':id') @Roles('technician', 'qa_manager')
  metadata(@Param('id', UuidPipe) id: string) {
    return this.imports.metadata(id);
  }

  /** The stored bytes, unchanged, with their SHA-256 in x-content-sha256. */
  @Get(':id/content') @Roles('technician', 'qa_manager')
  @ApiProduces('application/octet-stream')
  async content(@Param('id', UuidPipe) id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<StreamableFile> {
    const file = await this.imports.content(id);
    reply.header('x-content-sha256', file.sha256);
    return new StreamableFile(file.content, { type: file.mediaType, disposition: attachmentDisposition(file.fileName), length: file.content.length });
  }
}

/** Files that belong to a batch: an instrument export recorded as a result, or an image. */
@ApiTags('instrument-files')
@Controller('batches/:id')
export class BatchFilesController {
  constructor(
    private readonly imports: InstrumentImportsService,
    private readonly uploads: UploadReader,
  ) {}

  /** Stores the file and records the result read from it, in one transaction. */
  @Post('results/import') @HttpCode(201) @Roles('technician')
  @ApiConsumes('multipart/form-data') @ApiBody(IMPORT_FORM)
  async importResult(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Req() request: FastifyRequest) {
    return this.imports.importResult(ctx, id, await this.uploads.read(request, 'instrument'));
  }

  /** An EM micrograph or blot image (PNG, JPEG or TIFF), to cite from EM and Western blot results. */
  @Post('files') @HttpCode(201) @Roles('technician')
  @ApiConsumes('multipart/form-data') @ApiBody(IMAGE_FORM)
  async uploadImage(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Req() request: FastifyRequest) {
    return this.imports.storeImage(ctx, id, await this.uploads.read(request, 'image'));
  }
}
