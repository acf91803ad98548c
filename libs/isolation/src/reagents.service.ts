import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import { AuditTrail } from '#audit';
import { QcChanges } from '#batches';
import { type CommandContext, DomainError, TransactionRunner } from '#platform';
import { ESignatures, SignedRecords } from '#signatures';
import type { CreateReagentDto, CreateReagentLotDto } from './isolation.dto.js';
import type { LotFacts } from './step-rules.js';

const REAGENT_COLUMNS = `id, name, manufacturer, catalogue_number AS "catalogueNumber", kind, intended_source AS "intendedSource", created_at AS "createdAt"`;
const LOT_COLUMNS = `l.id, l.reagent_id AS "reagentId", r.name AS "reagentName", l.lot_number AS "lotNumber", to_char(l.expiry_date, 'YYYY-MM-DD') AS "expiryDate",
  to_char(l.received_date, 'YYYY-MM-DD') AS "receivedDate", l.recalled_at AS "recalledAt", l.recall_reason AS "recallReason",
  CASE WHEN l.recalled_at IS NOT NULL THEN 'recalled' WHEN l.expiry_date < current_date THEN 'expired'
       WHEN l.expiry_date < current_date + 30 THEN 'expiring_soon' ELSE 'valid' END AS status`;

/** The reagent catalogue and its lots. */
@Injectable()
export class ReagentService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditTrail,
    private readonly signatures: ESignatures,
    private readonly signedRecords: SignedRecords,
    private readonly qcChanges: QcChanges,
  ) {}

  onModuleInit(): void {
    this.signedRecords.register('reagent_lot', async (em, id) => {
      const [row] = await em.query(`SELECT id, reagent_id AS "reagentId", lot_number AS "lotNumber", to_char(expiry_date, 'YYYY-MM-DD') AS "expiryDate", recall_reason AS "recallReason" FROM reagent_lots WHERE id = $1`, [id]);
      return row ?? null;
    });
  }

  /**
   * QA recalls a lot with an e-signature. Batches still in the lab that used it are re-evaluated
   * by the release gate (their checklist's reagent line fails).
   */
  async recallLot(ctx: CommandContext, lotId: string, password: string, reason: string): Promise<unknown> {
    const signer = await this.signatures.reauthenticate(ctx, password);
    await this.tx.run(async (tx) => {
      const [lot] = await tx.em.query(`SELECT id, lot_number, recalled_at FROM reagent_lots WHERE id = $1 FOR UPDATE`, [lotId]);
      if (!lot) throw DomainError.notFound('reagent_lot', lotId);
      if (lot.recalled_at) throw new DomainError('reagent_lot.already_recalled', `Lot ${lot.lot_number} is already recalled.`);
      // Lock order everywhere: batch rows first, then anything that audits (signature, audit chain).
      const affected: { id: string }[] = await tx.em.query(
        `SELECT b.id FROM batches b WHERE b.state IN ('characterization', 'qc_review', 'release_pending')
            AND (EXISTS (SELECT 1 FROM isolation_steps s WHERE s.batch_id = b.id AND s.reagent_lot_id = $1)
                 OR EXISTS (SELECT 1 FROM assay_results r WHERE r.batch_id = b.id AND r.data->>'kitLotId' = $1::text))
          ORDER BY b.id FOR UPDATE OF b`,
        [lotId],
      );
      await tx.em.query(`UPDATE reagent_lots SET recalled_at = now(), recall_reason = $2 WHERE id = $1`, [lotId, reason]);
      const signature = await this.signatures.sign(tx, signer, { meaning: 'recall', recordType: 'reagent_lot', recordId: lotId, reason });
      await this.qcChanges.changed(tx, affected.map((b) => b.id));
      await this.audit.record(tx, ctx, { action: 'reagent_lot.recalled', entityType: 'reagent_lot', entityId: lotId, before: { recalledAt: null }, after: { recalledAt: 'now', reason, signatureId: signature.id, affectedBatches: affected.map((b) => b.id) }, reason });
    });
    return this.findLot(this.dataSource.manager, lotId);
  }

  listReagents(): Promise<unknown[]> {
    return this.dataSource.query(`SELECT ${REAGENT_COLUMNS} FROM reagents ORDER BY name, catalogue_number`);
  }

  async createReagent(ctx: CommandContext, dto: CreateReagentDto): Promise<unknown> {
    return this.tx.run(async (tx) => {
      const clash = await tx.em.query(`SELECT 1 FROM reagents WHERE manufacturer = $1 AND catalogue_number = $2`, [dto.manufacturer, dto.catalogueNumber]);
      if (clash.length) throw DomainError.field('reagent.already_exists', 'catalogueNumber', 'unique', `${dto.manufacturer} ${dto.catalogueNumber} is already in the catalogue.`);
      const [row] = await tx.em.query(
        `INSERT INTO reagents (name, manufacturer, catalogue_number, kind, intended_source) VALUES ($1, $2, $3, $4, $5) RETURNING ${REAGENT_COLUMNS}`,
        [dto.name, dto.manufacturer, dto.catalogueNumber, dto.kind, dto.intendedSource],
      );
      await this.audit.record(tx, ctx, { action: 'reagent.created', entityType: 'reagent', entityId: row.id, after: row });
      return row;
    });
  }

  async createLot(ctx: CommandContext, reagentId: string, dto: CreateReagentLotDto): Promise<unknown> {
    if (dto.receivedDate > dto.expiryDate) {
      throw DomainError.validation([{ field: 'expiryDate', rule: 'notBeforeReceived', message: 'expiryDate cannot be before receivedDate' }]);
    }
    return this.tx.run(async (tx) => {
      const [reagent] = await tx.em.query(`SELECT id FROM reagents WHERE id = $1`, [reagentId]);
      if (!reagent) throw DomainError.notFound('reagent', reagentId);
      const clash = await tx.em.query(`SELECT 1 FROM reagent_lots WHERE reagent_id = $1 AND lot_number = $2`, [reagentId, dto.lotNumber]);
      if (clash.length) throw DomainError.field('reagent_lot.already_exists', 'lotNumber', 'unique', `Lot ${dto.lotNumber} of this reagent is already recorded.`);
      const [{ id }] = await tx.em.query(
        `INSERT INTO reagent_lots (reagent_id, lot_number, expiry_date, received_date) VALUES ($1, $2, $3, $4) RETURNING id`,
        [reagentId, dto.lotNumber, dto.expiryDate, dto.receivedDate],
      );
      const lot = await this.findLot(tx.em, id);
      await this.audit.record(tx, ctx, { action: 'reagent_lot.received', entityType: 'reagent_lot', entityId: id, after: lot });
      return lot;
    });
  }

  async listLots(filter: { reagentId?: string; status?: string }): Promise<unknown[]> {
    const rows: { status: string }[] = await this.dataSource.query(
      `SELECT ${LOT_COLUMNS} FROM reagent_lots l JOIN reagents r ON r.id = l.reagent_id WHERE ($1::uuid IS NULL OR l.reagent_id = $1) ORDER BY l.expiry_date, l.lot_number`,
      [filter.reagentId ?? null],
    );
    return filter.status ? rows.filter((r) => r.status === filter.status) : rows;
  }

  async findLot(em: EntityManager, id: string): Promise<Record<string, unknown> | null> {
    const [row] = await em.query(`SELECT ${LOT_COLUMNS} FROM reagent_lots l JOIN reagents r ON r.id = l.reagent_id WHERE l.id = $1`, [id]);
    return row ?? null;
  }

  async lotFacts(em: EntityManager, id: string): Promise<LotFacts | null> {
    const [row] = await em.query(
      `SELECT l.lot_number AS "lotNumber", to_char(l.expiry_date, 'YYYY-MM-DD') AS "expiryDate", l.recalled_at AS "recalledAt",
              r.name AS "reagentName", r.kind, r.intended_source AS "intendedSource"
         FROM reagent_lots l JOIN reagents r ON r.id = l.reagent_id WHERE l.id = $1`,
      [id],
    );
    return row ?? null;
  }
}
