import { Injectable, type OnModuleInit } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { EntityManager } from 'typeorm';
import { BatchLifecycle, BatchRepository, type BatchRow } from '#batches';
import { ResultRepository } from '#characterization';
import { JobHandlerRegistry, systemContext, TransactionRunner } from '#platform';
import { SpecificationRepository } from '#specifications';
import { buildChecklist, requiredAssaysRecorded, type Checklist } from './checklist.js';
import { ChecklistContributors } from './checklist-contributors.js';
import { ChecklistRepository } from './checklist.repository.js';

const GATED_STATES = ['characterization', 'qc_review', 'release_pending'];

/**
 * The QC release gate. Re-reads the batch and everything it rests on, stores the checklist
 * when it changed, and moves the batch between characterization, QC review and release
 * pending. Idempotent: running it twice on the same state stores nothing new and moves nothing.
 */
@Injectable()
export class ReleaseGateJob implements OnModuleInit {
  constructor(
    private readonly handlers: JobHandlerRegistry,
    private readonly tx: TransactionRunner,
    private readonly batches: BatchRepository,
    private readonly lifecycle: BatchLifecycle,
    private readonly specs: SpecificationRepository,
    private readonly results: ResultRepository,
    private readonly checklists: ChecklistRepository,
    private readonly contributors: ChecklistContributors,
  ) {}

  onModuleInit(): void {
    this.handlers.register('release.gate.evaluate', ({ batchId }, meta) => this.evaluate(batchId, meta.jobId));
  }

  async evaluate(batchId: string, jobId: string | null = null): Promise<{ state: string; passed: boolean | null }> {
    return this.tx.run(async (tx) => {
      const batch = await this.batches.findForUpdate(tx.em, batchId);
      // Retrying cannot make a missing batch appear: fail at once, visibly, for an admin to look at.
      if (!batch) throw new UnrecoverableError(`batch ${batchId} does not exist`);
      if (!GATED_STATES.includes(batch.state) || !batch.specificationId) return { state: batch.state, passed: null };
      const checklist = await this.compute(tx.em, batch);
      const previous = await this.checklists.latest(tx.em, batchId);
      if (!previous || previous.contentHash !== checklist.contentHash || previous.qcRevision !== batch.qcRevision) {
        await this.checklists.insert(tx.em, { batchId, qcRevision: batch.qcRevision, specificationId: batch.specificationId, passed: checklist.passed, lines: checklist.lines, contentHash: checklist.contentHash, jobId });
      }
      const ctx = systemContext(jobId ? `job:${jobId}` : 'release-gate');
      let state = batch.state;
      if (state === 'characterization' && requiredAssaysRecorded(checklist)) {
        state = await this.lifecycle.apply(tx, ctx, batch, 'submit_for_qc_review', { requiredResultsRecorded: true });
      }
      const current = { ...batch, state };
      if (state === 'qc_review' && checklist.passed) {
        state = await this.lifecycle.apply(tx, ctx, current, 'gate_passed', { checklistPassed: true });
      } else if (state === 'release_pending' && !checklist.passed) {
        const failing = checklist.lines.filter((l) => l.status === 'fail').map((l) => l.requirement);
        state = await this.lifecycle.apply(tx, ctx, current, 'gate_failed', { reason: `Checklist no longer passes: ${failing.join('; ')}` });
      }
      return { state, passed: checklist.passed };
    });
  }

  /** The checklist as the current records say; used by the job and by release approval. */
  async compute(em: EntityManager, batch: BatchRow): Promise<Checklist> {
    const criteria = await this.specs.criteria(em, batch.specificationId!);
    const results = await this.results.current(em, [batch.id]);
    const investigations = await em.query(
      `SELECT i.number, i.status, i.conclusion, r.assay FROM investigations i JOIN assay_results r ON r.id = i.result_id WHERE i.batch_id = $1 ORDER BY i.number`,
      [batch.id],
    );
    const lots = await em.query(
      `SELECT DISTINCT l.lot_number AS "lotNumber", g.name AS "reagentName", l.recalled_at AS "recalledAt"
         FROM reagent_lots l JOIN reagents g ON g.id = l.reagent_id
        WHERE l.id IN (SELECT reagent_lot_id FROM isolation_steps WHERE batch_id = $1 AND reagent_lot_id IS NOT NULL
                       UNION SELECT (data->>'kitLotId')::uuid FROM assay_results WHERE batch_id = $1 AND data ? 'kitLotId')
        ORDER BY 1`,
      [batch.id],
    );
    const extraLines = await this.contributors.lines(em, batch.id);
    return buildChecklist({ sourceType: batch.sourceType, criteria, results, investigations, lots, extraLines });
  }
}
