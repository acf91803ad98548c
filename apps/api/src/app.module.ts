import { type DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '#audit';
import { BatchesModule } from '#batches';
import { HarvestModule } from '#harvest';
import { IdentityModule } from '#identity';
import { IsolationModule } from '#isolation';
import { type AppConfig, PlatformModule, type ProcessRoles, RuntimeEndpoints } from '#platform';

/** The whole service; the API and the worker entry points differ only in their roles. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, endpoints: RuntimeEndpoints, roles: ProcessRoles): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot(config, endpoints, roles), AuditModule, IdentityModule, BatchesModule, HarvestModule, IsolationModule],
    };
  }
}
