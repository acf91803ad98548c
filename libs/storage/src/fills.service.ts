import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditTrail } from '#audit';
import { BatchRepository, type BatchRow } from '#batches';
import { type CommandContext, DomainError, TransactionRunner, type Tx } from '#platform';
import { Custody, type VialRow } from './custody.js';
import type { BulkContainerDto, FillDto } from './storage.dto.js';
import { expiryDate, newSerial } from './vial-rules.js';

const FILL_COLUMNS = `f.id, f.batch_id AS "batchId", b.batch_number AS "batchNumber", b.lot_number AS "lotNumber", f.solution_name AS "solutionName",
  f.solution_lot AS "solutionLot", f.filled_at AS "filledAt", f.filled_by AS "filledBy", f.created_at AS "createdAt"`;
/** Batches whose isolated material exists and may sit in a freezer as bulk before release. */
const BULK_STATES = ['isolated', 'characterization', 'qc_review', 'release_pending'];

/** Filling a released batch into dose vials, and registering bulk containers of batches still in the lab. */
@Injectable()
export class Fills {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly batches: BatchRepository,
    private readonly custody: Custody,
    private readonly audit: AuditTrail,
  ) {}

  async fill(ctx: CommandContext, batchId: string, dto: FillDto): Promise<unknown> {
    const filledAt = dto.filledAt ? new Date(dto.filledAt) : new Date();
    if (filledAt.getTime() > Date.now() + 5 * 60_000) throw DomainError.validation([{ field: 'filledAt', rule: 'notInFuture', message: 'filledAt cannot be in the future' }]);
    const errors = dto.vials.flatMap((v, i) => (v.patientRef && !v.clinicId ? [{ field: `vials[${i}].clinicId`, rule: 'requiredWithPatientRef', message: 'a patient-specific vial names its clinic' }] : []));
    if (errors.length) throw DomainError.validation(errors);
    const fillId = await this.tx.run(async (tx) => {
      const batch = await this.lockBatch(tx, batchId);
      if (batch.state !== 'released' || !batch.lotNumber) {
        throw new DomainError('batch.wrong_state', `Only a released batch is filled into vials; batch ${batch.batchNumber} is ${batch.state}.`, { currentState: batch.state });
      }
      if (batch.releasedAt && filledAt.getTime() < new Date(batch.releasedAt).getTime() - 24 * 3600_000) {
        throw DomainError.validation([{ field: 'filledAt', rule: 'afterRelease', message: 'filledAt cannot be before the batch was released' }]);
      }
      await this.refuseOverYield(tx, batch, 'dose', dto.vials.reduce((s, v) => s + v.volumeMl, 0));
      const clinicIds = [...new Set(dto.vials.map((v) => v.clinicId).filter((c): c is string => !!c))];
      const clinics: { id: string }[] = clinicIds.length ? await tx.em.query(`SELECT id FROM clinics WHERE id = ANY($1::uuid[]) AND active`, [clinicIds]) : [];
      const unknown = clinicIds.find((c) => !clinics.some((k) => k.id === c));
      if (unknown) throw DomainError.field('clinic.unknown', 'vials.clinicId', 'exists', `No active clinic with id ${unknown}.`);
      const [{ shelfLifeDays }] = await tx.em.query(`SELECT shelf_life_days AS "shelfLifeDays" FROM products WHERE id = $1`, [batch.productId]);
      const [{ id }] = await tx.em.query(
        `INSERT INTO vial_fills (batch_id, solution_name, solution_lot, filled_at, filled_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        [batchId, dto.solutionName, dto.solutionLot, filledAt.toISOString(), ctx.actor.userId],
      );
      const expiry = expiryDate(filledAt, shelfLifeDays);
      await this.insertVials(tx, ctx, batch, dto.vials.map((v) => ({ ...v, purpose: 'dose' as const, fillId: id, solutionName: dto.solutionName, solutionLot: dto.solutionLot, filledAt, expiry })));
      await this.audit.record(tx, ctx, { action: 'fill.created', entityType: 'batch', entityId: batchId, after: { fillId: id, vialCount: dto.vials.length, solutionName: dto.solutionName, solutionLot: dto.solutionLot, filledAt: filledAt.toISOString(), expiryDate: expiry } });
      return id as string;
    });
    return this.getFill(fillId);
  }

  /** A container of a batch's isolated material, stored (and monitored) before release. */
  async bulkContainer(ctx: CommandContext, batchId: string, dto: BulkContainerDto): Promise<VialRow> {
    return this.tx.run(async (tx) => {
      const batch = await this.lockBatch(tx, batchId);
      if (!BULK_STATES.includes(batch.state)) {
        throw new DomainError('batch.wrong_state', `Bulk containers are registered for batches in the lab after isolation; batch ${batch.batchNumber} is ${batch.state}.`, { currentState: batch.state });
      }
      await this.refuseOverYield(tx, batch, 'bulk', dto.volumeMl);
      const [vial] = await this.insertVials(tx, ctx, batch, [{ volumeMl: dto.volumeMl, purpose: 'bulk', fillId: null, solutionName: null, solutionLot: null, filledAt: new Date(), expiry: null }]);
      return vial;
    });
  }

  async getFill(id: string): Promise<unknown> {
    const [fill] = await this.dataSource.query(`SELECT ${FILL_COLUMNS} FROM vial_fills f JOIN batches b ON b.id = f.batch_id WHERE f.id = $1`, [id]);
    if (!fill) throw DomainError.notFound('fill', id);
    const vials = await this.dataSource.query(
      `SELECT v.id, v.serial, v.volume_ml::float8 AS "volumeMl", to_char(v.expiry_date, 'YYYY-MM-DD') AS "expiryDate", v.clinic_id AS "clinicId",
              v.patient_ref AS "patientRef", v.status, v.quarantined FROM vials v WHERE v.fill_id = $1 ORDER BY v.fill_index, v.serial`,
      [id],
    );
    return { ...fill, vials };
  }

  async listForBatch(batchId: string): Promise<unknown[]> {
    const [batch] = await this.dataSource.query(`SELECT 1 FROM batches WHERE id = $1`, [batchId]);
    if (!batch) throw DomainError.notFound('batch', batchId);
    return this.dataSource.query(
      `SELECT v.id, v.serial, v.purpose, v.fill_id AS "fillId", v.volume_ml::float8 AS "volumeMl", to_char(v.expiry_date, 'YYYY-MM-DD') AS "expiryDate",
              v.status, v.quarantined, v.freeze_thaw_cycles AS "freezeThawCycles", l.box_id AS "boxId", l.row_no AS "row", l.col_no AS "col"
         FROM vials v LEFT JOIN vial_locations l ON l.vial_id = v.id WHERE v.batch_id = $1 ORDER BY v.created_at, v.fill_index, v.serial`,
      [batchId],
    );
  }

  private async lockBatch(tx: Tx, batchId: string): Promise<BatchRow> {
    const batch = await this.batches.findForUpdate(tx.em, batchId);
    if (!batch) throw DomainError.notFound('batch', batchId);
    return batch;
  }

  /** The vials filled from a batch (doses) or its bulk containers never hold more than its yield. */
  private async refuseOverYield(tx: Tx, batch: BatchRow, purpose: 'dose' | 'bulk', requestedMl: number): Promise<void> {
    const [{ used }] = await tx.em.query(`SELECT coalesce(sum(volume_ml), 0)::float8 AS used FROM vials WHERE batch_id = $1 AND purpose = $2`, [batch.id, purpose]);
    const yieldMl = batch.yieldVolumeMl ?? 0;
    if (Math.round((used + requestedMl) * 1000) > Math.round(yieldMl * 1000)) {
      throw new DomainError('fill.exceeds_yield', `Batch ${batch.batchNumber} yielded ${yieldMl} mL; ${used} mL is already in ${purpose === 'dose' ? 'vials' : 'bulk containers'}, so ${requestedMl} mL more does not fit.`, {
        yieldVolumeMl: yieldMl,
        alreadyFilledMl: used,
        requestedMl,
      });
    }
  }

  private async insertVials(
    tx: Tx,
    ctx: CommandContext,
    batch: BatchRow,
    vials: { volumeMl: number; clinicId?: string; patientRef?: string; purpose: 'dose' | 'bulk'; fillId: string | null; solutionName: string | null; solutionLot: string | null; filledAt: Date; expiry: string | null }[],
  ): Promise<VialRow[]> {
    const serials = vials.map(() => newSerial());
    const ids: { id: string }[] = await tx.em.query(
      `INSERT INTO vials (serial, batch_id, fill_id, purpose, volume_ml, solution_name, solution_lot, filled_at, expiry_date, clinic_id, patient_ref, fill_index, status, created_by)
       SELECT u.*, 'filled', $12::uuid
         FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::text[], $5::numeric[], $6::text[], $7::text[], $8::timestamptz[], $9::date[], $10::uuid[], $11::text[]) WITH ORDINALITY AS u
       RETURNING id`,
      [
        serials,
        vials.map(() => batch.id),
        vials.map((v) => v.fillId),
        vials.map((v) => v.purpose),
        vials.map((v) => v.volumeMl),
        vials.map((v) => v.solutionName),
        vials.map((v) => v.solutionLot),
        vials.map((v) => v.filledAt.toISOString()),
        vials.map((v) => v.expiry),
        vials.map((v) => v.clinicId ?? null),
        vials.map((v) => v.patientRef ?? null),
        ctx.actor.userId,
      ],
    );
    const rows = await this.custody.lockByIds(tx.em, ids.map((r) => r.id));
    await this.custody.apply(tx, ctx, rows.map((vial) => ({ vial, kind: 'filled' as const, location: null })));
    return rows;
  }
}
