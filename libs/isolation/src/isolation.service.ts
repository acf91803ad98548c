import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditTrail } from '#audit';
import { BatchLifecycle, BatchQueries, BatchRepository, BatchViewSections, type BatchRow } from '#batches';
import { type CommandContext, DomainError, Outbox, TransactionRunner, type Tx } from '#platform';
import type { CompleteIsolationDto, RecordIsolationStepDto } from './isolation.dto.js';
import { ReagentService } from './reagents.service.js';
import { checkLotUse, checkStepRules, STEP_RULES, type StepType } from './step-rules.js';

const STEP_COLUMNS = `s.id, s.batch_id AS "batchId", s.sequence, s.step_type AS "stepType", s.reagent_lot_id AS "reagentLotId",
  l.lot_number AS "reagentLotNumber", r.name AS "reagentName", s.parameters, s.performed_at AS "performedAt", s.notes,
  s.recorded_by AS "recordedBy", s.recorded_at AS "recordedAt"`;
const STEP_FROM = `isolation_steps s LEFT JOIN reagent_lots l ON l.id = s.reagent_lot_id LEFT JOIN reagents r ON r.id = l.reagent_id`;

/** Isolation: an ordered list of recorded steps on a batch, then completion with the yield. */
@Injectable()
export class IsolationService implements OnModuleInit {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly batches: BatchRepository,
    private readonly lifecycle: BatchLifecycle,
    private readonly queries: BatchQueries,
    private readonly reagents: ReagentService,
    private readonly audit: AuditTrail,
    private readonly outbox: Outbox,
    private readonly sections: BatchViewSections,
  ) {}

  onModuleInit(): void {
    this.sections.register('isolationSteps', (em, ids) => this.loadSteps(em, ids));
    this.sections.register('summary', (em, ids) => this.loadSummaries(em, ids));
  }

  async recordStep(ctx: CommandContext, batchId: string, dto: RecordIsolationStepDto): Promise<Record<string, unknown>> {
    const ruleErrors = checkStepRules({ stepType: dto.stepType, reagentLotId: dto.reagentLotId, parameters: { ...dto.parameters } });
    const performedAt = new Date(dto.performedAt);
    if (performedAt.getTime() > Date.now() + 5 * 60_000) {
      ruleErrors.push({ field: 'performedAt', rule: 'notInFuture', message: 'performedAt cannot be in the future' });
    }
    if (ruleErrors.length) throw DomainError.validation(ruleErrors, `The ${dto.stepType} step is not complete.`);

    const step = await this.tx.run(async (tx) => {
      const batch = await this.lockBatch(tx, batchId);
      if (batch.state !== 'harvested' && batch.state !== 'isolation_in_progress') {
        throw new DomainError('batch.wrong_state', `Isolation steps can be recorded only while a batch is harvested or in isolation; batch ${batch.batchNumber} is ${batch.state}.`, { currentState: batch.state });
      }
      if (dto.reagentLotId) await this.checkLot(tx.em, dto.stepType, dto.reagentLotId, batch, performedAt);
      const [{ next }] = await tx.em.query(`SELECT coalesce(max(sequence), 0) + 1 AS next FROM isolation_steps WHERE batch_id = $1`, [batchId]);
      if (batch.state === 'harvested') await this.lifecycle.apply(tx, ctx, batch, 'start_isolation', { harvestRecorded: true });
      const [{ id }] = await tx.em.query(
        `INSERT INTO isolation_steps (batch_id, sequence, step_type, reagent_lot_id, parameters, performed_at, notes, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [batchId, next, dto.stepType, dto.reagentLotId ?? null, JSON.stringify(dto.parameters), dto.performedAt, dto.notes ?? null, ctx.actor.userId],
      );
      const [row] = await tx.em.query(`SELECT ${STEP_COLUMNS} FROM ${STEP_FROM} WHERE s.id = $1`, [id]);
      await this.audit.record(tx, ctx, { action: 'isolation_step.recorded', entityType: 'isolation_step', entityId: id, after: row });
      await this.outbox.enqueue(tx, 'batch.summary.recompute', { batchId });
      return row;
    });
    return step;
  }

  async completeIsolation(ctx: CommandContext, batchId: string, dto: CompleteIsolationDto): Promise<Record<string, unknown>> {
    await this.tx.run(async (tx) => {
      const batch = await this.lockBatch(tx, batchId);
      const steps: { step_type: StepType }[] = await tx.em.query(`SELECT step_type FROM isolation_steps WHERE batch_id = $1`, [batchId]);
      const separationStepCount = steps.filter((s) => STEP_RULES[s.step_type].separates).length;
      this.lifecycle.assertAllowed(batch.state, 'complete_isolation', { separationStepCount, yieldVolumeMl: dto.yieldVolumeMl });
      await this.batches.setYield(tx.em, batchId, dto.yieldVolumeMl);
      await this.lifecycle.apply(tx, ctx, batch, 'complete_isolation', { separationStepCount, yieldVolumeMl: dto.yieldVolumeMl, reason: dto.notes ?? null });
      await this.audit.record(tx, ctx, { action: 'isolation.completed', entityType: 'batch', entityId: batchId, before: { yieldVolumeMl: batch.yieldVolumeMl }, after: { yieldVolumeMl: dto.yieldVolumeMl, stepCount: steps.length } });
      await this.outbox.enqueue(tx, 'batch.summary.recompute', { batchId });
    });
    return this.queries.get(batchId);
  }

  async listSteps(em: EntityManager, batchId: string): Promise<unknown[]> {
    const [batch] = await em.query(`SELECT 1 FROM batches WHERE id = $1`, [batchId]);
    if (!batch) throw DomainError.notFound('batch', batchId);
    return (await this.loadSteps(em, [batchId])).get(batchId) ?? [];
  }

  private async lockBatch(tx: Tx, batchId: string): Promise<BatchRow> {
    const batch = await this.batches.findForUpdate(tx.em, batchId);
    if (!batch) throw DomainError.notFound('batch', batchId);
    return batch;
  }

  private async checkLot(em: EntityManager, stepType: StepType, lotId: string, batch: BatchRow, performedAt: Date): Promise<void> {
    const lot = await this.reagents.lotFacts(em, lotId);
    if (!lot) throw DomainError.field('reagent_lot.unknown', 'reagentLotId', 'exists', `No reagent lot with id ${lotId} is recorded.`);
    const refusal = checkLotUse(stepType, lot, batch.sourceType, performedAt);
    if (refusal) throw DomainError.field(refusal.code, 'reagentLotId', refusal.code.split('.')[1], refusal.message);
  }

  private async loadSteps(em: EntityManager, batchIds: string[]): Promise<Map<string, unknown[]>> {
    const rows: { batchId: string }[] = await em.query(`SELECT ${STEP_COLUMNS} FROM ${STEP_FROM} WHERE s.batch_id = ANY($1::uuid[]) ORDER BY s.batch_id, s.sequence`, [batchIds]);
    const byBatch = new Map<string, unknown[]>();
    for (const row of rows) byBatch.set(row.batchId, [...(byBatch.get(row.batchId) ?? []), row]);
    return byBatch;
  }

  private async loadSummaries(em: EntityManager, batchIds: string[]): Promise<Map<string, unknown>> {
    const rows: { batchId: string }[] = await em.query(
      `SELECT batch_id AS "batchId", step_count AS "stepCount", processing_minutes::float8 AS "processingMinutes", reagent_lots AS "reagentLots",
              last_step_at AS "lastStepAt", computed_at AS "computedAt", computations FROM batch_summaries WHERE batch_id = ANY($1::uuid[])`,
      [batchIds],
    );
    return new Map(rows.map((r) => [r.batchId, r]));
  }
}
