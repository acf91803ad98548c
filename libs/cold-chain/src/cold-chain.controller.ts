import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import { type CommandContext, Ctx, CurrentMachine, type Machine, MachineKey, ResponseHoldsSecret, Roles, UuidPipe } from '#platform';
import { DispositionDto, IngestReadingsDto, ListExcursionsQuery, ReadingsQuery, RegisterLoggerDto } from './cold-chain.dto.js';
import { Excursions } from './excursions.service.js';
import { ReadingIngestion } from './ingestion.service.js';
import { Loggers } from './loggers.service.js';

@ApiTags('cold chain')
@Controller()
export class ColdChainController {
  constructor(
    private readonly loggers: Loggers,
    private readonly ingestion: ReadingIngestion,
    private readonly excursions: Excursions,
  ) {}

  /** Registers a logger; the response holds its key, shown this once (only a hash is stored). */
  @Post('loggers')
  @Roles('technician')
  @ResponseHoldsSecret()
  register(@Ctx() ctx: CommandContext, @Body() dto: RegisterLoggerDto) {
    return this.loggers.register(ctx, dto);
  }

  @Get('loggers')
  @Roles('technician', 'qa_manager')
  list() {
    return this.loggers.list();
  }

  /** Issues a new key (shown once); the old one stops working. */
  @Post('loggers/:id/key')
  @HttpCode(200)
  @Roles('technician')
  @ResponseHoldsSecret()
  rotate(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string) {
    return this.loggers.rotateKey(ctx, id);
  }

  @Get('loggers/:id/readings')
  @Roles('technician', 'qa_manager')
  readings(@Param('id', UuidPipe) id: string, @Query() query: ReadingsQuery) {
    return this.loggers.readings(id, query);
  }

  /**
   * Loggers push readings here with their machine key (`Authorization: Logger <key>`), never a
   * user session: the access guard checks the key before the body is even validated. Each
   * reading is screened: refused ones are reported, valid ones kept; duplicates are stored once.
   */
  @Post('temperature-readings')
  @HttpCode(200)
  @MachineKey('logger')
  @ApiHeader({ name: 'authorization', description: 'Logger <key>', required: true })
  ingest(@CurrentMachine() logger: Machine, @Body() dto: IngestReadingsDto) {
    return this.ingestion.ingest(logger, dto.readings);
  }

  @Get('excursions')
  @Roles('technician', 'qa_manager')
  listExcursions(@Query() query: ListExcursionsQuery) {
    return this.excursions.list(query);
  }

  /** The excursion with the vials it holds. */
  @Get('excursions/:id')
  @Roles('technician', 'qa_manager')
  excursion(@Param('id', UuidPipe) id: string) {
    return this.excursions.get(id);
  }

  /** QA's e-signed disposition: release the held vials from quarantine, or destroy them. */
  @Post('excursions/:id/disposition')
  @HttpCode(200)
  @Roles('qa_manager')
  dispose(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: DispositionDto) {
    return this.excursions.dispose(ctx, id, dto);
  }
}
