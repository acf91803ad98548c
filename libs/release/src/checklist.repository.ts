import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ChecklistLine } from './checklist.js';

export interface StoredChecklist {
  id: string;
  batchId: string;
  qcRevision: number;
  specificationId: string | null;
  passed: boolean;
  lines: ChecklistLine[];
  contentHash: string;
  computedAt: string;
  jobId: string | null;
}

const COLUMNS = `id, batch_id AS "batchId", qc_revision AS "qcRevision", specification_id AS "specificationId", passed, lines,
  content_hash AS "contentHash", computed_at AS "computedAt", job_id AS "jobId"`;

/** Release checklists are append-only: each evaluation that changes something adds one. */
@Injectable()
export class ChecklistRepository {
  async latest(em: EntityManager, batchId: string): Promise<StoredChecklist | null> {
    const [row] = await em.query(`SELECT ${COLUMNS} FROM release_checklists WHERE batch_id = $1 ORDER BY computed_at DESC, id LIMIT 1`, [batchId]);
    return row ?? null;
  }

  async latestFor(em: EntityManager, batchIds: string[]): Promise<Map<string, StoredChecklist>> {
    const rows: StoredChecklist[] = await em.query(
      `SELECT DISTINCT ON (batch_id) ${COLUMNS} FROM release_checklists WHERE batch_id = ANY($1::uuid[]) ORDER BY batch_id, computed_at DESC, id`,
      [batchIds],
    );
    return new Map(rows.map((r) => [r.batchId, r]));
  }

  async find(em: EntityManager, id: string): Promise<StoredChecklist | null> {
    const [row] = await em.query(`SELECT ${COLUMNS} FROM release_checklists WHERE id = $1`, [id]);
    return row ?? null;
  }

  async insert(em: EntityManager, row: { batchId: string; qcRevision: number; specificationId: string | null; passed: boolean; lines: ChecklistLine[]; contentHash: string; jobId: string | null }): Promise<string> {
    const [{ id }] = await em.query(
      `INSERT INTO release_checklists (batch_id, qc_revision, specification_id, passed, lines, content_hash, job_id) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [row.batchId, row.qcRevision, row.specificationId, row.passed, JSON.stringify(row.lines), row.contentHash, row.jobId],
    );
    return id;
  }
}
