import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type CommandContext, Ctx, Roles, UuidPipe } from '#platform';
import { SerialPipe } from '#storage';
import { CreateShipmentDto, ListShipmentsQuery, PackDto, ReceiveDto, RecordUseDto } from './shipments.dto.js';
import { Shipments } from './shipments.service.js';

@ApiTags('shipments')
@Controller()
export class ShipmentsController {
  constructor(private readonly shipments: Shipments) {}

  @Post('shipments')
  @Roles('technician')
  create(@Ctx() ctx: CommandContext, @Body() dto: CreateShipmentDto) {
    return this.shipments.create(ctx, dto);
  }

  /** Lab staff see every shipment; a clinic user only its clinic's. */
  @Get('shipments')
  @Roles('technician', 'qa_manager', 'clinic')
  list(@Ctx() ctx: CommandContext, @Query() query: ListShipmentsQuery) {
    return this.shipments.list(ctx, query);
  }

  @Get('shipments/:id')
  @Roles('technician', 'qa_manager', 'clinic')
  get(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string) {
    return this.shipments.get(ctx, id);
  }

  /** Packs vials by serial: released, unexpired, not quarantined or recalled (409 with the reason otherwise). */
  @Post('shipments/:id/vials')
  @HttpCode(200)
  @Roles('technician')
  pack(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: PackDto) {
    return this.shipments.pack(ctx, id, dto.serials);
  }

  @Post('shipments/:id/ship')
  @HttpCode(200)
  @Roles('technician')
  ship(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string) {
    return this.shipments.ship(ctx, id);
  }

  /** The clinic confirms receipt; the arrival temperature status comes from the shipment logger. */
  @Post('shipments/:id/receive')
  @HttpCode(200)
  @Roles('clinic')
  receive(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: ReceiveDto) {
    return this.shipments.receive(ctx, id, dto);
  }

  /** The clinic records a received vial as administered, or destroyed with a reason. */
  @Post('clinic/vials/:serial/use')
  @HttpCode(200)
  @Roles('clinic')
  use(@Ctx() ctx: CommandContext, @Param('serial', SerialPipe) serial: string, @Body() dto: RecordUseDto) {
    return this.shipments.useVial(ctx, serial, dto.outcome ?? 'administered', dto.reason ?? null);
  }
}
