import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import { AuditTrail } from '#audit';
import { type CommandContext, DomainError, TransactionRunner } from '#platform';
import type { CreateReagentDto, CreateReagentLotDto } from './isolation.dto.js';
import type { LotFacts } from './step-rules.js';

const REAGENT_COLUMNS = `id, name, manufacturer, catalogue_number AS "catalogueNumber", kind, intended_source AS "intendedSource", created_at AS "createdAt"`;
const LOT_COLUMNS = `l.id, l.reagent_id AS "reagentId", r.name AS "reagentName", l.lot_number AS "lotNumber", to_char(l.expiry_date, 'YYYY-MM-DD') AS "expiryDate",
  to_char(l.received_date, 'YYYY-MM-DD') AS "receivedDate", l.recalled_at AS "recalledAt", l.recall_reason AS "recallReason",
  CASE WHEN l.recalled_at IS NOT NULL THEN 'recalled' WHEN l.expiry_date < current_date THEN 'expired'
       WHEN l.expiry_date < current_date + 30 THEN 'expiring_soon' ELSE 'valid' END AS status`;

/** The reagent catalogue and its lots. */
@Injectable()
export class ReagentService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditTrail,
  ) {}

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
