import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import { AuditTrail } from '#audit';
import { ExcursionDetector } from '#cold-chain';
import { type CommandContext, DomainError, type Page, TransactionRunner, type Tx } from '#platform';
import { Custody, packRefusal, type VialRow } from '#storage';
import type { CreateShipmentDto, ListShipmentsQuery, ReceiveDto } from './shipments.dto.js';

interface ShipmentRow { id: string; number: string; clinicId: string; loggerId: string | null; status: 'packing' | 'shipped' | 'received'; shippedAt: string | null }

const COLUMNS = `s.id, s.number, s.clinic_id AS "clinicId", c.name AS "clinicName", s.logger_id AS "loggerId", g.code AS "loggerCode", s.alarm_high_c AS "alarmHighC",
  s.grace_seconds AS "graceSeconds", s.max_gap_seconds AS "maxGapSeconds", s.status, s.created_at AS "createdAt", s.shipped_at AS "shippedAt",
  s.received_at AS "receivedAt", s.arrival_status AS "arrivalStatus", s.receipt_notes AS "receiptNotes",
  (SELECT count(*)::int FROM shipment_vials sv WHERE sv.shipment_id = s.id) AS "vialCount"`;
const FROM = `shipments s JOIN clinics c ON c.id = s.clinic_id LEFT JOIN temperature_loggers g ON g.id = s.logger_id`;

