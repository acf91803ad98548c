import { Injectable, type OnModuleInit } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditTrail } from '#audit';
import { BatchLifecycle, BatchRepository, BatchViewSections, QcChanges, type BatchRow } from '#batches';
import { InvestigationService } from '#investigations';
import { type CommandContext, DomainError, flattenValidationErrors, type Tx, TransactionRunner } from '#platform';
import { evaluateResult, SpecificationRepository, type Assay } from '#specifications';
import { DATA_CLASSES } from './assay.dto.js';
import { deriveValues } from './derived-values.js';
import { ResultRepository, type ResultRow } from './result.repository.js';

export interface RecordResultInput {
  performedAt: string;
  instrument?: string;
  retestOfId?: string;
  data: object;
  instrumentFileId?: string | null;
}

const RECORDING_STATES = ['isolated', 'characterization', 'qc_review', 'release_pending'];

/**
 * Records assay results, evaluates them against the batch's bound specification at entry,
 * keeps corrections as new versions, and opens an investigation for anything out of spec.
 */
@Injectable()
export class ResultsService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly batches: BatchRepository,
    private readonly lifecycle: BatchLifecycle,
    private readonly specs: SpecificationRepository,
    private readonly results: ResultRepository,
    private readonly investigations: InvestigationService,
    private readonly audit: AuditTrail,
    private readonly sections: BatchViewSections,
    private readonly qcChanges: QcChanges,
  ) {}

  onModuleInit(): void {
    this.sections.register('results', async (em, ids) => {
      const rows = await this.results.current(em, ids);
      const byBatch = new Map<string, unknown[]>();
      for (const r of rows) byBatch.set(r.batchId, [...(byBatch.get(r.batchId) ?? []), { id: r.id, assay: r.assay, version: r.version, outcome: r.outcome, performedAt: r.performedAt }]);
      return byBatch;
    });
  }

  /** Validates an assay's data against its DTO (for corrections and imports, whose shape is known only at run time). */
  async validateData(assay: Assay, data: unknown, field = 'data'): Promise<Record<string, unknown>> {
    if (!data || typeof data !== 'object' || Array.isArray(data)) throw DomainError.validation([{ field, rule: 'isObject', message: `${field} must be an object` }]);
    const instance = plainToInstance(DATA_CLASSES[assay] as new () => object, data);
    const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true, validationError: { target: false, value: false } });
    if (errors.length) throw DomainError.validation(flattenValidationErrors(errors, field));
    return instance as Record<string, unknown>;
  }

  async record(ctx: CommandContext, batchId: string, assay: Assay, input: RecordResultInput, tx?: Tx): Promise<ResultRow> {
    const work = async (t: Tx) => {
      const batch = await this.lockBatch(t, batchId);
      const specificationId = await this.ensureCharacterizationStarted(t, ctx, batch);
      if (input.retestOfId) {
        const original = await this.results.find(t.em, input.retestOfId);
        if (!original || original.batchId !== batchId || original.assay !== assay) {
          throw DomainError.field('result.bad_retest', 'retestOfId', 'sameBatchAndAssay', `retestOfId must name a ${assay} result of this batch.`);
        }
      }
      const id = await this.insertEvaluated(t, ctx, batch, specificationId, assay, { ...input, lineageId: null, version: 1, supersedesId: null, correctionReason: null });
      await this.audit.record(t, ctx, { action: 'result.recorded', entityType: 'assay_result', entityId: id, after: await this.results.find(t.em, id) });
      await this.afterChange(t, ctx, id);
      return id;
    };
    const id = tx ? await work(tx) : await this.tx.run(work);
    return (await this.results.find(tx?.em ?? this.dataSource.manager, id))!;
  }

  /** A correction is the next version of the result, with a mandatory reason; the old version stays. */
  async correct(ctx: CommandContext, batchId: string, resultId: string, input: { data: unknown; reason: string; performedAt?: string }): Promise<ResultRow> {
    const original = await this.results.find(this.dataSource.manager, resultId);
    if (!original || original.batchId !== batchId) throw DomainError.notFound('assay_result', resultId);
    const data = await this.validateData(original.assay, input.data);
    const id = await this.tx.run(async (t) => {
      const batch = await this.lockBatch(t, batchId);
      if (!RECORDING_STATES.slice(1).includes(batch.state)) throw new DomainError('batch.wrong_state', `Results of batch ${batch.batchNumber} cannot change while it is ${batch.state}.`, { currentState: batch.state });
      const current = await this.results.find(t.em, resultId);
      if (current!.supersededById) throw new DomainError('result.stale', `Version ${current!.version} was already corrected; correct the current version ${current!.supersededById}.`, { currentVersionId: current!.supersededById });
      const newId = await this.insertEvaluated(t, ctx, batch, batch.specificationId ?? current!.specificationId, current!.assay, {
        data, performedAt: input.performedAt ?? current!.performedAt, instrument: current!.instrument ?? undefined, retestOfId: current!.retestOfId ?? undefined,
        instrumentFileId: current!.instrumentFileId, lineageId: current!.lineageId, version: current!.version + 1, supersedesId: current!.id, correctionReason: input.reason,
      });
      await this.audit.record(t, ctx, { action: 'result.corrected', entityType: 'assay_result', entityId: newId, before: { id: current!.id, version: current!.version, data: current!.data, outcome: current!.outcome }, after: await this.results.find(t.em, newId), reason: input.reason });
      await this.afterChange(t, ctx, newId);
      return newId;
    });
    return (await this.results.find(this.dataSource.manager, id))!;
  }

  async currentFor(batchId: string): Promise<ResultRow[]> {
    await this.assertBatch(batchId);
    return this.results.current(this.dataSource.manager, [batchId]);
  }

  async allFor(batchId: string): Promise<ResultRow[]> {
    await this.assertBatch(batchId);
    return this.results.all(this.dataSource.manager, batchId);
  }

  async versions(batchId: string, resultId: string): Promise<ResultRow[]> {
    const result = await this.results.find(this.dataSource.manager, resultId);
    if (!result || result.batchId !== batchId) throw DomainError.notFound('assay_result', resultId);
    return this.results.lineage(this.dataSource.manager, result.lineageId);
  }

  private async insertEvaluated(
    t: Tx, ctx: CommandContext, batch: BatchRow, specificationId: string, assay: Assay,
    input: RecordResultInput & { lineageId: string | null; version: number; supersedesId: string | null; correctionReason: string | null },
  ): Promise<string> {
    const lines = await this.specs.criteria(t.em, specificationId);
    const data = input.data as Record<string, unknown>;
    const derived = deriveValues(assay, data, { ntaConcentrationPerMl: assay === 'protein' ? await this.results.currentNtaConcentration(t.em, batch.id) : null });
    const { verdicts, outcome } = evaluateResult(assay, data, lines, batch.sourceType, derived);
    return this.results.insert(t.em, {
      batchId: batch.id, assay, lineageId: input.lineageId, version: input.version, supersedesId: input.supersedesId, retestOfId: input.retestOfId ?? null,
      specificationId, data, derived, verdicts, outcome, instrument: input.instrument ?? null, instrumentFileId: input.instrumentFileId ?? null,
      performedAt: input.performedAt, correctionReason: input.correctionReason, recordedBy: ctx.actor.userId,
    });
  }

  /** An out-of-spec result opens an investigation in the same transaction; the gate re-evaluates after commit. */
  private async afterChange(t: Tx, ctx: CommandContext, resultId: string): Promise<void> {
    const result = (await this.results.find(t.em, resultId))!;
    if (result.outcome === 'fail') await this.investigations.openFor(t, ctx, result);
    await this.qcChanges.changed(t, result.batchId);
  }

  /** The first result on an isolated batch starts characterization and binds the effective specification. */
  private async ensureCharacterizationStarted(t: Tx, ctx: CommandContext, batch: BatchRow): Promise<string> {
    if (!RECORDING_STATES.includes(batch.state)) {
      throw new DomainError('batch.wrong_state', `Results can be recorded once isolation is complete and until release; batch ${batch.batchNumber} is ${batch.state}.`, { currentState: batch.state });
    }
    if (batch.specificationId) return batch.specificationId;
    const spec = await this.specs.effectiveFor(t.em, batch.productId);
    this.lifecycle.assertAllowed(batch.state, 'start_characterization', { specificationBound: !!spec });
    await t.em.query(`UPDATE batches SET specification_id = $2, specification_bound_at = now(), updated_at = now(), version = version + 1 WHERE id = $1`, [batch.id, spec!.id]);
    await this.lifecycle.apply(t, ctx, batch, 'start_characterization', { specificationBound: true });
    await this.audit.record(t, ctx, { action: 'batch.specification_bound', entityType: 'batch', entityId: batch.id, after: { specificationId: spec!.id, version: spec!.version } });
    return spec!.id;
  }

  private async lockBatch(t: Tx, batchId: string): Promise<BatchRow> {
    const batch = await this.batches.findForUpdate(t.em, batchId);
    if (!batch) throw DomainError.notFound('batch', batchId);
    return batch;
  }

  private async assertBatch(batchId: string, em: EntityManager = this.dataSource.manager): Promise<void> {
    const [row] = await em.query(`SELECT 1 FROM batches WHERE id = $1`, [batchId]);
    if (!row) throw DomainError.notFound('batch', batchId);
  }
}
