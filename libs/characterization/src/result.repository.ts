import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Assay, ParameterVerdict, Verdict } from '#specifications';

export interface ResultRow {
  id: string;
  batchId: string;
  assay: Assay;
  lineageId: string;
  version: number;
  supersedesId: string | null;
  supersededById: string | null;
  retestOfId: string | null;
  specificationId: string;
  data: Record<string, unknown>;
  derived: Record<string, unknown>;
  verdicts: ParameterVerdict[];
  outcome: Verdict;
  instrument: string | null;
  instrumentFileId: string | null;
  performedAt: string;
  correctionReason: string | null;
  recordedBy: string;
  recordedByName: string;
  recordedAt: string;
}

/** A result to insert: a ResultRow without what the database fills in (id, supersededById, the recorder's name, recordedAt); a null lineageId starts a new lineage. */
export interface NewResult extends Omit<ResultRow, 'id' | 'lineageId' | 'supersededById' | 'recordedByName' | 'recordedAt'> {
  lineageId: string | null;
}

const COLUMNS = `r.id, r.batch_id AS "batchId", r.assay, r.lineage_id AS "lineageId", r.version, r.supersedes_id AS "supersedesId",
  (SELECT n.id FROM assay_results n WHERE n.supersedes_id = r.id) AS "supersededById",
  r.retest_of_id AS "retestOfId", r.specification_id AS "specificationId", r.data, r.derived, r.verdicts, r.outcome, r.instrument,
  r.instrument_file_id AS "instrumentFileId", r.performed_at AS "performedAt", r.correction_reason AS "correctionReason",
  r.recorded_by AS "recordedBy", u.display_name AS "recordedByName", r.recorded_at AS "recordedAt"`;
const FROM = `assay_results r JOIN users u ON u.id = r.recorded_by`;

/** Assay results are append-only: a correction inserts the next version of the same lineage. */
@Injectable()
export class ResultRepository {
  async insert(em: EntityManager, row: NewResult): Promise<string> {
    const [{ id }] = await em.query(
      `INSERT INTO assay_results (batch_id, assay, lineage_id, version, supersedes_id, retest_of_id, specification_id, data, derived, verdicts, outcome,
                                  instrument, instrument_file_id, performed_at, correction_reason, recorded_by)
       VALUES ($1, $2, coalesce($3::uuid, gen_random_uuid()), $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
      [row.batchId, row.assay, row.lineageId, row.version, row.supersedesId, row.retestOfId, row.specificationId, JSON.stringify(row.data), JSON.stringify(row.derived),
       JSON.stringify(row.verdicts), row.outcome, row.instrument, row.instrumentFileId, row.performedAt, row.correctionReason, row.recordedBy],
    );
    return id;
  }

  async find(em: EntityManager, id: string): Promise<ResultRow | null> {
    const [row] = await em.query(`SELECT ${COLUMNS} FROM ${FROM} WHERE r.id = $1`, [id]);
    return row ?? null;
  }

  /** The newest version of every lineage of a batch (what the gate and the batch page use). */
  async current(em: EntityManager, batchIds: string[]): Promise<ResultRow[]> {
    return em.query(
      `SELECT ${COLUMNS} FROM ${FROM} WHERE r.batch_id = ANY($1::uuid[])
          AND NOT EXISTS (SELECT 1 FROM assay_results n WHERE n.supersedes_id = r.id)
        ORDER BY r.batch_id, r.assay, r.recorded_at`,
      [batchIds],
    );
  }

  async lineage(em: EntityManager, lineageId: string): Promise<ResultRow[]> {
    return em.query(`SELECT ${COLUMNS} FROM ${FROM} WHERE r.lineage_id = $1 ORDER BY r.version`, [lineageId]);
  }

  async all(em: EntityManager, batchId: string): Promise<ResultRow[]> {
    return em.query(`SELECT ${COLUMNS} FROM ${FROM} WHERE r.batch_id = $1 ORDER BY r.assay, r.lineage_id, r.version`, [batchId]);
  }

  /** The batch's current NTA concentration: the newest current NTA result's value. */
  async currentNtaConcentration(em: EntityManager, batchId: string): Promise<number | null> {
    const [row] = await em.query(
      `SELECT (r.data->>'concentrationPerMl')::float8 AS c FROM assay_results r
        WHERE r.batch_id = $1 AND r.assay = 'nta' AND NOT EXISTS (SELECT 1 FROM assay_results n WHERE n.supersedes_id = r.id)
        ORDER BY r.performed_at DESC, r.recorded_at DESC LIMIT 1`,
      [batchId],
    );
    return row?.c ?? null;
  }
}
