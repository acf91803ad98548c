import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditTrail } from '#audit';
import { type CommandContext, DomainError, TransactionRunner } from '#platform';
import type { ChangePasswordDto } from './auth.dto.js';
import { Credentials } from './credentials.service.js';
import { hashPassword, passwordNeedsRehash } from './passwords.js';
import { Sessions } from './sessions.service.js';
import { type SessionUser, sessionUser, USER_COLUMNS, type UserView } from './user-view.js';

export interface LoginResult {
  token: string;
  expiresAt: string;
  user: SessionUser;
}

/** Sign-in, sign-out, the caller's own account and password. */
@Injectable()
export class AuthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly credentials: Credentials,
    private readonly sessions: Sessions,
    private readonly audit: AuditTrail,
  ) {}

  async login(email: string, password: string, requestId: string): Promise<LoginResult> {
    const user = await this.credentials.verifyByEmail(email, password, requestId);
    const rehash = passwordNeedsRehash(user.passwordHash) ? await hashPassword(password) : null;
    const session = await this.tx.run(async (tx) => {
      if (rehash) await tx.em.query(`UPDATE users SET password_hash = $2 WHERE id = $1`, [user.id, rehash]);
      const opened = await this.sessions.open(tx.em, user.id);
      const ctx: CommandContext = { actor: { userId: user.id, displayName: user.displayName, role: user.role, clinicId: user.clinicId, sessionId: opened.sessionId }, requestId };
      await this.audit.record(tx, ctx, { action: 'session.signed_in', entityType: 'user', entityId: user.id, after: { sessionId: opened.sessionId, expiresAt: opened.expiresAt } });
      return opened;
    });
    return { token: session.token, expiresAt: session.expiresAt, user: sessionUser(user) };
  }

  async logout(ctx: CommandContext): Promise<void> {
    await this.tx.run(async (tx) => {
      await this.sessions.revoke(tx.em, ctx.actor.sessionId);
      await this.audit.record(tx, ctx, { action: 'session.signed_out', entityType: 'user', entityId: ctx.actor.userId, after: { sessionId: ctx.actor.sessionId } });
    });
  }

  async me(ctx: CommandContext): Promise<UserView> {
    const [row] = await this.dataSource.query(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [ctx.actor.userId]);
    if (!row) throw DomainError.notFound('user', ctx.actor.userId);
    return row;
  }

  /** Re-checks the current password (a failure counts towards lockout) and ends the user's other sessions. */
  async changePassword(ctx: CommandContext, dto: ChangePasswordDto): Promise<void> {
    await this.credentials.verifyById(ctx.actor.userId, dto.currentPassword, ctx.requestId, 'password change');
    if (dto.newPassword === dto.currentPassword) {
      throw DomainError.field('validation.failed', 'newPassword', 'differs', 'The new password must differ from the current one.');
    }
    const hash = await hashPassword(dto.newPassword);
    await this.tx.run(async (tx) => {
      const [[row]] = await tx.em.query(`UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1 RETURNING password_changed_at AS "at"`, [ctx.actor.userId, hash]);
      const revoked = await this.sessions.revokeAllFor(tx.em, ctx.actor.userId, ctx.actor.sessionId);
      await this.audit.record(tx, ctx, {
        action: 'user.password_changed',
        entityType: 'user',
        entityId: ctx.actor.userId,
        after: { passwordChangedAt: new Date(row.at).toISOString(), otherSessionsRevoked: revoked },
        reason: 'changed by the account holder',
      });
    });
  }
}
