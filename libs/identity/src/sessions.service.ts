import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type Actor, APP_CONFIG, type AppConfig } from '#platform';
import { hashSessionToken, newSessionToken } from './passwords.js';

const TOKEN_FORMAT = /^[A-Za-z0-9_-]{20,200}$/;

/** Sessions: the client holds a random token, the database only its SHA-256. */
@Injectable()
export class Sessions {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async open(em: EntityManager, userId: string): Promise<{ sessionId: string; token: string; expiresAt: string }> {
    const { token, tokenHash } = newSessionToken();
    const [row] = await em.query(
      `INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, now() + make_interval(mins => $3)) RETURNING id, expires_at AS "expiresAt"`,
      [userId, tokenHash, this.config.sessionTtlMinutes],
    );
    return { sessionId: row.id, token, expiresAt: new Date(row.expiresAt).toISOString() };
  }

  /** The actor behind a bearer token, or null when it is unknown, expired, revoked or the account is inactive. */
  async resolve(token: string): Promise<Actor | null> {
    if (!TOKEN_FORMAT.test(token)) return null;
    const [row] = await this.dataSource.query(
      `SELECT s.id AS "sessionId", u.id AS "userId", u.display_name AS "displayName", u.role, u.clinic_id AS "clinicId"
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.active`,
      [hashSessionToken(token)],
    );
    return row ? { userId: row.userId, displayName: row.displayName, role: row.role, clinicId: row.clinicId, sessionId: row.sessionId } : null;
  }

  async revoke(em: EntityManager, sessionId: string): Promise<void> {
    await em.query(`UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [sessionId]);
  }

  /** Ends every open session of a user, except optionally the one making the request. */
  async revokeAllFor(em: EntityManager, userId: string, exceptSessionId?: string): Promise<number> {
    const [, count] = await em.query(
      `UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() AND ($2::uuid IS NULL OR id <> $2::uuid)`,
      [userId, exceptSessionId || null],
    );
    return Number(count ?? 0);
  }
}
