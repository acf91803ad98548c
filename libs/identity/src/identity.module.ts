import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessGuard } from './access.guard.js';
import { AdminBootstrap } from './admin-bootstrap.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { ClinicAdministration } from './clinics.service.js';
import { Credentials } from './credentials.service.js';
import { MachineAuthenticators } from './machine-authenticators.js';
import { Sessions } from './sessions.service.js';
import { UserAdministration } from './user-administration.service.js';
import { ClinicsController, UsersController } from './users.controller.js';

/** Accounts, sessions, lockout and the global default-deny access guard. */
@Global()
@Module({
  controllers: [AuthController, UsersController, ClinicsController],
  providers: [Credentials, Sessions, MachineAuthenticators, AuthService, UserAdministration, ClinicAdministration, AdminBootstrap, { provide: APP_GUARD, useClass: AccessGuard }],
  exports: [Credentials, Sessions, MachineAuthenticators, UserAdministration, ClinicAdministration, AdminBootstrap],
})
export class IdentityModule {}
