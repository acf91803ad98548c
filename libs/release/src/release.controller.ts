import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiProduces, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { type CommandContext, Ctx, Roles, UuidPipe } from '#platform';
import { CertificateService } from './certificate.service.js';
import { QuarantineService } from './quarantine.service.js';
import { ReleaseService } from './release.service.js';

export class ApproveReleaseDto {
  @ApiProperty({ description: 'The QA manager re-enters their password to sign "approved for release"' }) @IsString() @Length(1, 200)
  password: string;
}

export class QuarantineDto {
  @ApiProperty({ description: 'Why the batch is held' }) @IsString() @Length(3, 2000)
  reason: string;
}

export class LiftQuarantineDto {
  @ApiProperty() @IsString() @Length(3, 2000)
  reason: string;

  @ApiProperty({ description: 'The QA manager re-enters their password to sign' }) @IsString() @Length(1, 200)
  password: string;
}

export class RejectReleaseDto {
  @ApiProperty() @IsString() @Length(1, 200)
  password: string;

  @ApiProperty({ description: 'Why the batch is rejected (required)' }) @IsString() @Length(3, 2000)
  reason: string;
}

@ApiTags('release')
@Controller()
export class ReleaseController {
  constructor(
    private readonly release: ReleaseService,
    private readonly certificates: CertificateService,
    private readonly quarantines: QuarantineService,
  ) {}

  /** QA holds a batch; it cannot be released or shipped while quarantined. */
  @Post('batches/:id/quarantine')
  @HttpCode(200)
  @Roles('qa_manager')
  async quarantine(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: QuarantineDto) {
    await this.quarantines.quarantine(ctx, id, dto.reason);
    return { id, state: 'quarantined' };
  }

  /** Lifts the hold with an e-signature: back to released, or to QC review for a batch still in the lab. */
  @Post('batches/:id/quarantine/lift')
  @HttpCode(200)
  @Roles('qa_manager')
  async lift(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: LiftQuarantineDto) {
    await this.quarantines.lift(ctx, id, dto.reason, dto.password);
    return this.release.checklist(id);
  }

  /** The latest gate outcome: one line per requirement, with its evidence, and when it was computed. */
  @Get('batches/:id/release-checklist')
  @Roles('technician', 'qa_manager')
  checklist(@Param('id', UuidPipe) id: string) {
    return this.release.checklist(id);
  }

  /** Release-pending batches with their checklists. */
  @Get('release-queue')
  @Roles('qa_manager')
  queue() {
    return this.release.queue();
  }

  @Post('batches/:id/release/approve')
  @HttpCode(200)
  @Roles('qa_manager')
  approve(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: ApproveReleaseDto) {
    return this.release.approve(ctx, id, dto.password);
  }

  @Post('batches/:id/release/reject')
  @HttpCode(200)
  @Roles('qa_manager')
  reject(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: RejectReleaseDto) {
    return this.release.reject(ctx, id, dto.password, dto.reason);
  }

  @Get('batches/:id/release')
  @Roles('technician', 'qa_manager')
  decision(@Param('id', UuidPipe) id: string) {
    return this.release.decision(id);
  }

  /** The certificate of analysis (PDF), with its SHA-256. */
  @Get('batches/:id/certificate')
  @ApiProduces('application/pdf')
  @Roles('technician', 'qa_manager')
  async certificate(@Param('id', UuidPipe) id: string, @Res() reply: FastifyReply) {
    const { content, sha256, lotNumber } = await this.certificates.download(id);
    reply
      .header('content-type', 'application/pdf')
      .header('content-disposition', `attachment; filename="CoA-${lotNumber}.pdf"`)
      .header('x-content-sha256', sha256)
      .send(content);
  }
}
