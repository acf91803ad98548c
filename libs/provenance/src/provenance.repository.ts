import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export interface LotRecord {
  batchId: string;
  lotNumber: string;
  state: string;
  recalledAt: string | null;
  releasedAt: string | null;
  productName: string;
  productCode: string;
  gtin: string | null;
  shelfLifeDays: number;
  storageInstructions: string;
  sourceType: string;
  originClass: string;
  harvestDetails: Record<string, unknown>;
}

export interface VialRecord {
  id: string;
  serial: string;
  batchId: string;
  status: string;
  quarantined: boolean;
  recalledAt: string | null;
  expiryDate: string | null;
  filledAt: string;
  clinicId: string | null;
  unresolvedExcursion: boolean;
}

const LOT_SELECT = `SELECT b.id AS "batchId", b.lot_number AS "lotNumber", b.state, b.recalled_at AS "recalledAt", b.released_at AS "releasedAt",
  p.name AS "productName", p.code AS "productCode", p.gtin, p.shelf_life_days AS "shelfLifeDays", p.storage_instructions AS "storageInstructions",
  b.source_type AS "sourceType", b.origin_class AS "originClass", h.details AS "harvestDetails"
  FROM batches b JOIN products p ON p.id = b.product_id JOIN harvests h ON h.batch_id = b.id`;

/** Reads for the public lookup: a fixed handful of indexed queries, whatever the code. */
@Injectable()
export class ProvenanceRepository {
  async lotByNumber(em: EntityManager, lotNumber: string): Promise<LotRecord | null> {
    const [row] = await em.query(`${LOT_SELECT} WHERE b.lot_number = $1`, [lotNumber]);
    return row ?? null;
  }

  async lotByBatch(em: EntityManager, batchId: string): Promise<LotRecord | null> {
    const [row] = await em.query(`${LOT_SELECT} WHERE b.id = $1`, [batchId]);
    return row ?? null;
  }

  async vialBySerial(em: EntityManager, serial: string): Promise<VialRecord | null> {
    const [row] = await em.query(
      `SELECT v.id, v.serial, v.batch_id AS "batchId", v.status, v.quarantined, v.recalled_at AS "recalledAt", to_char(v.expiry_date, 'YYYY-MM-DD') AS "expiryDate",
              v.filled_at AS "filledAt", v.clinic_id AS "clinicId",
              EXISTS (SELECT 1 FROM excursion_vials ev JOIN excursions e ON e.id = ev.excursion_id WHERE ev.vial_id = v.id AND e.disposition IS NULL) AS "unresolvedExcursion"
         FROM vials v WHERE v.serial = $1`,
      [serial],
    );
    return row ?? null;
  }

  async isolationStepTypes(em: EntityManager, batchId: string): Promise<string[]> {
    return (await em.query(`SELECT step_type FROM isolation_steps WHERE batch_id = $1 ORDER BY sequence`, [batchId])).map((r: { step_type: string }) => r.step_type);
  }

  /** The newest current result of each assay with its outcome and data (key figures only are shown). */
  async currentResults(em: EntityManager, batchId: string): Promise<{ assay: string; outcome: string; data: Record<string, unknown> }[]> {
    return em.query(
      `SELECT DISTINCT ON (r.assay) r.assay, r.outcome, r.data FROM assay_results r
        WHERE r.batch_id = $1 AND NOT EXISTS (SELECT 1 FROM assay_results n WHERE n.supersedes_id = r.id)
        ORDER BY r.assay, r.performed_at DESC, r.recorded_at DESC`,
      [batchId],
    );
  }

  async lotExpiry(em: EntityManager, batchId: string): Promise<string | null> {
    const [row] = await em.query(
      `SELECT to_char(coalesce((SELECT max(expiry_date) FROM vials WHERE batch_id = b.id), (b.released_at + make_interval(days => p.shelf_life_days))::date), 'YYYY-MM-DD') AS expiry
         FROM batches b JOIN products p ON p.id = b.product_id WHERE b.id = $1`,
      [batchId],
    );
    return row?.expiry ?? null;
  }

  /** The vial's custody in coarse form: no people, no places inside the lab. */
  async coarseCustody(em: EntityManager, vialId: string): Promise<{ event: string; at: string }[]> {
    return em.query(
      `SELECT kind AS event, occurred_at AS at FROM custody_events WHERE vial_id = $1 AND kind IN ('filled', 'shipped', 'received', 'used', 'destroyed') ORDER BY id`,
      [vialId],
    );
  }
}
