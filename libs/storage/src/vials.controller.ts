import { Body, Controller, Get, type ArgumentMetadata, Injectable, Param, Post, type PipeTransform, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { type CommandContext, Ctx, DomainError, Roles, UuidPipe } from '#platform';
import { Fills } from './fills.service.js';
import { Labels } from './labels.service.js';
import { BulkContainerDto, FillDto, SERIAL_PATTERN } from './storage.dto.js';
import { present, VialQueries } from './vial-queries.service.js';

/** A serial in the path: 8-20 letters or digits, upper-cased. */
@Injectable()
export class SerialPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (typeof value !== 'string' || !SERIAL_PATTERN.test(value)) {
      throw DomainError.validation([{ field: metadata.data ?? 'serial', rule: 'isSerial', message: 'serial must be 8-20 letters or digits' }]);
    }
    return value.toUpperCase();
  }
}

@ApiTags('vials')
@Controller()
export class VialsController {
  constructor(
    private readonly fills: Fills,
    private readonly labels: Labels,
    private readonly queries: VialQueries,
  ) {}

  /** Fill a released batch into vials; the total volume stays within the batch's yield. */
  @Post('batches/:id/fills')
  @Roles('technician')
  fill(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: FillDto) {
    return this.fills.fill(ctx, id, dto);
  }

  /** A bulk container of a batch still in the lab, so its freezer time is monitored too. */
  @Post('batches/:id/bulk-containers')
  @Roles('technician')
  async bulk(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: BulkContainerDto) {
    return present(await this.fills.bulkContainer(ctx, id, dto));
  }

  @Get('batches/:id/vials')
  @Roles('technician', 'qa_manager')
  batchVials(@Param('id', UuidPipe) id: string) {
    return this.fills.listForBatch(id);
  }

  @Get('fills/:id')
  @Roles('technician', 'qa_manager')
  getFill(@Param('id', UuidPipe) id: string) {
    return this.fills.getFill(id);
  }

  /** A printable A4 sheet with a label for every vial of the fill. */
  @Get('fills/:id/labels.pdf')
  @ApiProduces('application/pdf')
  @Roles('technician', 'qa_manager')
  async fillLabels(@Param('id', UuidPipe) id: string, @Res() reply: FastifyReply) {
    const pdf = await this.labels.fillSheet(id);
    reply.header('content-type', 'application/pdf').header('content-disposition', `inline; filename="labels-${id}.pdf"`).send(pdf);
  }

  /** The vial with its location, shipment, excursion holds and full custody history. */
  @Get('vials/:serial')
  @Roles('technician', 'qa_manager')
  vial(@Param('serial', SerialPipe) serial: string) {
    return this.queries.get(serial);
  }

  /** Label content: GS1 element string, Digital Link, human-readable lines. */
  @Get('vials/:serial/label')
  @Roles('technician', 'qa_manager')
  label(@Param('serial', SerialPipe) serial: string) {
    return this.labels.describe(serial);
  }

  @Get('vials/:serial/label.png')
  @ApiProduces('image/png')
  @Roles('technician', 'qa_manager')
  async labelPng(@Param('serial', SerialPipe) serial: string, @Res() reply: FastifyReply) {
    reply.header('content-type', 'image/png').send(await this.labels.png(serial));
  }

  /** ZPL II for Zebra-compatible label printers. */
  @Get('vials/:serial/label.zpl')
  @ApiProduces('text/plain')
  @Roles('technician', 'qa_manager')
  async labelZpl(@Param('serial', SerialPipe) serial: string, @Res() reply: FastifyReply) {
    reply.header('content-type', 'text/plain; charset=utf-8').header('content-disposition', `inline; filename="${serial}.zpl"`).send(await this.labels.zpl(serial));
  }
}
