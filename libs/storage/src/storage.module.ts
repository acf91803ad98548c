import { Global, Module } from '@nestjs/common';
import { Custody } from './custody.js';
import { Fills } from './fills.service.js';
import { Labels } from './labels.service.js';
import { StorageController } from './storage.controller.js';
import { StorageLocations } from './storage-locations.service.js';
import { VialMovements } from './vial-movements.service.js';
import { VialQueries } from './vial-queries.service.js';
import { VialsController } from './vials.controller.js';

@Global()
@Module({
  controllers: [StorageController, VialsController],
  providers: [Custody, Fills, Labels, StorageLocations, VialMovements, VialQueries],
  exports: [Custody, Fills, Labels, StorageLocations, VialMovements, VialQueries],
})
export class StorageModule {}
