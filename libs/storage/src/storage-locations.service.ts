import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import { AuditTrail } from '#audit';
import { type CommandContext, DomainError, TransactionRunner, type Tx } from '#platform';
import type { CreateBoxDto, CreateFreezerDto, CreateRackDto, CreateSiteDto } from './storage.dto.js';
import { positionLabel } from './vial-movements.service.js';

const FREEZER_COLUMNS = `f.id, f.site_id AS "siteId", s.code AS "siteCode", f.code, f.name, f.set_point_c AS "setPointC", f.alarm_high_c AS "alarmHighC",
  f.grace_seconds AS "graceSeconds", f.max_gap_seconds AS "maxGapSeconds", f.created_at AS "createdAt"`;
const BOX_COLUMNS = `bx.id, bx.code, bx.rows, bx.cols, bx.rack_id AS "rackId", r.code AS "rackCode", r.freezer_id AS "freezerId", f.code AS "freezerCode",
  f.site_id AS "siteId", s.code AS "siteCode"`;
const BOX_FROM = `storage_boxes bx JOIN storage_racks r ON r.id = bx.rack_id JOIN freezers f ON f.id = r.freezer_id JOIN storage_sites s ON s.id = f.site_id`;

/** The storage hierarchy: site → freezer → rack/shelf → box (rows × columns) → position. */
@Injectable()
export class StorageLocations {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditTrail,
  ) {}

  async createSite(ctx: CommandContext, dto: CreateSiteDto): Promise<unknown> {
    return this.tx.run(async (tx) => {
      await this.refuseDuplicate(tx, `SELECT 1 FROM storage_sites WHERE code = $1`, [dto.code], 'storage_site', 'code', `A site with code ${dto.code} exists.`);
      const [row] = await tx.em.query(`INSERT INTO storage_sites (code, name) VALUES ($1, $2) RETURNING id, code, name, created_at AS "createdAt"`, [dto.code, dto.name]);
      await this.audit.record(tx, ctx, { action: 'storage_site.created', entityType: 'storage_site', entityId: row.id, after: row });
      return row;
    });
  }

  async createFreezer(ctx: CommandContext, dto: CreateFreezerDto): Promise<unknown> {
    if (dto.alarmHighC <= dto.setPointC) {
      throw DomainError.validation([{ field: 'alarmHighC', rule: 'aboveSetPoint', message: 'alarmHighC must be above setPointC' }]);
    }
    return this.tx.run(async (tx) => {
      const [site] = await tx.em.query(`SELECT id FROM storage_sites WHERE id = $1`, [dto.siteId]);
      if (!site) throw DomainError.notFound('storage_site', dto.siteId);
      await this.refuseDuplicate(tx, `SELECT 1 FROM freezers WHERE code = $1`, [dto.code], 'freezer', 'code', `A freezer with code ${dto.code} exists.`);
      const [{ id }] = await tx.em.query(
        `INSERT INTO freezers (site_id, code, name, set_point_c, alarm_high_c, grace_seconds, max_gap_seconds) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [dto.siteId, dto.code, dto.name, dto.setPointC, dto.alarmHighC, dto.graceSeconds ?? 1800, dto.maxGapSeconds ?? 3600],
      );
      const freezer = await this.freezerRow(tx.em, id);
      await this.audit.record(tx, ctx, { action: 'freezer.created', entityType: 'freezer', entityId: id, after: freezer });
      return freezer;
    });
  }

  async createRack(ctx: CommandContext, freezerId: string, dto: CreateRackDto): Promise<unknown> {
    return this.tx.run(async (tx) => {
      if (!(await this.freezerRow(tx.em, freezerId))) throw DomainError.notFound('freezer', freezerId);
      await this.refuseDuplicate(tx, `SELECT 1 FROM storage_racks WHERE freezer_id = $1 AND code = $2`, [freezerId, dto.code], 'storage_rack', 'code', `This freezer already has a rack ${dto.code}.`);
      const [row] = await tx.em.query(`INSERT INTO storage_racks (freezer_id, code) VALUES ($1, $2) RETURNING id, freezer_id AS "freezerId", code, created_at AS "createdAt"`, [freezerId, dto.code]);
      await this.audit.record(tx, ctx, { action: 'storage_rack.created', entityType: 'storage_rack', entityId: row.id, after: row });
      return row;
    });
  }

  async createBox(ctx: CommandContext, rackId: string, dto: CreateBoxDto): Promise<unknown> {
    return this.tx.run(async (tx) => {
      const [rack] = await tx.em.query(`SELECT id FROM storage_racks WHERE id = $1`, [rackId]);
      if (!rack) throw DomainError.notFound('storage_rack', rackId);
      await this.refuseDuplicate(tx, `SELECT 1 FROM storage_boxes WHERE code = $1`, [dto.code], 'storage_box', 'code', `A box with code ${dto.code} exists.`);
      const [{ id }] = await tx.em.query(`INSERT INTO storage_boxes (rack_id, code, rows, cols) VALUES ($1, $2, $3, $4) RETURNING id`, [rackId, dto.code, dto.rows, dto.cols]);
      const [box] = await tx.em.query(`SELECT ${BOX_COLUMNS} FROM ${BOX_FROM} WHERE bx.id = $1`, [id]);
      await this.audit.record(tx, ctx, { action: 'storage_box.created', entityType: 'storage_box', entityId: id, after: box });
      return box;
    });
  }

  /** Sites with their freezers, racks and boxes (and how full each box is). */
  async tree(): Promise<unknown[]> {
    const em = this.dataSource.manager;
    const sites: { id: string }[] = await em.query(`SELECT id, code, name FROM storage_sites ORDER BY code`);
    const freezers: { id: string; siteId: string }[] = await em.query(`SELECT ${FREEZER_COLUMNS} FROM freezers f JOIN storage_sites s ON s.id = f.site_id ORDER BY f.code`);
    const racks: { id: string; freezerId: string }[] = await em.query(`SELECT id, freezer_id AS "freezerId", code FROM storage_racks ORDER BY code`);
    const boxes: { rackId: string }[] = await em.query(
      `SELECT bx.id, bx.rack_id AS "rackId", bx.code, bx.rows, bx.cols, (SELECT count(*)::int FROM vial_locations l WHERE l.box_id = bx.id) AS occupied
         FROM storage_boxes bx ORDER BY bx.code`,
    );
    return sites.map((site) => ({
      ...site,
      freezers: freezers.filter((f) => f.siteId === site.id).map((f) => ({
        ...f,
        racks: racks.filter((r) => r.freezerId === f.id).map((r) => ({ ...r, boxes: boxes.filter((b) => b.rackId === r.id) })),
      })),
    }));
  }

  async freezer(id: string): Promise<unknown> {
    const row = await this.freezerRow(this.dataSource.manager, id);
    if (!row) throw DomainError.notFound('freezer', id);
    const loggers = await this.dataSource.query(`SELECT id, code, last_reading_at AS "lastReadingAt", attached_at AS "attachedAt" FROM temperature_loggers WHERE freezer_id = $1 ORDER BY code`, [id]);
    return { ...row, loggers };
  }

  /** The box's grid: every position with its occupant (serial, batch, expiry, status) or null. */
  async boxMap(boxId: string): Promise<unknown> {
    const em = this.dataSource.manager;
    const [box] = await em.query(`SELECT ${BOX_COLUMNS} FROM ${BOX_FROM} WHERE bx.id = $1`, [boxId]);
    if (!box) throw DomainError.notFound('storage_box', boxId);
    const occupants: { row: number; col: number }[] = await em.query(
      `SELECT l.row_no AS "row", l.col_no AS "col", v.serial, v.purpose, b.batch_number AS "batchNumber", b.lot_number AS "lotNumber",
              to_char(v.expiry_date, 'YYYY-MM-DD') AS "expiryDate", v.status, v.quarantined, l.since
         FROM vial_locations l JOIN vials v ON v.id = l.vial_id JOIN batches b ON b.id = v.batch_id WHERE l.box_id = $1`,
      [boxId],
    );
    const at = new Map(occupants.map((o) => [`${o.row}/${o.col}`, o]));
    const grid = Array.from({ length: box.rows }, (_, r) =>
      Array.from({ length: box.cols }, (_, c) => {
        const o = at.get(`${r + 1}/${c + 1}`);
        return o ? { ...o, position: positionLabel(r + 1, c + 1) } : null;
      }),
    );
    return { ...box, occupied: occupants.length, free: box.rows * box.cols - occupants.length, grid };
  }

  private freezerRow(em: EntityManager, id: string): Promise<Record<string, unknown> | undefined> {
    return em.query(`SELECT ${FREEZER_COLUMNS} FROM freezers f JOIN storage_sites s ON s.id = f.site_id WHERE f.id = $1`, [id]).then((r: unknown[]) => r[0] as Record<string, unknown> | undefined);
  }

  private async refuseDuplicate(tx: Tx, sql: string, params: unknown[], entity: string, field: string, message: string): Promise<void> {
    if ((await tx.em.query(sql, params)).length) throw DomainError.field(`${entity}.already_exists`, field, 'unique', message);
  }
}
