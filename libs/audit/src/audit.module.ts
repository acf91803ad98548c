import { Global, Module } from '@nestjs/common';
import { AuditController } from './audit.controller.js';
import { AuditQueries } from './audit-queries.service.js';
import { AuditTrail } from './audit-trail.js';
import { CommandResources } from './command-resources.js';

@Global()
@Module({ controllers: [AuditController], providers: [AuditTrail, AuditQueries, CommandResources], exports: [AuditTrail, AuditQueries] })
export class AuditModule {}
