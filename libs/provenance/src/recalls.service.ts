import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditTrail } from '#audit';
import { type CommandContext, DomainError, TransactionRunner } from '#platform';
import { ESignatures, SignedRecords } from '#signatures';

export interface RecallInput {
  lotNumber: string;
  vialSerials?: string[];
  reason: string;
  password: string;
}

/**
 * QA recalls a whole lot or specific vials with an e-signature and a reason. Lookups show
 * "recalled" at once (they read the same rows); shipments not yet received are flagged.
 */
@Injectable()
export class RecallService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly signatures: ESignatures,
    private readonly signedRecords: SignedRecords,
    private readonly audit: AuditTrail,
  ) {}

  onModuleInit(): void {
    this.signedRecords.register('recall', (em, id) => this.signable(em, id));
  }

  async recall(ctx: CommandContext, input: RecallInput): Promise<unknown> {
    const signer = await this.signatures.reauthenticate(ctx, input.password);
    const recallId = await this.tx.run(async (tx) => {
      const [batch] = await tx.em.query(`SELECT id, lot_number, recalled_at FROM batches WHERE lot_number = $1 FOR UPDATE`, [input.lotNumber]);
      if (!batch) throw DomainError.field('recall.unknown_lot', 'lotNumber', 'exists', `No released lot ${input.lotNumber}.`);
      if (batch.recalled_at) throw new DomainError('recall.already_recalled', `Lot ${input.lotNumber} is already recalled.`);
      const scope = input.vialSerials?.length ? 'vials' : 'lot';
      let vialIds: string[];
      if (scope === 'vials') {
        const rows: { id: string; serial: string; recalled_at: string | null }[] = await tx.em.query(`SELECT id, serial, recalled_at FROM vials WHERE batch_id = $1 AND serial = ANY($2::text[]) FOR UPDATE`, [batch.id, input.vialSerials]);
        const missing = input.vialSerials!.filter((s) => !rows.some((r) => r.serial === s));
        if (missing.length) throw DomainError.field('recall.unknown_vial', 'vialSerials', 'belongToLot', `Not vials of lot ${input.lotNumber}: ${missing.join(', ')}.`);
        const already = rows.filter((r) => r.recalled_at).map((r) => r.serial);
        if (already.length) throw new DomainError('recall.already_recalled', `Already recalled: ${already.join(', ')}.`);
        vialIds = rows.map((r) => r.id);
      } else {
        vialIds = (await tx.em.query(`SELECT id FROM vials WHERE batch_id = $1 AND recalled_at IS NULL`, [batch.id])).map((r: { id: string }) => r.id);
        await tx.em.query(`UPDATE batches SET recalled_at = now() WHERE id = $1`, [batch.id]);
      }
      await tx.em.query(`UPDATE vials SET recalled_at = now(), updated_at = now() WHERE id = ANY($1::uuid[])`, [vialIds]);
      const [{ n }] = await tx.em.query(`SELECT nextval('recall_number_seq') AS n`);
      const number = `RCL-${new Date().getUTCFullYear()}-${String(n).padStart(4, '0')}`;
      // The signature must exist before the recall row that names it; sign a record we then store identically.
      const [{ id }] = await tx.em.query(`SELECT gen_random_uuid() AS id`);
      const pending = { id, number, scope, lotNumber: input.lotNumber, reason: input.reason, vialSerials: scope === 'vials' ? [...input.vialSerials!].sort() : [] };
      this.pending.set(id, pending);
      let signatureId: string;
      try {
        signatureId = (await this.signatures.sign(tx, signer, { meaning: 'recall', recordType: 'recall', recordId: id, reason: input.reason })).id;
      } finally {
        this.pending.delete(id);
      }
      await tx.em.query(`INSERT INTO recalls (id, number, scope, batch_id, reason, signature_id, recalled_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [id, number, scope, batch.id, input.reason, signatureId, ctx.actor.userId]);
      if (vialIds.length) await tx.em.query(`INSERT INTO recall_vials (recall_id, vial_id) SELECT $1, unnest($2::uuid[])`, [id, scope === 'vials' ? vialIds : []]);
      const flagged: { number: string }[] = await tx.em.query(
        `UPDATE shipments SET recall_flagged_at = now() WHERE status <> 'received' AND recall_flagged_at IS NULL
            AND id IN (SELECT shipment_id FROM shipment_vials WHERE vial_id = ANY($1::uuid[])) RETURNING number`,
        [vialIds],
      );
      await this.audit.record(tx, ctx, { action: 'recall.issued', entityType: 'recall', entityId: id, after: { ...pending, signatureId, vialsAffected: vialIds.length, flaggedShipments: flagged.map((f) => f.number) }, reason: input.reason });
      return id;
    });
    return this.get(recallId);
  }

  async list(): Promise<unknown[]> {
    return this.dataSource.query(
      `SELECT r.id, r.number, r.scope, b.lot_number AS "lotNumber", r.reason, r.recalled_at AS "recalledAt", s.printed_name AS "signedBy",
              (SELECT count(*)::int FROM recall_vials rv WHERE rv.recall_id = r.id) AS "vialCount"
         FROM recalls r JOIN batches b ON b.id = r.batch_id JOIN signatures s ON s.id = r.signature_id ORDER BY r.recalled_at DESC LIMIT 500`,
    );
  }

  async get(id: string): Promise<unknown> {
    const [row] = await this.dataSource.query(
      `SELECT r.id, r.number, r.scope, b.lot_number AS "lotNumber", r.reason, r.recalled_at AS "recalledAt", r.signature_id AS "signatureId",
              coalesce((SELECT array_agg(v.serial ORDER BY v.serial) FROM recall_vials rv JOIN vials v ON v.id = rv.vial_id WHERE rv.recall_id = r.id), '{}') AS "vialSerials",
              coalesce((SELECT array_agg(DISTINCT sh.number) FROM shipments sh JOIN shipment_vials sv ON sv.shipment_id = sh.id JOIN vials v ON v.id = sv.vial_id
                         WHERE sh.recall_flagged_at IS NOT NULL AND v.batch_id = r.batch_id), '{}') AS "flaggedShipments"
         FROM recalls r JOIN batches b ON b.id = r.batch_id WHERE r.id = $1`,
      [id],
    );
    if (!row) throw DomainError.notFound('recall', id);
    return row;
  }

  private readonly pending = new Map<string, unknown>();

  private async signable(em: EntityManager, id: string): Promise<unknown> {
    const inFlight = this.pending.get(id);
    if (inFlight) return inFlight;
    const [row] = await em.query(
      `SELECT r.id, r.number, r.scope, b.lot_number AS "lotNumber", r.reason,
              coalesce((SELECT array_agg(v.serial ORDER BY v.serial) FROM recall_vials rv JOIN vials v ON v.id = rv.vial_id WHERE rv.recall_id = r.id), '{}') AS "vialSerials"
         FROM recalls r JOIN batches b ON b.id = r.batch_id WHERE r.id = $1`,
      [id],
    );
    return row ?? null;
  }
}
