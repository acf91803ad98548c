import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export interface InvestigationRow {
  id: string;
  batchId: string;
  batchNumber: string;
  resultId: string;
  assay: string;
  number: string;
  status: 'open' | 'closed';
  failedParameters: unknown;
  assigneeId: string | null;
  findings: string | null;
  rootCause: string | null;
  conclusion: 'invalidated_retest' | 'confirmed_oos' | null;
  retestResultId: string | null;
  closureSignatureId: string | null;
  openedAt: string;
  closedAt: string | null;
  version: number;
}

const COLUMNS = `i.id, i.batch_id AS "batchId", b.batch_number AS "batchNumber", i.result_id AS "resultId", r.assay, i.number, i.status,
  i.failed_parameters AS "failedParameters", i.assignee_id AS "assigneeId", i.findings, i.root_cause AS "rootCause", i.conclusion,
  i.retest_result_id AS "retestResultId", i.closure_signature_id AS "closureSignatureId", i.opened_at AS "openedAt", i.closed_at AS "closedAt", i.version`;
const FROM = `investigations i JOIN batches b ON b.id = i.batch_id JOIN assay_results r ON r.id = i.result_id`;

@Injectable()
export class InvestigationRepository {
  async find(em: EntityManager, id: string, lock = false): Promise<InvestigationRow | null> {
    const [row] = await em.query(`SELECT ${COLUMNS} FROM ${FROM} WHERE i.id = $1 ${lock ? 'FOR UPDATE OF i' : ''}`, [id]);
    return row ?? null;
  }

  async list(em: EntityManager, filter: { status?: string; batchId?: string }): Promise<InvestigationRow[]> {
    return em.query(
      `SELECT ${COLUMNS} FROM ${FROM} WHERE ($1::text IS NULL OR i.status = $1) AND ($2::uuid IS NULL OR i.batch_id = $2) ORDER BY i.opened_at DESC LIMIT 500`,
      [filter.status ?? null, filter.batchId ?? null],
    );
  }

  async openForLineage(em: EntityManager, lineageId: string): Promise<InvestigationRow | null> {
    const [row] = await em.query(`SELECT ${COLUMNS} FROM ${FROM} WHERE r.lineage_id = $1 AND i.status = 'open'`, [lineageId]);
    return row ?? null;
  }

  async insert(em: EntityManager, row: { batchId: string; resultId: string; failedParameters: unknown }): Promise<string> {
    const [{ n }] = await em.query(`SELECT nextval('investigation_number_seq') AS n`);
    const number = `OOS-${new Date().getUTCFullYear()}-${String(n).padStart(4, '0')}`;
    const [{ id }] = await em.query(
      `INSERT INTO investigations (batch_id, result_id, number, status, failed_parameters) VALUES ($1, $2, $3, 'open', $4) RETURNING id`,
      [row.batchId, row.resultId, number, JSON.stringify(row.failedParameters)],
    );
    return id;
  }

  async update(em: EntityManager, id: string, fields: { assigneeId?: string | null; findings?: string | null; rootCause?: string | null }): Promise<void> {
    await em.query(
      `UPDATE investigations SET assignee_id = CASE WHEN $2 THEN $3::uuid ELSE assignee_id END,
              findings = CASE WHEN $4 THEN $5 ELSE findings END, root_cause = CASE WHEN $6 THEN $7 ELSE root_cause END, version = version + 1
        WHERE id = $1`,
      [id, fields.assigneeId !== undefined, fields.assigneeId ?? null, fields.findings !== undefined, fields.findings ?? null, fields.rootCause !== undefined, fields.rootCause ?? null],
    );
  }

  /** Records the conclusion on the open investigation, so the closure signature covers it. */
  async conclude(em: EntityManager, id: string, fields: { conclusion: string; rootCause: string; findings: string | null; retestResultId: string | null }): Promise<void> {
    await em.query(
      `UPDATE investigations SET conclusion = $2, root_cause = $3, findings = coalesce($4, findings), retest_result_id = $5, version = version + 1 WHERE id = $1`,
      [id, fields.conclusion, fields.rootCause, fields.findings, fields.retestResultId],
    );
  }

  async close(em: EntityManager, id: string, signatureId: string): Promise<void> {
    await em.query(`UPDATE investigations SET status = 'closed', closure_signature_id = $2, closed_at = now(), version = version + 1 WHERE id = $1`, [id, signatureId]);
  }
}
