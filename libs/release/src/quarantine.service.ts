import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditTrail } from '#audit';
import { BatchLifecycle, BatchRepository, QcChanges } from '#batches';
import { type CommandContext, DomainError, TransactionRunner } from '#platform';
import { ESignatures, SignedRecords } from '#signatures';

/** QA holds a batch (deviation, complaint, investigation) and lifts the hold with an e-signature. */
@Injectable()
export class QuarantineService implements OnModuleInit {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly batches: BatchRepository,
    private readonly lifecycle: BatchLifecycle,
    private readonly qcChanges: QcChanges,
    private readonly signatures: ESignatures,
    private readonly signedRecords: SignedRecords,
    private readonly audit: AuditTrail,
  ) {}

  onModuleInit(): void {
    this.signedRecords.register('batch_quarantine', (em, id) => this.signable(em, id));
  }

  async quarantine(ctx: CommandContext, batchId: string, reason: string): Promise<void> {
    await this.tx.run(async (tx) => {
      const batch = await this.batches.findForUpdate(tx.em, batchId);
      if (!batch) throw DomainError.notFound('batch', batchId);
      await this.lifecycle.apply(tx, ctx, batch, 'quarantine', { reason });
      await this.audit.record(tx, ctx, { action: 'batch.quarantined', entityType: 'batch', entityId: batchId, before: { state: batch.state }, after: { state: 'quarantined' }, reason });
    });
  }

  /** Lifting returns a released batch to released, and any other batch to QC review (the gate re-evaluates it). */
  async lift(ctx: CommandContext, batchId: string, reason: string, password: string): Promise<void> {
    const signer = await this.signatures.reauthenticate(ctx, password);
    await this.tx.run(async (tx) => {
      const batch = await this.batches.findForUpdate(tx.em, batchId);
      if (!batch) throw DomainError.notFound('batch', batchId);
      if (batch.state !== 'quarantined') throw new DomainError('batch.wrong_state', `Batch ${batch.batchNumber} is not quarantined.`, { currentState: batch.state });
      await this.signatures.sign(tx, signer, { meaning: 'reviewed', recordType: 'batch_quarantine', recordId: batchId, reason });
      const released = !!batch.releasedAt;
      await this.lifecycle.apply(tx, ctx, batch, released ? 'lift_quarantine_released' : 'lift_quarantine_to_review', { reason, previouslyReleased: released });
      if (!released) await this.qcChanges.changed(tx, batchId);
      await this.audit.record(tx, ctx, { action: 'batch.quarantine_lifted', entityType: 'batch', entityId: batchId, before: { state: 'quarantined' }, after: { state: released ? 'released' : 'qc_review' }, reason });
    });
  }

  /** What the lift signature covers: the batch and the events that quarantined it. */
  private async signable(em: EntityManager, batchId: string): Promise<unknown> {
    const batch = await this.batches.find(em, batchId);
    if (!batch) return null;
    const [hold] = await em.query(`SELECT id::text, reason, occurred_at FROM batch_events WHERE batch_id = $1 AND transition = 'quarantine' ORDER BY id DESC LIMIT 1`, [batchId]);
    return { batchId, batchNumber: batch.batchNumber, lotNumber: batch.lotNumber, quarantineEventId: hold?.id ?? null, quarantineReason: hold?.reason ?? null };
  }
}
