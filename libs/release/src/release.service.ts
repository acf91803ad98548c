import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditTrail } from '#audit';
import { BatchLifecycle, BatchRepository, type BatchRow } from '#batches';
import { ResultRepository } from '#characterization';
import { APP_CONFIG, type AppConfig, type CommandContext, DomainError, Outbox, TransactionRunner } from '#platform';
import { ESignatures, SignedRecords } from '#signatures';
import { ChecklistRepository, type StoredChecklist } from './checklist.repository.js';
import { formatLotNumber } from './lot-number.js';
import { ReleaseGateJob } from './release-gate.job.js';

/** QA's release decision: approve (gets a lot number and a CoA) or reject, each with an e-signature. */
@Injectable()
export class ReleaseService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly batches: BatchRepository,
    private readonly lifecycle: BatchLifecycle,
    private readonly checklists: ChecklistRepository,
    private readonly results: ResultRepository,
    private readonly gate: ReleaseGateJob,
    private readonly signatures: ESignatures,
    private readonly signedRecords: SignedRecords,
    private readonly audit: AuditTrail,
    private readonly outbox: Outbox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.signedRecords.register('batch_release', (em, batchId) => this.releaseRecord(em, batchId));
  }

  async checklist(batchId: string): Promise<Record<string, unknown>> {
    const em = this.dataSource.manager;
    const batch = await this.batches.find(em, batchId);
    if (!batch) throw DomainError.notFound('batch', batchId);
    const latest = await this.checklists.latest(em, batchId);
    if (!latest) return { batchId, state: batch.state, computed: false, stale: true, qcRevision: batch.qcRevision, lines: [] };
    return { ...latest, state: batch.state, computed: true, stale: latest.qcRevision !== batch.qcRevision, currentQcRevision: batch.qcRevision };
  }

  async approve(ctx: CommandContext, batchId: string, password: string): Promise<Record<string, unknown>> {
    const signer = await this.signatures.reauthenticate(ctx, password);
    await this.tx.run(async (tx) => {
      const batch = await this.lockDecidable(tx.em, batchId);
      if (batch.state !== 'release_pending') throw new DomainError('release.not_pending', `Batch ${batch.batchNumber} is ${batch.state}; only a release-pending batch can be approved.`, { currentState: batch.state });
      const checklist = await this.currentChecklist(tx.em, batch);
      await this.assertFourEyes(tx.em, batch, ctx.actor.userId);
      const signature = await this.signatures.sign(tx, signer, { meaning: 'approved_for_release', recordType: 'batch_release', recordId: batchId });
      const sequence = Number((await tx.em.query(`SELECT nextval('lot_number_seq') AS n`))[0].n);
      const lotNumber = formatLotNumber(this.config.lotNumberFormat, { date: new Date(), productCode: batch.productCode, sequence });
      if (lotNumber.length > 20) throw new DomainError('release.lot_number_too_long', `The lot number format gives ${lotNumber} (over 20 characters, the GS1 limit).`);
      await tx.em.query(`INSERT INTO release_decisions (batch_id, decision, signature_id, checklist_id, decided_by) VALUES ($1, 'approved', $2, $3, $4)`, [batchId, signature.id, checklist.id, ctx.actor.userId]);
      await tx.em.query(`UPDATE batches SET lot_number = $2, released_at = now() WHERE id = $1`, [batchId, lotNumber]);
      await this.lifecycle.apply(tx, ctx, batch, 'approve_release', { checklistPassed: true, releaseSignatureId: signature.id });
      await this.audit.record(tx, ctx, { action: 'batch.released', entityType: 'batch', entityId: batchId, after: { lotNumber, signatureId: signature.id, checklistId: checklist.id } });
      await this.outbox.enqueue(tx, 'release.coa.generate', { batchId });
    });
    return this.decision(batchId);
  }

  async reject(ctx: CommandContext, batchId: string, password: string, reason: string): Promise<Record<string, unknown>> {
    const signer = await this.signatures.reauthenticate(ctx, password);
    await this.tx.run(async (tx) => {
      const batch = await this.lockDecidable(tx.em, batchId);
      const checklist = await this.checklists.latest(tx.em, batchId);
      this.lifecycle.assertAllowed(batch.state, 'reject', { reason });
      const signature = await this.signatures.sign(tx, signer, { meaning: 'rejected', recordType: 'batch_release', recordId: batchId, reason });
      await tx.em.query(`INSERT INTO release_decisions (batch_id, decision, signature_id, checklist_id, reason, decided_by) VALUES ($1, 'rejected', $2, $3, $4, $5)`, [batchId, signature.id, checklist?.id ?? null, reason, ctx.actor.userId]);
      await this.lifecycle.apply(tx, ctx, batch, 'reject', { reason });
    });
    return this.decision(batchId);
  }

  async decision(batchId: string): Promise<Record<string, unknown>> {
    const [row] = await this.dataSource.query(
      `SELECT d.id, d.batch_id AS "batchId", d.decision, d.signature_id AS "signatureId", d.checklist_id AS "checklistId", d.reason, d.decided_at AS "decidedAt",
              b.state, b.lot_number AS "lotNumber", b.released_at AS "releasedAt", s.printed_name AS "signedBy", s.meaning, s.signed_at AS "signedAt"
         FROM release_decisions d JOIN batches b ON b.id = d.batch_id JOIN signatures s ON s.id = d.signature_id WHERE d.batch_id = $1`,
      [batchId],
    );
    if (!row) throw DomainError.notFound('release_decision', batchId);
    return row;
  }

  /** Release-pending batches with their checklists, for the QA release queue. */
  async queue(): Promise<unknown[]> {
    const em = this.dataSource.manager;
    const { items } = await this.batches.list(em, { state: 'release_pending', limit: 200, offset: 0 });
    const checklists = await this.checklists.latestFor(em, items.map((b) => b.id));
    return items.map((b) => ({ ...b, checklist: checklists.get(b.id) ?? null, stale: checklists.get(b.id)?.qcRevision !== b.qcRevision }));
  }

  /** Locks the batch; a second decision on a decided batch is a conflict (exactly one decision is ever stored). */
  private async lockDecidable(em: EntityManager, batchId: string): Promise<BatchRow> {
    const batch = await this.batches.findForUpdate(em, batchId);
    if (!batch) throw DomainError.notFound('batch', batchId);
    const [decided] = await em.query(`SELECT decision FROM release_decisions WHERE batch_id = $1`, [batchId]);
    if (decided) throw new DomainError('release.already_decided', `Batch ${batch.batchNumber} was already ${decided.decision}.`, { decision: decided.decision });
    return batch;
  }

  /** The stored checklist must be the one for the batch's current revision, passing, and still true now. */
  private async currentChecklist(em: EntityManager, batch: BatchRow): Promise<StoredChecklist> {
    const latest = await this.checklists.latest(em, batch.id);
    if (!latest || latest.qcRevision !== batch.qcRevision) {
      throw new DomainError('release.checklist_stale', `Batch ${batch.batchNumber} changed since its checklist was computed; wait for the gate to re-evaluate.`, { checklistRevision: latest?.qcRevision ?? null, currentRevision: batch.qcRevision });
    }
    if (!latest.passed) throw new DomainError('release.gate_not_passed', `The release checklist of batch ${batch.batchNumber} does not pass.`);
    const now = await this.gate.compute(em, batch);
    if (now.contentHash !== latest.contentHash) throw new DomainError('release.checklist_stale', `The records of batch ${batch.batchNumber} no longer match its checklist; wait for the gate to re-evaluate.`);
    return latest;
  }

  /** Four-eyes: the signer cannot have recorded the batch's harvest, isolation steps or results. */
  private async assertFourEyes(em: EntityManager, batch: BatchRow, signerId: string): Promise<void> {
    const [row] = await em.query(
      `SELECT EXISTS (SELECT 1 FROM isolation_steps WHERE batch_id = $1 AND recorded_by = $2)
           OR EXISTS (SELECT 1 FROM assay_results WHERE batch_id = $1 AND recorded_by = $2)
           OR EXISTS (SELECT 1 FROM harvests WHERE batch_id = $1 AND recorded_by = $2) AS involved`,
      [batch.id, signerId],
    );
    if (row.involved) throw new DomainError('release.four_eyes', `You recorded data of batch ${batch.batchNumber}; another QA manager must decide its release.`);
  }

  /** What a release signature covers: the batch, its spec version, the checklist and every result it rests on. */
  private async releaseRecord(em: EntityManager, batchId: string): Promise<unknown> {
    const batch = await this.batches.find(em, batchId);
    if (!batch) return null;
    const [decision] = await em.query(`SELECT checklist_id FROM release_decisions WHERE batch_id = $1`, [batchId]);
    const checklist = decision?.checklist_id ? await this.checklists.find(em, decision.checklist_id) : await this.checklists.latest(em, batchId);
    const resultIds = checklist ? [...new Set(checklist.lines.flatMap((l) => l.evidence.map((e) => e.resultId).filter(Boolean)))] : [];
    const results = resultIds.length
      ? await em.query(`SELECT id, assay, version, lineage_id AS "lineageId", data, derived, verdicts, outcome, performed_at AS "performedAt", recorded_by AS "recordedBy" FROM assay_results WHERE id = ANY($1::uuid[]) ORDER BY id`, [resultIds])
      : [];
    const [spec] = batch.specificationId ? await em.query(`SELECT id, version, title FROM specifications WHERE id = $1`, [batch.specificationId]) : [null];
    return {
      batch: { id: batch.id, batchNumber: batch.batchNumber, productCode: batch.productCode, sourceType: batch.sourceType, originClass: batch.originClass, yieldVolumeMl: batch.yieldVolumeMl },
      specification: spec,
      checklist: checklist ? { id: checklist.id, qcRevision: checklist.qcRevision, passed: checklist.passed, contentHash: checklist.contentHash, lines: checklist.lines } : null,
      results: results.map((r: { performedAt: string | Date }) => ({ ...r, performedAt: new Date(r.performedAt).toISOString() })),
    };
  }
}
