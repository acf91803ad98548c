import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { KeyAlreadyClaimed } from './key-already-claimed.js';
import type { KeyedCommand } from './keyed-command.js';

export { KeyAlreadyClaimed };

/** A committed claim on a key, as a retry finds it. */
export interface StoredKey {
  method: string;
  path: string;
  requestHash: string;
  requestId: string;
  createdAt: Date;
  /** Set once the answer was written, or once it is known to be lost. */
  respondedAt: Date | null;
  responseStatus: number | null;
  /** JSON text exactly as it was sent; null for an empty answer (204) or a lost one. */
  responseBody: string | null;
  /** The claim is younger than the in-flight window: its request may still be answering. */
  recent: boolean;
}

/** The records a committed command touched, for a retry whose answer was lost (registered by the audit trail). */
export type CommandResources = (scope: string, requestId: string, since: Date) => Promise<{ type: string; id: string }[]>;

/** Expired rows removed per answered command: more than one, so the table drains while keys are used. */
const PURGE_PER_WRITE = 100;

/**
 * Claims the key inside the command's transaction (its first statement), so the claim commits
 * exactly when the command does. An expired claim is taken over. A claim a concurrent
 * transaction holds makes this wait for it (unique index); if it commits, nothing is returned
 * and the command is refused without a unique-violation error.
 */
export async function claimKey(em: EntityManager, command: KeyedCommand): Promise<void> {
  const rows = await em.query(
    `INSERT INTO idempotency_keys (scope, key, method, path, request_hash, request_id, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(hours => $7))
     ON CONFLICT (scope, key) DO UPDATE SET method = EXCLUDED.method, path = EXCLUDED.path, request_hash = EXCLUDED.request_hash,
       request_id = EXCLUDED.request_id, created_at = now(), expires_at = EXCLUDED.expires_at, responded_at = NULL, response_status = NULL, response_body = NULL
       WHERE idempotency_keys.expires_at <= now()
     RETURNING 1 AS claimed`,
    [command.scope, command.key, command.method, command.path, command.requestHash, command.requestId, command.ttlHours],
  );
  if (rows.length === 0) throw new KeyAlreadyClaimed();
}

@Injectable()
export class IdempotencyStore {
  private resources: CommandResources = async () => [];

  constructor(private readonly dataSource: DataSource) {}

  describeResourcesWith(loader: CommandResources): void {
    this.resources = loader;
  }

  /** The live (unexpired) claim on a key, if any. */
  async find(scope: string, key: string, inFlightSeconds: number): Promise<StoredKey | null> {
    const [row] = await this.dataSource.query(
      `SELECT method, path, request_hash AS "requestHash", request_id AS "requestId", created_at AS "createdAt", responded_at AS "respondedAt",
              response_status AS "responseStatus", response_body AS "responseBody", created_at > now() - make_interval(secs => $3) AS recent
         FROM idempotency_keys WHERE scope = $1 AND key = $2 AND expires_at > now()`,
      [scope, key, inFlightSeconds],
    );
    return row ?? null;
  }

  /**
   * The follow-up write after commit: the answer (status null: it is lost), and in the same
   * statement a bounded purge of expired keys (SKIP LOCKED: concurrent writers never wait on it).
   */
  async saveResponse(command: KeyedCommand, status: number | null, body: string | null): Promise<void> {
    await this.dataSource.query(
      `WITH purged AS (
         DELETE FROM idempotency_keys WHERE (scope, key) IN (
           SELECT scope, key FROM idempotency_keys WHERE expires_at <= now() ORDER BY expires_at LIMIT ${PURGE_PER_WRITE} FOR UPDATE SKIP LOCKED))
       UPDATE idempotency_keys SET responded_at = now(), response_status = $4, response_body = $5
        WHERE scope = $1 AND key = $2 AND request_id = $3 AND responded_at IS NULL AND expires_at > now()`,
      [command.scope, command.key, command.requestId, status, body],
    );
  }

  resourcesOf(scope: string, stored: StoredKey): Promise<{ type: string; id: string }[]> {
    return this.resources(scope, stored.requestId, stored.createdAt);
  }
}
