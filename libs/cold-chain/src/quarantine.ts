import { Injectable } from '@nestjs/common';
import { QcChanges } from '#batches';
import { type CommandContext, type Tx } from '#platform';
import { Custody, type VialRow } from '#storage';

/** Batch states in which the release gate still decides: a hold there must re-evaluate it. */
const LAB_STATES = ['isolated', 'characterization', 'qc_review', 'release_pending'];

export interface ExcursionUnit {
  freezerId: string | null;
  shipmentId: string | null;
}

const atLocation = (v: VialRow) => (v.boxId ? { boxId: v.boxId, row: v.row!, col: v.col! } : null);

/** Holds vials an excursion affected, and lifts holds when QA disposes of it. */
@Injectable()
export class ExcursionHolds {
  constructor(
    private readonly custody: Custody,
    private readonly qc: QcChanges,
  ) {}

  /**
   * The vials that were in the unit during [start, end]: for a freezer, from the custody
   * history (positions in any box of that freezer whose span overlaps the window); for a
   * shipment container, the vials it carried. Used and destroyed vials are past holding.
   */
  async affectedVials(tx: Tx, unit: ExcursionUnit, start: Date, end: Date | null): Promise<string[]> {
    if (unit.shipmentId) {
      const rows: { id: string }[] = await tx.em.query(
        `SELECT v.id FROM shipment_vials sv JOIN vials v ON v.id = sv.vial_id WHERE sv.shipment_id = $1 AND v.status NOT IN ('used', 'destroyed')`,
        [unit.shipmentId],
      );
      return rows.map((r) => r.id);
    }
    const rows: { id: string }[] = await tx.em.query(
      `WITH boxes AS (SELECT bx.id FROM storage_boxes bx JOIN storage_racks r ON r.id = bx.rack_id WHERE r.freezer_id = $1),
            candidates AS (SELECT DISTINCT vial_id FROM custody_events WHERE box_id IN (SELECT id FROM boxes)),
            spans AS (SELECT e.vial_id, e.box_id, e.occurred_at AS since, lead(e.occurred_at) OVER (PARTITION BY e.vial_id ORDER BY e.id) AS until
                        FROM custody_events e WHERE e.vial_id IN (SELECT vial_id FROM candidates))
       SELECT DISTINCT s.vial_id AS id FROM spans s JOIN vials v ON v.id = s.vial_id
        WHERE s.box_id IN (SELECT id FROM boxes) AND s.since <= coalesce($3::timestamptz, 'infinity') AND (s.until IS NULL OR s.until >= $2::timestamptz)
          AND v.status NOT IN ('used', 'destroyed')`,
      [unit.freezerId, start.toISOString(), end ? end.toISOString() : null],
    );
    return rows.map((r) => r.id);
  }

  /** Links the vials to the excursion and quarantines the ones not yet held by it. Returns the newly held serials. */
  async hold(tx: Tx, ctx: CommandContext, excursionId: string, vialIds: string[]): Promise<string[]> {
    if (vialIds.length === 0) return [];
    const added: { vial_id: string }[] = await tx.em.query(
      `INSERT INTO excursion_vials (excursion_id, vial_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING RETURNING vial_id`,
      [excursionId, vialIds],
    );
    if (added.length === 0) return [];
    const vials = await this.custody.lockByIds(tx.em, added.map((a) => a.vial_id));
    await tx.em.query(`UPDATE vials SET quarantined = true, updated_at = now() WHERE id = ANY($1::uuid[])`, [vials.map((v) => v.id)]);
    await this.custody.apply(tx, ctx, vials.map((vial) => ({ vial, kind: 'quarantined' as const, location: atLocation(vial), excursionId, reason: 'cold-chain excursion' })));
    await this.gateChanged(tx, vials);
    return vials.map((v) => v.serial).sort();
  }

  /** Lifts this excursion's hold: vials held by no other undisposed excursion leave quarantine. */
  async release(tx: Tx, ctx: CommandContext, excursionId: string, justification: string): Promise<string[]> {
    const vials = await this.heldBy(tx, excursionId);
    const stillHeld: { vial_id: string }[] = await tx.em.query(
      `SELECT DISTINCT ev.vial_id FROM excursion_vials ev JOIN excursions x ON x.id = ev.excursion_id
        WHERE ev.vial_id = ANY($1::uuid[]) AND x.id <> $2 AND x.disposition IS NULL`,
      [vials.map((v) => v.id), excursionId],
    );
    const lift = vials.filter((v) => v.quarantined && !stillHeld.some((s) => s.vial_id === v.id) && v.status !== 'destroyed');
    if (lift.length) {
      await tx.em.query(`UPDATE vials SET quarantined = false, updated_at = now() WHERE id = ANY($1::uuid[])`, [lift.map((v) => v.id)]);
      await this.custody.apply(tx, ctx, lift.map((vial) => ({ vial, kind: 'quarantine_lifted' as const, location: atLocation(vial), excursionId, reason: justification })));
    }
    await this.gateChanged(tx, vials);
    return lift.map((v) => v.serial).sort();
  }

  /** Destroys the excursion's vials (custody 'destroyed', out of their positions). */
  async destroy(tx: Tx, ctx: CommandContext, excursionId: string, justification: string): Promise<string[]> {
    const vials = (await this.heldBy(tx, excursionId)).filter((v) => v.status !== 'destroyed' && v.status !== 'used');
    await this.custody.apply(tx, ctx, vials.map((vial) => ({ vial, kind: 'destroyed' as const, location: null, excursionId, reason: justification })));
    await this.custody.unplace(tx.em, vials.map((v) => v.id));
    await this.gateChanged(tx, vials);
    return vials.map((v) => v.serial).sort();
  }

  private async heldBy(tx: Tx, excursionId: string): Promise<VialRow[]> {
    const ids: { vial_id: string }[] = await tx.em.query(`SELECT vial_id FROM excursion_vials WHERE excursion_id = $1`, [excursionId]);
    return this.custody.lockByIds(tx.em, ids.map((r) => r.vial_id));
  }

  /** Batches still in the lab re-evaluate their release gate (the cold-chain checklist line). */
  private async gateChanged(tx: Tx, vials: VialRow[]): Promise<void> {
    await this.qc.changed(tx, [...new Set(vials.filter((v) => LAB_STATES.includes(v.batchState)).map((v) => v.batchId))]);
  }
}
