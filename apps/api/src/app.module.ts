import { type DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '#audit';
import { BatchesModule } from '#batches';
import { ColdChainModule } from '#cold-chain';
import { CharacterizationModule } from '#characterization';
import { HarvestModule } from '#harvest';
import { IdentityModule } from '#identity';
import { InstrumentImportsModule } from '#instrument-imports';
import { InvestigationsModule } from '#investigations';
import { IsolationModule } from '#isolation';
import { type AppConfig, PlatformModule, type ProcessRoles, RuntimeEndpoints } from '#platform';
import { ProvenanceModule } from '#provenance';
import { ReleaseModule } from '#release';
import { RnaProfilingModule } from '#rna-profiling';
import { ShipmentsModule } from '#shipments';
import { SignaturesModule } from '#signatures';
import { SpecificationsModule } from '#specifications';
import { StorageModule } from '#storage';

/** The whole service; the API and the worker entry points differ only in their roles. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, endpoints: RuntimeEndpoints, roles: ProcessRoles): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot(config, endpoints, roles), AuditModule, IdentityModule, SignaturesModule, BatchesModule, HarvestModule, IsolationModule,
        SpecificationsModule, InvestigationsModule, CharacterizationModule, RnaProfilingModule, ReleaseModule, InstrumentImportsModule, ProvenanceModule,
        StorageModule, ColdChainModule, ShipmentsModule],
    };
  }
}
