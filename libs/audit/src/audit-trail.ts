import { Injectable } from '@nestjs/common';
import type { CommandContext, Tx } from '#platform';

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
  reason?: string | null;
}

/**
 * Writes audit events inside the caller's transaction, so a change and its audit record
 * commit or roll back together. Sequence, time and the hash chain are set by PostgreSQL.
 */
@Injectable()
export class AuditTrail {
  async record(tx: Tx, ctx: CommandContext, entry: AuditEntry): Promise<void> {
    await this.recordMany(tx, ctx, [entry]);
  }

  async recordMany(tx: Tx, ctx: CommandContext, entries: AuditEntry[]): Promise<void> {
    for (const entry of entries) {
      await tx.em.query(
        `INSERT INTO audit_events (actor_id, actor_name, actor_role, action, entity_type, entity_id, before, after, reason, request_id, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', '')`,
        [
          ctx.actor.userId || null,
          ctx.actor.displayName,
          ctx.actor.userId ? ctx.actor.role : 'system',
          entry.action,
          entry.entityType,
          entry.entityId,
          entry.before === undefined ? null : JSON.stringify(entry.before),
          entry.after === undefined ? null : JSON.stringify(entry.after),
          entry.reason ?? null,
          ctx.requestId,
        ],
      );
    }
  }
}
