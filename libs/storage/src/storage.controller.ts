import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type CommandContext, Ctx, Roles, UuidPipe } from '#platform';
import { BulkMoveDto, CreateBoxDto, CreateFreezerDto, CreateRackDto, CreateSiteDto, DestroyVialDto, PositionDto, ScanDto } from './storage.dto.js';
import { StorageLocations } from './storage-locations.service.js';
import { VialMovements } from './vial-movements.service.js';
import { present } from './vial-queries.service.js';

@ApiTags('storage')
@Controller('storage')
export class StorageController {
  constructor(
    private readonly locations: StorageLocations,
    private readonly movements: VialMovements,
  ) {}

  /** Sites → freezers → racks → boxes, with each box's occupancy. */
  @Get('sites')
  @Roles('technician', 'qa_manager')
  tree() {
    return this.locations.tree();
  }

  @Post('sites')
  @Roles('technician', 'qa_manager')
  createSite(@Ctx() ctx: CommandContext, @Body() dto: CreateSiteDto) {
    return this.locations.createSite(ctx, dto);
  }

  @Post('freezers')
  @Roles('technician', 'qa_manager')
  createFreezer(@Ctx() ctx: CommandContext, @Body() dto: CreateFreezerDto) {
    return this.locations.createFreezer(ctx, dto);
  }

  @Get('freezers/:id')
  @Roles('technician', 'qa_manager')
  freezer(@Param('id', UuidPipe) id: string) {
    return this.locations.freezer(id);
  }

  @Post('freezers/:id/racks')
  @Roles('technician', 'qa_manager')
  createRack(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: CreateRackDto) {
    return this.locations.createRack(ctx, id, dto);
  }

  @Post('racks/:id/boxes')
  @Roles('technician', 'qa_manager')
  createBox(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: CreateBoxDto) {
    return this.locations.createBox(ctx, id, dto);
  }

  /** The box map: a rows × columns grid of occupants. */
  @Get('boxes/:id')
  @Roles('technician', 'qa_manager')
  box(@Param('id', UuidPipe) id: string) {
    return this.locations.boxMap(id);
  }

  /** Scan a vial into a free position (409 naming the occupant if it is taken). */
  @Post('store')
  @Roles('technician')
  async store(@Ctx() ctx: CommandContext, @Body() dto: PositionDto) {
    return (await this.movements.place(ctx, [dto], 'stored'))[0];
  }

  @Post('move')
  @HttpCode(200)
  @Roles('technician')
  async move(@Ctx() ctx: CommandContext, @Body() dto: PositionDto) {
    return (await this.movements.place(ctx, [dto], 'moved'))[0];
  }

  /** Many stores and moves at once, all or nothing; vials may swap positions. */
  @Post('move-bulk')
  @HttpCode(200)
  @Roles('technician')
  async moveBulk(@Ctx() ctx: CommandContext, @Body() dto: BulkMoveDto) {
    return { moves: await this.movements.place(ctx, dto.moves) };
  }

  /** Scan a vial out of its box. */
  @Post('retrieve')
  @HttpCode(200)
  @Roles('technician')
  async retrieve(@Ctx() ctx: CommandContext, @Body() dto: ScanDto) {
    return present(await this.movements.retrieve(ctx, dto.serial, dto.reason));
  }

  @Post('thaw')
  @HttpCode(200)
  @Roles('technician')
  async thaw(@Ctx() ctx: CommandContext, @Body() dto: ScanDto) {
    return present(await this.movements.thaw(ctx, dto.serial, dto.reason));
  }

  @Post('destroy')
  @HttpCode(200)
  @Roles('technician')
  async destroy(@Ctx() ctx: CommandContext, @Body() dto: DestroyVialDto) {
    return present(await this.movements.destroy(ctx, dto.serial, dto.reason));
  }
}
