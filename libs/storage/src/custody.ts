import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditTrail } from '#audit';
import { type CommandContext, DomainError, type Tx } from '#platform';
import { type CustodyKind, planCustody, type VialStatus } from './vial-rules.js';

export interface Position {
  boxId: string;
  row: number;
  col: number;
}

export interface VialRow {
  id: string;
  serial: string;
  batchId: string;
  batchNumber: string;
  lotNumber: string | null;
  batchState: string;
  productId: string;
  fillId: string | null;
  purpose: 'dose' | 'bulk';
  volumeMl: number;
  solutionName: string | null;
  solutionLot: string | null;
  filledAt: string;
  expiryDate: string | null;
  clinicId: string | null;
  patientRef: string | null;
  status: VialStatus;
  quarantined: boolean;
  recalledAt: string | null;
  freezeThawCycles: number;
  boxId: string | null;
  boxCode: string | null;
  row: number | null;
  col: number | null;
}

export const VIAL_COLUMNS = `v.id, v.serial, v.batch_id AS "batchId", b.batch_number AS "batchNumber", b.lot_number AS "lotNumber", b.state AS "batchState",
  b.product_id AS "productId", v.fill_id AS "fillId", v.purpose, v.volume_ml::float8 AS "volumeMl", v.solution_name AS "solutionName",
  v.solution_lot AS "solutionLot", v.filled_at AS "filledAt", to_char(v.expiry_date, 'YYYY-MM-DD') AS "expiryDate", v.clinic_id AS "clinicId",
  v.patient_ref AS "patientRef", v.status, v.quarantined, v.recalled_at AS "recalledAt", v.freeze_thaw_cycles AS "freezeThawCycles",
  l.box_id AS "boxId", bx.code AS "boxCode", l.row_no AS "row", l.col_no AS "col"`;
export const VIAL_FROM = `vials v JOIN batches b ON b.id = v.batch_id LEFT JOIN vial_locations l ON l.vial_id = v.id LEFT JOIN storage_boxes bx ON bx.id = l.box_id`;

export interface CustodyEntry {
  vial: VialRow;
  kind: CustodyKind;
  /** Where the vial is after the event (null: not in a box). */
  location: Position | null;
  shipmentId?: string | null;
  excursionId?: string | null;
  reason?: string | null;
}

const EVENT_COLUMNS = `e.id::text, e.kind, e.box_id AS "boxId", bx.code AS "boxCode", e.row_no AS "row", e.col_no AS "col", f.code AS "freezerCode",
  e.shipment_id AS "shipmentId", s.number AS "shipmentNumber", e.excursion_id AS "excursionId", x.number AS "excursionNumber", e.reason,
  e.actor_name AS "actorName", e.occurred_at AS "occurredAt"`;
const EVENT_FROM = `custody_events e LEFT JOIN storage_boxes bx ON bx.id = e.box_id LEFT JOIN storage_racks r ON r.id = bx.rack_id
  LEFT JOIN freezers f ON f.id = r.freezer_id LEFT JOIN shipments s ON s.id = e.shipment_id LEFT JOIN excursions x ON x.id = e.excursion_id`;

/**
 * The chain of custody. Every movement or status change of a vial goes through `apply`: it
 * checks the custody rule, updates status and freeze–thaw count, and writes the append-only
 * custody event and the audit event, all in the caller's transaction.
 */
@Injectable()
export class Custody {
  constructor(private readonly audit: AuditTrail) {}

  /** Locks the vials (in id order, so concurrent commands never deadlock); unknown serials are a 404. */
  async lockBySerials(em: EntityManager, serials: string[]): Promise<VialRow[]> {
    const wanted = [...new Set(serials.map((s) => s.toUpperCase()))];
    const rows: VialRow[] = await em.query(`SELECT ${VIAL_COLUMNS} FROM ${VIAL_FROM} WHERE v.serial = ANY($1::text[]) ORDER BY v.id FOR NO KEY UPDATE OF v`, [wanted]);
    const missing = wanted.filter((s) => !rows.some((r) => r.serial === s));
    if (missing.length) throw new DomainError('vial.not_found', `No vial with serial ${missing.join(', ')}.`, { serials: missing });
    return rows;
  }

