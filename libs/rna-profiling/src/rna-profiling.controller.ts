import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RecordBioanalyzerResultDto, RecordQpcrResultDto, RecordRnaIsolationResultDto, ResultsService } from '#characterization';
import { type CommandContext, Ctx, DomainError, Roles, UuidPipe } from '#platform';
import { DataSource } from 'typeorm';

/** RNA profiling: RNA recovered with a kit, its capillary electrophoresis profile, and qRT-PCR. */
@ApiTags('rna-profiling')
@Controller('batches/:id/results')
export class RnaProfilingController {
  constructor(
    private readonly results: ResultsService,
    private readonly dataSource: DataSource,
  ) {}

  @Post('rna-isolation') @HttpCode(201) @Roles('technician')
  async rnaIsolation(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: RecordRnaIsolationResultDto) {
    if (dto.data.kitLotId) await this.assertKitLot(dto.data.kitLotId, dto.performedAt);
    return this.results.record(ctx, id, 'rna_isolation', dto);
  }

  @Post('bioanalyzer') @HttpCode(201) @Roles('technician')
  bioanalyzer(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: RecordBioanalyzerResultDto) {
    return this.results.record(ctx, id, 'bioanalyzer', dto);
  }

  @Post('qpcr') @HttpCode(201) @Roles('technician')
  qpcr(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: RecordQpcrResultDto) {
    return this.results.record(ctx, id, 'qpcr', dto);
  }

  /** The RNA kit lot must be a known, unexpired, unrecalled lot of an RNA kit. */
  private async assertKitLot(lotId: string, performedAt: string): Promise<void> {
    const [lot] = await this.dataSource.query(
      `SELECT l.lot_number, to_char(l.expiry_date, 'YYYY-MM-DD') AS expiry, l.recalled_at, r.kind FROM reagent_lots l JOIN reagents r ON r.id = l.reagent_id WHERE l.id = $1`,
      [lotId],
    );
    if (!lot) throw DomainError.field('reagent_lot.unknown', 'data.kitLotId', 'exists', `No reagent lot with id ${lotId} is recorded.`);
    if (lot.kind !== 'rna_kit') throw DomainError.field('reagent_lot.wrong_kind', 'data.kitLotId', 'wrong_kind', `Lot ${lot.lot_number} is not an RNA isolation kit.`);
    if (lot.recalled_at) throw DomainError.field('reagent_lot.recalled', 'data.kitLotId', 'recalled', `Lot ${lot.lot_number} was recalled.`);
    if (lot.expiry < performedAt.slice(0, 10)) throw DomainError.field('reagent_lot.expired', 'data.kitLotId', 'expired', `Lot ${lot.lot_number} expired on ${lot.expiry}.`);
  }
}
