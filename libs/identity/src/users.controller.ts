import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type CommandContext, Ctx, Roles, UuidPipe } from '#platform';
import { ClinicAdministration } from './clinics.service.js';
import { UserAdministration } from './user-administration.service.js';
import { ClinicDirectoryEntryDto, CreateClinicDto, CreateUserDto, ListUsersQuery, UnlockUserDto, UpdateUserDto } from './users.dto.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
@Roles('admin')
export class UsersController {
  constructor(private readonly users: UserAdministration) {}

  @Get()
  list(@Query() query: ListUsersQuery) {
    return this.users.list(query);
  }

  @Post()
  create(@Ctx() ctx: CommandContext, @Body() dto: CreateUserDto) {
    return this.users.create(ctx, dto);
  }

  @Get(':id')
  get(@Param('id', UuidPipe) id: string) {
    return this.users.get(id);
  }

  /** Display name, role, clinic, active. Deactivation ends the user's sessions. */
  @Patch(':id')
  update(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: UpdateUserDto) {
    return this.users.update(ctx, id, dto);
  }

  /** Lifts a lockout before it expires. */
  @Post(':id/unlock')
  @HttpCode(200)
  unlock(@Ctx() ctx: CommandContext, @Param('id', UuidPipe) id: string, @Body() dto: UnlockUserDto) {
    return this.users.unlock(ctx, id, dto.reason);
  }
}

@ApiTags('users')
@ApiBearerAuth()
@Controller('clinics')
@Roles('admin')
export class ClinicsController {
  constructor(private readonly clinics: ClinicAdministration) {}

  @Get()
  list() {
    return this.clinics.list();
  }

  /** The clinic directory for lab staff choosing a shipment's destination: id, code, name, country, active only. */
  @Get('directory')
  @Roles('admin', 'technician', 'qa_manager')
  @ApiOkResponse({ type: [ClinicDirectoryEntryDto] })
  directory() {
    return this.clinics.directory();
  }

  @Post()
  create(@Ctx() ctx: CommandContext, @Body() dto: CreateClinicDto) {
    return this.clinics.create(ctx, dto);
  }
}