/** Shipments to clinics: pack (eligible vials only), ship, and the clinic's receipt with the arrival temperature status. */
@Injectable()
export class Shipments {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly custody: Custody,
    private readonly detector: ExcursionDetector,
    private readonly audit: AuditTrail,
  ) {}

  async create(ctx: CommandContext, dto: CreateShipmentDto): Promise<unknown> {
    const id = await this.tx.run(async (tx) => {
      const [clinic] = await tx.em.query(`SELECT id FROM clinics WHERE id = $1 AND active`, [dto.clinicId]);
      if (!clinic) throw DomainError.field('clinic.unknown', 'clinicId', 'exists', `No active clinic with id ${dto.clinicId}.`);
      if (dto.loggerId) {
        const [logger] = await tx.em.query(`SELECT kind, active FROM temperature_loggers WHERE id = $1`, [dto.loggerId]);
        if (!logger || !logger.active || logger.kind !== 'shipping') throw DomainError.field('shipment.logger_invalid', 'loggerId', 'shippingLogger', 'The logger must be an active shipping logger.');
        if ((await tx.em.query(`SELECT number FROM shipments WHERE logger_id = $1 AND status <> 'received'`, [dto.loggerId])).length) {
          throw DomainError.field('shipment.logger_conflict', 'loggerId', 'available', 'The logger travels with another shipment that has not been received yet.');
        }
      }
      const [row] = await tx.em.query(
        `INSERT INTO shipments (number, clinic_id, logger_id, alarm_high_c, grace_seconds, max_gap_seconds, status, created_by)
         VALUES ('SHP-' || to_char(now(), 'YYYY') || '-' || lpad(nextval('shipment_number_seq')::text, 5, '0'), $1, $2, $3, $4, $5, 'packing', $6) RETURNING id, number`,
        [dto.clinicId, dto.loggerId ?? null, dto.alarmHighC ?? -60, dto.graceSeconds ?? 1800, dto.maxGapSeconds ?? 3600, ctx.actor.userId],
      );
      await this.audit.record(tx, ctx, { action: 'shipment.created', entityType: 'shipment', entityId: row.id, after: { ...dto, number: row.number } });
      return row.id as string;
    });
    return this.get(ctx, id);
  }

  /** Packs vials; any ineligible vial refuses the whole request with 409 and every reason. */
  async pack(ctx: CommandContext, id: string, serials: string[]): Promise<unknown> {
    await this.tx.run(async (tx) => {
      const shipment = await this.lock(tx, id, 'packing');
      const vials = await this.custody.lockBySerials(tx.em, serials);
      this.refuseIneligible(vials, shipment, 'packed');
      await tx.em.query(`INSERT INTO shipment_vials (shipment_id, vial_id) SELECT $1, unnest($2::uuid[])`, [id, vials.map((v) => v.id)]);
      await this.custody.apply(tx, ctx, vials.map((vial) => ({ vial, kind: 'packed' as const, location: vial.boxId ? { boxId: vial.boxId, row: vial.row!, col: vial.col! } : null, shipmentId: id })));
    });
    return this.get(ctx, id);
  }

  /** The container leaves: vials leave their positions (custody 'shipped'). Eligibility is checked again. */
  async ship(ctx: CommandContext, id: string): Promise<unknown> {
    await this.tx.run(async (tx) => {
      const shipment = await this.lock(tx, id, 'packing');
      const vials = await this.vialsOf(tx, id);
      if (vials.length === 0) throw new DomainError('shipment.empty', `Shipment ${shipment.number} has no vials packed.`);
      this.refuseIneligible(vials, shipment, 'shipped');
      await this.custody.apply(tx, ctx, vials.map((vial) => ({ vial, kind: 'shipped' as const, location: null, shipmentId: id })));
      await this.custody.unplace(tx.em, vials.map((v) => v.id));
      await tx.em.query(`UPDATE shipments SET status = 'shipped', shipped_at = now(), shipped_by = $2 WHERE id = $1`, [id, ctx.actor.userId]);
      await this.audit.record(tx, ctx, { action: 'shipment.shipped', entityType: 'shipment', entityId: id, before: { status: 'packing' }, after: { status: 'shipped', vials: vials.map((v) => v.serial) } });
    });
    return this.get(ctx, id);
  }

  /**
   * The clinic confirms receipt (its own shipments only). The arrival status comes from the
   * shipment logger's readings over the journey: 'excursion' (and the vials are held),
   * 'ok', or 'unknown' without a logger or readings.
   */
  async receive(ctx: CommandContext, id: string, dto: ReceiveDto): Promise<unknown> {
    await this.tx.run(async (tx) => {
      const shipment = await this.lock(tx, id, 'shipped', ctx);
      await tx.em.query(`UPDATE shipments SET status = 'received', received_at = now(), received_by = $2, arrival_status = 'unknown', receipt_notes = $3 WHERE id = $1`, [id, ctx.actor.userId, dto.notes ?? null]);
      let arrival: 'ok' | 'excursion' | 'unknown' = 'unknown';
      if (shipment.loggerId) {
        await this.detector.detect(tx, ctx, shipment.loggerId, new Date(), id);
        const [facts] = await tx.em.query(
          `SELECT (SELECT count(*)::int FROM temperature_readings r WHERE r.logger_id = s.logger_id AND r.recorded_at BETWEEN s.shipped_at AND s.received_at) AS readings,
                  (SELECT count(*)::int FROM excursions x WHERE x.shipment_id = s.id) AS excursions
             FROM shipments s WHERE s.id = $1`,
          [id],
        );
        arrival = facts.excursions > 0 ? 'excursion' : facts.readings > 0 ? 'ok' : 'unknown';
        await tx.em.query(`UPDATE shipments SET arrival_status = $2 WHERE id = $1`, [id, arrival]);
      }
      const vials = await this.vialsOf(tx, id);
      await this.custody.apply(tx, ctx, vials.map((vial) => ({ vial, kind: 'received' as const, location: null, shipmentId: id, reason: `arrival temperature status: ${arrival}` })));
      await this.audit.record(tx, ctx, { action: 'shipment.received', entityType: 'shipment', entityId: id, before: { status: 'shipped' }, after: { status: 'received', arrivalStatus: arrival }, reason: dto.notes ?? null });
    });
    return this.get(ctx, id);
  }

  /** A clinic records a received vial as used (a thaw from frozen: one freeze–thaw cycle). */
  async useVial(ctx: CommandContext, serial: string, outcome: 'administered' | 'destroyed' = 'administered', reason: string | null = null): Promise<unknown> {
    return this.tx.run(async (tx) => {
      const [vial] = await this.custody.lockBySerials(tx.em, [serial]);
      const [shipment] = await tx.em.query(`SELECT s.id, s.clinic_id AS "clinicId" FROM shipment_vials sv JOIN shipments s ON s.id = sv.shipment_id WHERE sv.vial_id = $1`, [vial.id]);
      if (!shipment || shipment.clinicId !== ctx.actor.clinicId) throw DomainError.notFound('vial', serial);
      if (outcome === 'destroyed') {
        // Destroying is always allowed, also for a quarantined or recalled vial: that is what should happen to it.
        await this.custody.apply(tx, ctx, [{ vial, kind: 'destroyed', location: null, shipmentId: shipment.id, reason }]);
        return { serial: vial.serial, status: 'destroyed' };
      }
      if (vial.quarantined || vial.recalledAt) throw new DomainError('vial.wrong_state', `Vial ${vial.serial} is ${vial.recalledAt ? 'recalled' : 'quarantined'} and must not be used.`);
      await this.custody.apply(tx, ctx, [{ vial, kind: 'used', location: null, shipmentId: shipment.id, reason }]);
      return { serial: vial.serial, status: 'used' };
    });
  }

  async list(ctx: CommandContext, query: ListShipmentsQuery): Promise<Page<unknown>> {
    const clinicId = ctx.actor.role === 'clinic' ? ctx.actor.clinicId : null;
    const where = `($1::uuid IS NULL OR s.clinic_id = $1) AND ($2::text IS NULL OR s.status = $2)`;
    const params = [clinicId, query.status ?? null];
    const [{ total }] = await this.dataSource.query(`SELECT count(*)::int AS total FROM shipments s WHERE ${where}`, params);
    const items = await this.dataSource.query(`SELECT ${COLUMNS} FROM ${FROM} WHERE ${where} ORDER BY s.created_at DESC, s.id LIMIT $3 OFFSET $4`, [...params, query.limit, query.offset]);
    return { items, total, limit: query.limit, offset: query.offset };
  }

  /** One shipment with its vials; a clinic sees only its own (others are "not found"). */
  async get(ctx: CommandContext, id: string): Promise<Record<string, unknown>> {
    const em = this.dataSource.manager;
    const [row] = await em.query(`SELECT ${COLUMNS} FROM ${FROM} WHERE s.id = $1`, [id]);
    if (!row || (ctx.actor.role === 'clinic' && row.clinicId !== ctx.actor.clinicId)) throw DomainError.notFound('shipment', id);
    return { ...row, vials: await this.vialList(em, id) };
  }

  private vialList(em: EntityManager, id: string): Promise<unknown[]> {
    return em.query(
      `SELECT v.serial, b.lot_number AS "lotNumber", to_char(v.expiry_date, 'YYYY-MM-DD') AS "expiryDate", v.volume_ml::float8 AS "volumeMl",
              v.patient_ref AS "patientRef", v.status, v.quarantined
         FROM shipment_vials sv JOIN vials v ON v.id = sv.vial_id JOIN batches b ON b.id = v.batch_id WHERE sv.shipment_id = $1 ORDER BY v.serial`,
      [id],
    );
  }

  private async lock(tx: Tx, id: string, state: ShipmentRow['status'], clinicCtx?: CommandContext): Promise<ShipmentRow> {
    const [row]: ShipmentRow[] = await tx.em.query(
      `SELECT id, number, clinic_id AS "clinicId", logger_id AS "loggerId", status, shipped_at AS "shippedAt" FROM shipments WHERE id = $1 FOR NO KEY UPDATE`,
      [id],
    );
    if (!row || (clinicCtx && clinicCtx.actor.clinicId !== row.clinicId)) throw DomainError.notFound('shipment', id);
    if (row.status !== state) throw new DomainError('shipment.wrong_state', `Shipment ${row.number} is ${row.status}; this needs it ${state}.`, { currentState: row.status });
    return row;
  }

  private async vialsOf(tx: Tx, id: string): Promise<VialRow[]> {
    const ids: { vial_id: string }[] = await tx.em.query(`SELECT vial_id FROM shipment_vials WHERE shipment_id = $1`, [id]);
    return this.custody.lockByIds(tx.em, ids.map((r) => r.vial_id));
  }

  private refuseIneligible(vials: VialRow[], shipment: ShipmentRow, step: 'packed' | 'shipped'): void {
    const today = new Date().toISOString().slice(0, 10);
    const refused = vials
      .map((v) => ({ serial: v.serial, refusal: packRefusal(step === 'shipped' ? { ...v, status: 'stored' } : v, shipment.clinicId, today) }))
      .filter((r) => r.refusal !== null)
      .map((r) => ({ serial: r.serial, rule: r.refusal!.rule, message: `Vial ${r.serial} ${r.refusal!.message}.` }));
    if (refused.length) {
      throw new DomainError('shipment.vial_ineligible', `${refused.map((r) => r.message).join(' ')} It cannot be ${step}.`, { refused });
    }
  }
}
