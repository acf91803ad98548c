import { Injectable } from '@nestjs/common';
import { Outbox, type Tx } from '#platform';

/**
 * Every change that can affect a batch's releasability calls this in its own transaction:
 * it bumps the batch's QC revision (so an older checklist is known to be stale) and enqueues
 * a gate evaluation through the outbox (so it runs only if the change commits).
 */
@Injectable()
export class QcChanges {
  constructor(private readonly outbox: Outbox) {}

  async changed(tx: Tx, batchIds: string | string[]): Promise<void> {
    const ids = [...new Set(Array.isArray(batchIds) ? batchIds : [batchIds])];
    if (ids.length === 0) return;
    await tx.em.query(`UPDATE batches SET qc_revision = qc_revision + 1 WHERE id = ANY($1::uuid[])`, [ids]);
    for (const batchId of ids) await this.outbox.enqueue(tx, 'release.gate.evaluate', { batchId });
  }
}
