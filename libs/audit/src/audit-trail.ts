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

/** How many events go into one INSERT (10 parameters each, far under PostgreSQL's 65,535). */
const ROWS_PER_INSERT = 500;

/**
 * Writes audit events inside the caller's transaction, so a change and its audit record
 * commit or roll back together. Sequence, time and the hash chain are set by PostgreSQL.
 *
 * The events of a transaction are buffered and inserted together just before its COMMIT
 * (Tx.beforeCommit): extending the chain takes one global lock until commit, so taking it last
 * keeps every other writer's wait to the commit itself instead of the whole command.
 */
@Injectable()
export class AuditTrail {
  private readonly pending = new WeakMap<Tx, { ctx: CommandContext; entry: AuditEntry }[]>();

  async record(tx: Tx, ctx: CommandContext, entry: AuditEntry): Promise<void> {
    await this.recordMany(tx, ctx, [entry]);
  }

  async recordMany(tx: Tx, ctx: CommandContext, entries: AuditEntry[]): Promise<void> {
    let queue = this.pending.get(tx);
    if (!queue) {
      queue = [];
      this.pending.set(tx, queue);
      tx.beforeCommit(() => this.flush(tx));
    }
    for (const entry of entries) queue.push({ ctx, entry });
  }

  private async flush(tx: Tx): Promise<void> {
    const queue = this.pending.get(tx) ?? [];
    this.pending.delete(tx);
    for (let start = 0; start < queue.length; start += ROWS_PER_INSERT) {
      const rows = queue.slice(start, start + ROWS_PER_INSERT);
      const params: unknown[] = [];
      const values = rows.map(({ ctx, entry }) => {
        const at = params.length;
        params.push(
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
        );
        return `(${Array.from({ length: 10 }, (_, i) => `$${at + i + 1}`).join(', ')}, '', '')`;
      });
      // Rows of one multi-row INSERT pass the chain trigger in the order written.
      await tx.em.query(
        `INSERT INTO audit_events (actor_id, actor_name, actor_role, action, entity_type, entity_id, before, after, reason, request_id, prev_hash, hash) VALUES ${values.join(', ')}`,
        params,
      );
    }
  }
}
