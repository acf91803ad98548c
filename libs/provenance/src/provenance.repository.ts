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
  /** The latest expiry of the lot's vials, or release date + shelf life before any fill (YYYY-MM-DD). */
  expiryDate: string | null;
  /** Isolation step types in the order performed. */
  stepTypes: string[];
  /** The newest current result of each assay (key figures only are shown). */
  results: { assay: string; outcome: string; data: Record<string, unknown> }[];
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
  /** The vial's custody in coarse form: no people, no places inside the lab. */
  custody: { event: string; at: string }[];
}

const LOT_SELECT = `SELECT b.id AS "batchId", b.lot_number AS "lotNumber", b.state, b.recalled_at AS "recalledAt", b.released_at AS "releasedAt",
  p.name AS "productName", p.code AS "productCode", p.gtin, p.shelf_life_days AS "shelfLifeDays", p.storage_instructions AS "storageInstructions",
  b.source_type AS "sourceType", b.origin_class AS "originClass", h.details AS "harvestDetails",
  to_char(coalesce((SELECT max(v.expiry_date) FROM vials v WHERE v.batch_id = b.id), (b.released_at + make_interval(days => p.shelf_life_days))::date), 'YYYY-MM-DD') AS "expiryDate",
  ARRAY(SELECT s.step_type FROM isolation_steps s WHERE s.batch_id = b.id ORDER BY s.sequence) AS "stepTypes",
  (SELECT coalesce(json_agg(json_build_object('assay', r.assay, 'outcome', r.outcome, 'data', r.data) ORDER BY r.assay), '[]'::json)
     FROM (SELECT DISTINCT ON (r.assay) r.assay, r.outcome, r.data FROM assay_results r
            WHERE r.batch_id = b.id AND NOT EXISTS (SELECT 1 FROM assay_results n WHERE n.supersedes_id = r.id)
            ORDER BY r.assay, r.performed_at DESC, r.recorded_at DESC) r) AS "results"
  FROM batches b JOIN products p ON p.id = b.product_id JOIN harvests h ON h.batch_id = b.id`;

/**
 * Reads for the public lookup: at most two indexed queries per answer (the vial with its custody,
 * the lot with its expiry, isolation steps and current results), whatever the size of the
 * tables; round trips, not rows, are what a lookup costs (`npm run bench -- lookup`).
 */
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
              EXISTS (SELECT 1 FROM excursion_vials ev JOIN excursions e ON e.id = ev.excursion_id WHERE ev.vial_id = v.id AND e.disposition IS NULL) AS "unresolvedExcursion",
              (SELECT coalesce(json_agg(json_build_object('event', c.kind, 'at', c.occurred_at) ORDER BY c.id), '[]'::json) FROM custody_events c
                WHERE c.vial_id = v.id AND c.kind IN ('filled', 'shipped', 'received', 'used', 'destroyed')) AS custody
         FROM vials v WHERE v.serial = $1`,
      [serial],
    );
    return row ?? null;
  }
}
