import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditTrail } from '#audit';
import { QcChanges } from '#batches';
import { type CommandContext, DomainError, type Tx, TransactionRunner } from '#platform';
import { ESignatures, SignedRecords } from '#signatures';
import { InvestigationRepository, type InvestigationRow } from './investigations.repository.js';

export interface FailedResult {
  id: string;
  batchId: string;
  lineageId: string;
  assay: string;
  verdicts: { parameter: string; label: string; value: unknown; expected: string; verdict: string }[];
}

export interface CloseInvestigation {
  conclusion: 'invalidated_retest' | 'confirmed_oos';
  password: string;
  rootCause?: string;
  findings?: string;
  retestResultId?: string;
}

/** Out-of-specification investigations: opened automatically, closed only with a QA signature. */
@Injectable()
export class InvestigationService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly repo: InvestigationRepository,
    private readonly audit: AuditTrail,
    private readonly signatures: ESignatures,
    private readonly signedRecords: SignedRecords,
    private readonly qcChanges: QcChanges,
  ) {}

  onModuleInit(): void {
    this.signedRecords.register('investigation', (em, id) => this.signable(em, id));
  }

  /** Opens an investigation for a failing result unless its lineage already has an open one. Runs in the caller's transaction. */
  async openFor(tx: Tx, ctx: CommandContext, result: FailedResult): Promise<string | null> {
    const existing = await this.repo.openForLineage(tx.em, result.lineageId);
    if (existing) return null;
    const failedParameters = result.verdicts.filter((v) => v.verdict === 'fail').map(({ parameter, label, value, expected }) => ({ parameter, label, value, expected }));
    const id = await this.repo.insert(tx.em, { batchId: result.batchId, resultId: result.id, failedParameters });
    await this.audit.record(tx, ctx, { action: 'investigation.opened', entityType: 'investigation', entityId: id, after: { batchId: result.batchId, resultId: result.id, assay: result.assay, failedParameters } });
    return id;
  }

  list(filter: { status?: string; batchId?: string }): Promise<InvestigationRow[]> {
    return this.repo.list(this.dataSource.manager, filter);
  }

  async get(id: string): Promise<InvestigationRow> {
    const row = await this.repo.find(this.dataSource.manager, id);
    if (!row) throw DomainError.notFound('investigation', id);
    return row;
  }

  async update(ctx: CommandContext, id: string, fields: { assigneeId?: string | null; findings?: string | null; rootCause?: string | null }): Promise<InvestigationRow> {
    await this.tx.run(async (tx) => {
      const before = await this.repo.find(tx.em, id, true);
      if (!before) throw DomainError.notFound('investigation', id);
      if (before.status === 'closed') throw new DomainError('investigation.closed', `Investigation ${before.number} is closed.`);
      if (fields.assigneeId) {
        const [user] = await tx.em.query(`SELECT role FROM users WHERE id = $1 AND active`, [fields.assigneeId]);
        if (!user || !['technician', 'qa_manager'].includes(user.role)) throw DomainError.field('investigation.bad_assignee', 'assigneeId', 'labUser', 'The assignee must be an active technician or QA manager.');
      }
      await this.repo.update(tx.em, id, fields);
      await this.audit.record(tx, ctx, { action: 'investigation.updated', entityType: 'investigation', entityId: id, before: { assigneeId: before.assigneeId, findings: before.findings, rootCause: before.rootCause }, after: fields });
    });
    return this.get(id);
  }

  /** QA closes with a signature. An invalidated OOS needs a passing retest of the same assay. */
  async close(ctx: CommandContext, id: string, input: CloseInvestigation): Promise<InvestigationRow> {
    const signer = await this.signatures.reauthenticate(ctx, input.password);
    await this.tx.run(async (tx) => {
      // Lock order everywhere: batch row first, then anything that audits (the audit chain lock).
      await tx.em.query(`SELECT b.id FROM batches b JOIN investigations i ON i.batch_id = b.id WHERE i.id = $1 FOR UPDATE OF b`, [id]);
      const inv = await this.repo.find(tx.em, id, true);
      if (!inv) throw DomainError.notFound('investigation', id);
      if (inv.status === 'closed') throw new DomainError('investigation.closed', `Investigation ${inv.number} is already closed.`);
      const rootCause = input.rootCause ?? inv.rootCause;
      if (!rootCause) throw DomainError.validation([{ field: 'rootCause', rule: 'required', message: 'a root cause is required to close an investigation' }]);
      let retestResultId: string | null = null;
      if (input.conclusion === 'invalidated_retest') {
        if (!input.retestResultId) throw DomainError.validation([{ field: 'retestResultId', rule: 'requiredForConclusion', message: 'invalidating an OOS result needs the passing retest result' }]);
        const [retest] = await tx.em.query(
          `SELECT r.id, r.outcome, r.assay, r.batch_id AS "batchId", r.recorded_at > i.opened_at AS "afterOpening",
                  NOT EXISTS (SELECT 1 FROM assay_results n WHERE n.supersedes_id = r.id) AS current
             FROM assay_results r, investigations i WHERE r.id = $1 AND i.id = $2`,
          [input.retestResultId, id],
        );
        if (!retest || retest.batchId !== inv.batchId || retest.assay !== inv.assay) throw DomainError.field('investigation.bad_retest', 'retestResultId', 'sameBatchAndAssay', `The retest must be a ${inv.assay} result of batch ${inv.batchNumber}.`);
        if (!retest.afterOpening || !retest.current || retest.outcome !== 'pass') throw DomainError.field('investigation.bad_retest', 'retestResultId', 'passingRetest', 'The retest must be a current, passing result recorded after the investigation opened.');
        retestResultId = retest.id;
      }
      await this.repo.conclude(tx.em, id, { conclusion: input.conclusion, rootCause, findings: input.findings ?? null, retestResultId });
      const record = await this.signable(tx.em, id);
      const signature = await this.signatures.sign(tx, signer, { meaning: 'oos_investigation_closed', recordType: 'investigation', recordId: id, record, reason: rootCause });
      await this.repo.close(tx.em, id, signature.id);
      await this.qcChanges.changed(tx, inv.batchId);
      await this.audit.record(tx, ctx, { action: 'investigation.closed', entityType: 'investigation', entityId: id, before: { status: 'open' }, after: { status: 'closed', conclusion: input.conclusion, rootCause, retestResultId, signatureId: signature.id } });
    });
    return this.get(id);
  }

  /** What a closure signature covers: the conclusion, the findings and the failing result it rests on. */
  private async signable(em: EntityManager, id: string): Promise<unknown> {
    const inv = await this.repo.find(em, id);
    if (!inv) return null;
    const [result] = await em.query(`SELECT id, assay, version, data, verdicts, outcome FROM assay_results WHERE id = $1`, [inv.resultId]);
    // No status or signature id: the record is the same when signed and after it is closed.
    return { id: inv.id, number: inv.number, batchId: inv.batchId, failedParameters: inv.failedParameters, result, conclusion: inv.conclusion, rootCause: inv.rootCause, findings: inv.findings, retestResultId: inv.retestResultId };
  }
}
