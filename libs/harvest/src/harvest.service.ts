import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditTrail } from '#audit';
import { BatchLifecycle, BatchQueries, BatchRepository, BatchViewSections } from '#batches';
import { type CommandContext, DomainError, TransactionRunner } from '#platform';
import { checkHarvestRules } from './harvest-rules.js';
import type { RecordHarvestDto } from './record-harvest.dto.js';

const HARVEST_COLUMNS = `id, batch_id AS "batchId", source_type AS "sourceType", origin_class AS "originClass", harvested_at AS "harvestedAt", details, recorded_by AS "recordedBy", recorded_at AS "recordedAt"`;

/** Recording the starting material; a harvest opens its batch. */
@Injectable()
export class HarvestService implements OnModuleInit {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly batches: BatchRepository,
    private readonly lifecycle: BatchLifecycle,
    private readonly queries: BatchQueries,
    private readonly audit: AuditTrail,
    private readonly sections: BatchViewSections,
  ) {}

  onModuleInit(): void {
    this.sections.register('harvest', (em, ids) => this.loadHarvests(em, ids));
  }

  async recordHarvest(ctx: CommandContext, dto: RecordHarvestDto): Promise<Record<string, unknown>> {
    const ruleErrors = checkHarvestRules(dto);
    if (ruleErrors.length) throw DomainError.validation(ruleErrors, 'The harvest record is not consistent.');
    const batchId = await this.tx.run(async (tx) => {
      const [product] = await tx.em.query(`SELECT id FROM products WHERE id = $1`, [dto.productId]);
      if (!product) throw DomainError.field('product.unknown', 'productId', 'exists', `No product with id ${dto.productId}.`);
      let batchNumber = dto.batchNumber;
      if (batchNumber && (await this.batches.batchNumberTaken(tx.em, batchNumber))) {
        throw DomainError.field('batch.already_exists', 'batchNumber', 'unique', `Batch number ${batchNumber} is already used.`);
      }
      batchNumber ??= await this.batches.nextBatchNumber(tx.em, new Date(dto.harvestedAt).getUTCFullYear());
      const id = await this.batches.insert(tx.em, {
        batchNumber,
        productId: dto.productId,
        state: 'harvested',
        sourceType: dto.sourceType,
        originClass: dto.originClass,
        createdBy: ctx.actor.userId,
      });
      const details = dto.sourceType === 'serum' ? { ...dto.serum } : { ...dto.cellCulture };
      const [harvest] = await tx.em.query(
        `INSERT INTO harvests (batch_id, source_type, origin_class, harvested_at, details, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${HARVEST_COLUMNS}`,
        [id, dto.sourceType, dto.originClass, dto.harvestedAt, JSON.stringify({ ...details, notes: dto.notes ?? null }), ctx.actor.userId],
      );
      await this.lifecycle.recordCreation(tx, ctx, id, { harvestRecorded: true });
      await this.audit.recordMany(tx, ctx, [
        { action: 'batch.created', entityType: 'batch', entityId: id, after: { batchNumber, productId: dto.productId, sourceType: dto.sourceType, originClass: dto.originClass } },
        { action: 'harvest.recorded', entityType: 'harvest', entityId: harvest.id, after: harvest },
      ]);
      return id;
    });
    return this.queries.get(batchId);
  }

  async getForBatch(batchId: string, em: EntityManager): Promise<unknown> {
    const harvests = await this.loadHarvests(em, [batchId]);
    const harvest = harvests.get(batchId);
    if (!harvest) throw DomainError.notFound('harvest', batchId);
    return harvest;
  }

  private async loadHarvests(em: EntityManager, batchIds: string[]): Promise<Map<string, unknown>> {
    const rows = await em.query(`SELECT ${HARVEST_COLUMNS} FROM harvests WHERE batch_id = ANY($1::uuid[])`, [batchIds]);
    return new Map(rows.map((r: { batchId: string }) => [r.batchId, r]));
  }
}
