import { Module } from '@nestjs/common';
import { ShipmentsController } from './shipments.controller.js';
import { Shipments } from './shipments.service.js';

@Module({
  controllers: [ShipmentsController],
  providers: [Shipments],
  exports: [Shipments],
})
export class ShipmentsModule {}