  async lockByIds(em: EntityManager, ids: string[]): Promise<VialRow[]> {
    return em.query(`SELECT ${VIAL_COLUMNS} FROM ${VIAL_FROM} WHERE v.id = ANY($1::uuid[]) ORDER BY v.id FOR NO KEY UPDATE OF v`, [ids]);
  }

  async find(em: EntityManager, serial: string): Promise<VialRow | null> {
    const [row] = await em.query(`SELECT ${VIAL_COLUMNS} FROM ${VIAL_FROM} WHERE v.serial = $1`, [serial.toUpperCase()]);
    return row ?? null;
  }

  async apply(tx: Tx, ctx: CommandContext, entries: CustodyEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const plans = entries.map((entry) => {
      const plan = planCustody(entry.vial.status, entry.kind);
      if (!plan.ok) throw new DomainError('vial.wrong_state', `Vial ${entry.vial.serial}: ${plan.message}.`, { serial: entry.vial.serial, currentState: entry.vial.status, event: entry.kind });
      return plan;
    });
    await tx.em.query(
      `UPDATE vials SET status = u.status, freeze_thaw_cycles = freeze_thaw_cycles + u.added, updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::int[]) AS u(id, status, added) WHERE vials.id = u.id`,
      [entries.map((e) => e.vial.id), plans.map((p) => p.status), plans.map((p) => p.cyclesAdded)],
    );
    await tx.em.query(
      `INSERT INTO custody_events (vial_id, kind, box_id, row_no, col_no, shipment_id, excursion_id, reason, actor_id, actor_name, request_id)
       SELECT u.*, $9::uuid, $10, $11 FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::int[], $5::int[], $6::uuid[], $7::uuid[], $8::text[]) AS u`,
      [
        entries.map((e) => e.vial.id),
        entries.map((e) => e.kind),
        entries.map((e) => e.location?.boxId ?? null),
        entries.map((e) => e.location?.row ?? null),
        entries.map((e) => e.location?.col ?? null),
        entries.map((e) => e.shipmentId ?? null),
        entries.map((e) => e.excursionId ?? null),
        entries.map((e) => e.reason ?? null),
        ctx.actor.userId || null,
        ctx.actor.displayName,
        ctx.requestId,
      ],
    );
    await this.audit.recordMany(
      tx,
      ctx,
      entries.map((e, i) => {
        const where = (p: Position | null) => (p ? { boxId: p.boxId, row: p.row, col: p.col } : null);
        const before = { status: e.vial.status, location: where(e.vial.boxId ? { boxId: e.vial.boxId, row: e.vial.row!, col: e.vial.col! } : null) };
        const after = { status: plans[i].ok ? plans[i].status : e.vial.status, location: where(e.location), shipmentId: e.shipmentId ?? undefined, excursionId: e.excursionId ?? undefined };
        return { action: `vial.${e.kind}`, entityType: 'vial', entityId: e.vial.id, before, after, reason: e.reason ?? null };
      }),
    );
  }

  /** Puts vials into positions (store) or changes their positions (move), in one statement each. */
  async place(em: EntityManager, moves: { vialId: string; position: Position; located: boolean }[]): Promise<void> {
    const fresh = moves.filter((m) => !m.located);
    const moved = moves.filter((m) => m.located);
    const cols = (list: typeof moves) => [list.map((m) => m.vialId), list.map((m) => m.position.boxId), list.map((m) => m.position.row), list.map((m) => m.position.col)];
    if (moved.length) {
      await em.query(
        `UPDATE vial_locations l SET box_id = u.box_id, row_no = u.row_no, col_no = u.col_no, since = clock_timestamp()
           FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::int[]) AS u(vial_id, box_id, row_no, col_no) WHERE l.vial_id = u.vial_id`,
        cols(moved),
      );
    }
    if (fresh.length) {
      await em.query(`INSERT INTO vial_locations (vial_id, box_id, row_no, col_no) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::int[])`, cols(fresh));
    }
  }

  async unplace(em: EntityManager, vialIds: string[]): Promise<void> {
    if (vialIds.length) await em.query(`DELETE FROM vial_locations WHERE vial_id = ANY($1::uuid[])`, [vialIds]);
  }

  /** The full custody history of a vial, oldest first. */
  async history(em: EntityManager, vialId: string): Promise<unknown[]> {
    return em.query(`SELECT ${EVENT_COLUMNS} FROM ${EVENT_FROM} WHERE e.vial_id = $1 ORDER BY e.id`, [vialId]);
  }
}
