import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditTrail } from '#audit';
import { type CommandContext, DomainError, type Page, type Role, systemContext, TransactionRunner, type Tx } from '#platform';
import { hashPassword } from './passwords.js';
import { Sessions } from './sessions.service.js';
import type { CreateUserDto, ListUsersQuery, UpdateUserDto } from './users.dto.js';
import { auditedUser, USER_COLUMNS, type UserView } from './user-view.js';

const ADMIN_CHANGE_LOCK = 7245011;

export interface NewUser {
  email: string;
  displayName: string;
  role: Role;
  clinicId?: string | null;
  password: string;
}

/** Accounts, managed by an admin. Every change is audited in its own transaction; hashes never are. */
@Injectable()
export class UserAdministration {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditTrail,
    private readonly sessions: Sessions,
  ) {}

  async list(query: ListUsersQuery): Promise<Page<UserView>> {
    const where = `($1::text IS NULL OR role = $1) AND ($2::uuid IS NULL OR clinic_id = $2) AND ($3::boolean IS NULL OR active = $3)`;
    const params = [query.role ?? null, query.clinicId ?? null, query.active === undefined ? null : query.active === 'true'];
    const [{ total }] = await this.dataSource.query(`SELECT count(*)::int AS total FROM users WHERE ${where}`, params);
    const items = await this.dataSource.query(`SELECT ${USER_COLUMNS} FROM users WHERE ${where} ORDER BY lower(email) LIMIT $4 OFFSET $5`, [...params, query.limit, query.offset]);
    return { items, total, limit: query.limit, offset: query.offset };
  }

  async get(id: string): Promise<UserView> {
    const [row] = await this.dataSource.query(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
    if (!row) throw DomainError.notFound('user', id);
    return row;
  }

  async create(ctx: CommandContext, dto: CreateUserDto): Promise<UserView> {
    const hash = await hashPassword(dto.password);
    return this.tx.run((tx) => this.insert(tx, ctx, { ...dto, clinicId: dto.clinicId ?? null }, hash));
  }

  /** For the demo seed and the CLI: creates an account as the system, audited like any other. */
  async createSeedUser(user: NewUser, reason = 'created by the system'): Promise<string> {
    const hash = await hashPassword(user.password);
    const created = await this.tx.run((tx) => this.insert(tx, systemContext('system'), { ...user, clinicId: user.clinicId ?? null }, hash, reason));
    return created.id;
  }

  async update(ctx: CommandContext, id: string, dto: UpdateUserDto): Promise<UserView> {
    return this.tx.run(async (tx) => {
      await tx.em.query('SELECT pg_advisory_xact_lock($1)', [ADMIN_CHANGE_LOCK]);
      const before = await this.lockUser(tx.em, id);
      const role = dto.role ?? before.role;
      let clinicId = dto.clinicId !== undefined ? dto.clinicId : before.clinicId;
      if (role !== 'clinic' && dto.clinicId === undefined) clinicId = null; // leaving the clinic role detaches the clinic
      await this.checkClinic(tx.em, role, clinicId);
      const active = dto.active ?? before.active;
      if (before.role === 'admin' && before.active && (role !== 'admin' || !active)) await this.keepOneAdmin(tx.em, id);
      const [[after]] = await tx.em.query(
        `UPDATE users SET display_name = $2, role = $3, clinic_id = $4, active = $5 WHERE id = $1 RETURNING ${USER_COLUMNS}`,
        [id, dto.displayName ?? before.displayName, role, clinicId, active],
      );
      const changed = (['displayName', 'role', 'clinicId', 'active'] as const).filter((k) => before[k] !== after[k]);
      if (changed.length === 0) return after;
      if (!active && before.active) await this.sessions.revokeAllFor(tx.em, id);
      await this.audit.record(tx, ctx, {
        action: !active && before.active ? 'user.deactivated' : active && !before.active ? 'user.reactivated' : 'user.updated',
        entityType: 'user',
        entityId: id,
        before: Object.fromEntries(changed.map((k) => [k, before[k]])),
        after: Object.fromEntries(changed.map((k) => [k, after[k]])),
        reason: dto.reason ?? null,
      });
      return after;
    });
  }

  async unlock(ctx: CommandContext, id: string, reason?: string): Promise<UserView> {
    return this.tx.run(async (tx) => {
      const before = await this.lockUser(tx.em, id);
      const [[after]] = await tx.em.query(`UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = $1 RETURNING ${USER_COLUMNS}`, [id]);
      await this.audit.record(tx, ctx, {
        action: 'user.unlocked',
        entityType: 'user',
        entityId: id,
        before: { lockedUntil: before.lockedUntil, failedAttempts: before.failedAttempts },
        after: { lockedUntil: null, failedAttempts: 0 },
        reason: reason ?? null,
      });
      return after;
    });
  }

  private async insert(tx: Tx, ctx: CommandContext, user: NewUser & { clinicId: string | null }, hash: string, reason?: string): Promise<UserView> {
    const email = user.email.trim().toLowerCase();
    await this.checkClinic(tx.em, user.role, user.clinicId);
    const [taken] = await tx.em.query(`SELECT 1 FROM users WHERE lower(email) = $1`, [email]);
    if (taken) throw DomainError.field('user.already_exists', 'email', 'unique', 'An account with this e-mail address already exists.');
    const [row] = await tx.em.query(
      `INSERT INTO users (email, display_name, role, clinic_id, password_hash) VALUES ($1, $2, $3, $4, $5) RETURNING ${USER_COLUMNS}`,
      [email, user.displayName.trim(), user.role, user.clinicId, hash],
    );
    await this.audit.record(tx, ctx, { action: 'user.created', entityType: 'user', entityId: row.id, after: auditedUser(row), reason: reason ?? null });
    return row;
  }

  private async lockUser(em: EntityManager, id: string): Promise<UserView> {
    const [row] = await em.query(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1 FOR UPDATE`, [id]);
    if (!row) throw DomainError.notFound('user', id);
    return row;
  }

  /** A clinic user belongs to exactly one active clinic; staff belong to none. */
  private async checkClinic(em: EntityManager, role: Role, clinicId: string | null): Promise<void> {
    if (role !== 'clinic') {
      if (clinicId) throw DomainError.field('validation.failed', 'clinicId', 'onlyForClinicRole', 'Only clinic users belong to a clinic.');
      return;
    }
    if (!clinicId) throw DomainError.field('validation.failed', 'clinicId', 'requiredForClinicRole', 'A clinic user must belong to a clinic.');
    const [clinic] = await em.query(`SELECT active FROM clinics WHERE id = $1`, [clinicId]);
    if (!clinic?.active) throw DomainError.field('clinic.unknown', 'clinicId', 'exists', `No active clinic with id ${clinicId}.`);
  }

  private async keepOneAdmin(em: EntityManager, exceptId: string): Promise<void> {
    const [{ n }] = await em.query(`SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND active AND id <> $1`, [exceptId]);
    if (n === 0) throw new DomainError('user.last_admin', 'At least one active admin must remain.');
  }
}
