import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditTrail } from '#audit';
import { APP_CONFIG, type AppConfig, DomainError, type Role, systemContext, TransactionRunner } from '#platform';
import { spendVerificationTime, verifyPassword } from './passwords.js';

export interface VerifiedUser {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  clinicId: string | null;
  passwordHash: string;
}

interface CredentialRow extends VerifiedUser {
  active: boolean;
  failedAttempts: number;
  lockedUntil: Date | null;
  locked: boolean;
}

const CREDENTIAL_COLUMNS = `id, email, display_name AS "displayName", role, clinic_id AS "clinicId", password_hash AS "passwordHash",
  active, failed_attempts AS "failedAttempts", locked_until AS "lockedUntil", coalesce(locked_until > now(), false) AS locked`;

export const invalidCredentials = () => new DomainError('auth.invalid_credentials', 'The e-mail address or password is not correct.');
const locked = (until: Date | string) =>
  new DomainError('auth.locked', 'This account is locked after repeated failed sign-ins. Try again later or ask an administrator to unlock it.', { lockedUntil: new Date(until).toISOString() });

/** What a password was asked for (recorded with a rejected attempt). */
export type PasswordPurpose = 'sign-in' | 'password change' | 'signature' | 're-authentication';

/**
 * Password checks with lockout, shared by sign-in, password change and signature
 * re-authentication. Failures are counted in a transaction of their own, so the count stands
 * even when the caller's command fails. Never call this from inside a transaction: with the
 * embedded database a second connection would wait for ever.
 */
@Injectable()
export class Credentials implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditTrail,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    // Prepare the decoy hash now, so the first unknown e-mail takes no longer than the rest.
    spendVerificationTime('warm-up').catch(() => undefined);
  }

  /** Sign-in: unknown, inactive and wrong-password accounts get the same answer. */
  async verifyByEmail(email: string, password: string, requestId: string): Promise<VerifiedUser> {
    const [row] = await this.dataSource.query(`SELECT ${CREDENTIAL_COLUMNS} FROM users WHERE lower(email) = lower($1)`, [email]);
    return this.check(row, password, requestId, 'sign-in');
  }

  /** Re-authentication of a signed-in user (password change, electronic signature). */
  async verifyById(userId: string, password: string, requestId: string, purpose: PasswordPurpose = 're-authentication'): Promise<VerifiedUser> {
    const [row] = await this.dataSource.query(`SELECT ${CREDENTIAL_COLUMNS} FROM users WHERE id = $1`, [userId]);
    return this.check(row, password, requestId, purpose);
  }

  private async check(row: CredentialRow | undefined, password: string, requestId: string, purpose: PasswordPurpose): Promise<VerifiedUser> {
    if (!row || !row.active) {
      await spendVerificationTime(password);
      throw invalidCredentials();
    }
    if (row.locked && row.lockedUntil) throw locked(row.lockedUntil);
    if (!(await verifyPassword(row.passwordHash, password))) {
      await this.countFailure(row.id, requestId, purpose);
      throw invalidCredentials();
    }
    if (row.failedAttempts > 0 || row.lockedUntil) {
      await this.dataSource.query(`UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = $1`, [row.id]);
    }
    const { id, email, displayName, role, clinicId, passwordHash } = row;
    return { id, email, displayName, role, clinicId, passwordHash };
  }

  /**
   * One atomic increment; the attempt that reaches the limit locks the account (and says so).
   * Every rejected password of a known account is audited (attempt n of the limit, what for), so
   * attempts at unauthorised use can be reviewed; unknown e-mails have no account to attach to.
   */
  private async countFailure(userId: string, requestId: string, purpose: PasswordPurpose): Promise<void> {
    const { maxFailures, lockMinutes } = this.config.lockout;
    const lockedUntil = await this.tx.run(async (tx) => {
      const [[row]] = await tx.em.query(
        `UPDATE users SET
           failed_attempts = CASE WHEN failed_attempts + 1 >= $2 THEN 0 ELSE failed_attempts + 1 END,
           locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN now() + make_interval(mins => $3) ELSE NULL END
         WHERE id = $1
         RETURNING locked_until AS "lockedUntil", (failed_attempts = 0) AS "justLocked", failed_attempts AS "failedAttempts"`,
        [userId, maxFailures, lockMinutes],
      );
      if (!row) return null;
      await this.audit.record(tx, systemContext(requestId), {
        action: 'user.password_rejected',
        entityType: 'user',
        entityId: userId,
        after: { purpose, attempt: row.justLocked ? maxFailures : row.failedAttempts, limit: maxFailures },
        reason: `wrong password at ${purpose}`,
      });
      if (!row.justLocked) return null;
      await this.audit.record(tx, systemContext(requestId), {
        action: 'user.locked',
        entityType: 'user',
        entityId: userId,
        after: { lockedUntil: new Date(row.lockedUntil).toISOString() },
        reason: `${maxFailures} failed password attempts in a row`,
      });
      return row.lockedUntil as Date;
    }, { claimsKey: false }); // not the request's command: a refused request must leave its Idempotency-Key unused
    if (lockedUntil) throw locked(lockedUntil);
  }
}
