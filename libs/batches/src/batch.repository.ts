import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { BatchState } from './domain/batch-lifecycle.js';

export interface BatchRow {
  id: string;
  batchNumber: string;
  productId: string;
  productCode: string;
  productName: string;
  state: BatchState;
  sourceType: 'cell_culture_media' | 'serum';
  originClass: string;
  yieldVolumeMl: number | null;
  specificationId: string | null;
  qcRevision: number;
  lotNumber: string | null;
  releasedAt: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface BatchEventRow {
  id: string;
  transition: string;
  fromState: BatchState | null;
  toState: BatchState;
  actorId: string | null;
  actorName: string;
  reason: string | null;
  requestId: string | null;
  occurredAt: string;
}

export interface BatchListFilter {
  state?: BatchState;
  productId?: string;
  createdFrom?: string;
  createdTo?: string;
  batchNumber?: string;
  limit: number;
  offset: number;
}

const BATCH_COLUMNS = `
  b.id, b.batch_number AS "batchNumber", b.product_id AS "productId", p.code AS "productCode", p.name AS "productName",
  b.state, b.source_type AS "sourceType", b.origin_class AS "originClass",
  b.yield_volume_ml::float8 AS "yieldVolumeMl", b.specification_id AS "specificationId", b.qc_revision AS "qcRevision",
  b.lot_number AS "lotNumber", b.released_at AS "releasedAt", b.created_by AS "createdBy",
  b.created_at AS "createdAt", b.updated_at AS "updatedAt", b.version`;

/** All batch I/O. Every method takes the caller's EntityManager, so it joins the command's transaction. */
@Injectable()
export class BatchRepository {
  async nextBatchNumber(em: EntityManager, year: number): Promise<string> {
    const [{ n }] = await em.query(`SELECT nextval('batch_number_seq') AS n`);
    return `EXB-${year}-${String(n).padStart(5, '0')}`;
  }

  async batchNumberTaken(em: EntityManager, batchNumber: string): Promise<boolean> {
    const rows = await em.query(`SELECT 1 FROM batches WHERE batch_number = $1`, [batchNumber]);
    return rows.length > 0;
  }

  async insert(em: EntityManager, row: { batchNumber: string; productId: string; state: BatchState; sourceType: string; originClass: string; createdBy: string }): Promise<string> {
    const [{ id }] = await em.query(
      `INSERT INTO batches (batch_number, product_id, state, source_type, origin_class, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [row.batchNumber, row.productId, row.state, row.sourceType, row.originClass, row.createdBy],
    );
    return id;
  }

  async find(em: EntityManager, id: string): Promise<BatchRow | null> {
    const rows = await em.query(`SELECT ${BATCH_COLUMNS} FROM batches b JOIN products p ON p.id = b.product_id WHERE b.id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** Locks the batch row for the rest of the transaction: commands on one batch run one at a time. */
  async findForUpdate(em: EntityManager, id: string): Promise<BatchRow | null> {
    const rows = await em.query(`SELECT ${BATCH_COLUMNS} FROM batches b JOIN products p ON p.id = b.product_id WHERE b.id = $1 FOR UPDATE OF b`, [id]);
    return rows[0] ?? null;
  }

  async updateState(em: EntityManager, id: string, state: BatchState): Promise<void> {
    await em.query(`UPDATE batches SET state = $2, updated_at = now(), version = version + 1 WHERE id = $1`, [id, state]);
  }

  async setYield(em: EntityManager, id: string, yieldVolumeMl: number): Promise<void> {
    await em.query(`UPDATE batches SET yield_volume_ml = $2, updated_at = now(), version = version + 1 WHERE id = $1`, [id, yieldVolumeMl]);
  }

  async insertEvent(em: EntityManager, event: { batchId: string; transition: string; fromState: BatchState | null; toState: BatchState; actorId: string | null; actorName: string; reason: string | null; requestId: string }): Promise<BatchEventRow> {
    const [row] = await em.query(
      `INSERT INTO batch_events (batch_id, transition, from_state, to_state, actor_id, actor_name, reason, request_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       RETURNING id::text, transition, from_state AS "fromState", to_state AS "toState", actor_id AS "actorId", actor_name AS "actorName", reason, request_id AS "requestId", occurred_at AS "occurredAt"`,
      [event.batchId, event.transition, event.fromState, event.toState, event.actorId, event.actorName, event.reason, event.requestId],
    );
    return row;
  }

  async events(em: EntityManager, batchId: string): Promise<BatchEventRow[]> {
    return em.query(
      `SELECT id::text, transition, from_state AS "fromState", to_state AS "toState", actor_id AS "actorId", actor_name AS "actorName", reason, request_id AS "requestId", occurred_at AS "occurredAt"
         FROM batch_events WHERE batch_id = $1 ORDER BY id`,
      [batchId],
    );
  }

  async list(em: EntityManager, filter: BatchListFilter): Promise<{ items: BatchRow[]; total: number }> {
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      values.push(value);
      where.push(sql.replace('?', `$${values.length}`));
    };
    if (filter.state) add('b.state = ?', filter.state);
    if (filter.productId) add('b.product_id = ?', filter.productId);
    if (filter.createdFrom) add('b.created_at >= ?', filter.createdFrom);
    if (filter.createdTo) add('b.created_at < ?', filter.createdTo);
    if (filter.batchNumber) add('b.batch_number = ?', filter.batchNumber);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [{ total }] = await em.query(`SELECT count(*)::int AS total FROM batches b ${clause}`, values);
    const items = await em.query(
      `SELECT ${BATCH_COLUMNS} FROM batches b JOIN products p ON p.id = b.product_id ${clause}
        ORDER BY b.created_at DESC, b.id LIMIT $${values.length + 1} OFFSET $${values.length + 2}`,
      [...values, filter.limit, filter.offset],
    );
    return { items, total };
  }
}
