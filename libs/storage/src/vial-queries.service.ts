import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError } from '#platform';
import { Custody, type VialRow } from './custody.js';
import { positionLabel } from './vial-movements.service.js';

/** The read side of vials: where a vial is, what happened to it, what holds it. */
@Injectable()
export class VialQueries {
  constructor(
    private readonly dataSource: DataSource,
    private readonly custody: Custody,
  ) {}

  async get(serial: string): Promise<Record<string, unknown>> {
    const em = this.dataSource.manager;
    const vial = await this.custody.find(em, serial);
    if (!vial) throw DomainError.notFound('vial', serial);
    const [history, holds, shipment] = [
      await this.custody.history(em, vial.id),
      await em.query(
        `SELECT x.id, x.number, x.kind, x.started_at AS "startedAt", x.ended_at AS "endedAt", x.disposition
           FROM excursion_vials ev JOIN excursions x ON x.id = ev.excursion_id WHERE ev.vial_id = $1 ORDER BY x.started_at`,
        [vial.id],
      ),
      await em.query(`SELECT s.id, s.number, s.status, s.clinic_id AS "clinicId" FROM shipment_vials sv JOIN shipments s ON s.id = sv.shipment_id WHERE sv.vial_id = $1`, [vial.id]),
    ];
    return { ...present(vial), location: await this.location(vial), shipment: shipment[0] ?? null, excursions: holds, custody: history };
  }

  private async location(vial: VialRow): Promise<Record<string, unknown> | null> {
    if (!vial.boxId) return null;
    const [where] = await this.dataSource.query(
      `SELECT bx.code AS "boxCode", r.code AS "rackCode", f.id AS "freezerId", f.code AS "freezerCode", s.code AS "siteCode"
         FROM storage_boxes bx JOIN storage_racks r ON r.id = bx.rack_id JOIN freezers f ON f.id = r.freezer_id JOIN storage_sites s ON s.id = f.site_id WHERE bx.id = $1`,
      [vial.boxId],
    );
    return { boxId: vial.boxId, row: vial.row, col: vial.col, position: positionLabel(vial.row!, vial.col!), ...where };
  }
}

/** A vial row as the API shows it (location fields folded into `location`). */
export function present(vial: VialRow): Record<string, unknown> {
  const { boxId: _b, boxCode: _c, row: _r, col: _k, ...rest } = vial;
  return rest;
}
