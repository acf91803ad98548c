import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import { AuditTrail } from '#audit';
import { type CommandContext, DomainError, type Page, TransactionRunner } from '#platform';
import { ChecklistContributors, type ChecklistLine } from '#release';
import { ESignatures, SignedRecords } from '#signatures';
import type { DispositionDto, ListExcursionsQuery } from './cold-chain.dto.js';
import { ExcursionHolds } from './quarantine.js';

const COLUMNS = `x.id, x.number, x.kind, x.logger_id AS "loggerId", g.code AS "loggerCode", x.freezer_id AS "freezerId", f.code AS "freezerCode",
  x.shipment_id AS "shipmentId", s.number AS "shipmentNumber", x.started_at AS "startedAt", x.ended_at AS "endedAt", x.peak_c AS "peakC",
  x.limit_c AS "limitC", x.grace_seconds AS "graceSeconds", x.max_gap_seconds AS "maxGapSeconds", x.detected_at AS "detectedAt",
  x.disposition, x.justification, x.disposed_by AS "disposedBy", x.disposed_at AS "disposedAt", x.signature_id AS "signatureId",
  (SELECT count(*)::int FROM excursion_vials ev WHERE ev.excursion_id = x.id) AS "vialCount"`;
const FROM = `excursions x JOIN temperature_loggers g ON g.id = x.logger_id LEFT JOIN freezers f ON f.id = x.freezer_id LEFT JOIN shipments s ON s.id = x.shipment_id`;

/** Excursions: listing, QA's signed disposition, the signed-record loader and the release checklist line. */
@Injectable()
export class Excursions implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly holds: ExcursionHolds,
    private readonly signatures: ESignatures,
    private readonly signedRecords: SignedRecords,
    private readonly contributors: ChecklistContributors,
    private readonly audit: AuditTrail,
  ) {}

  onModuleInit(): void {
    this.signedRecords.register('excursion', (em, id) => this.signable(em, id));
    this.contributors.register('cold-chain', (em, batchId) => this.checklistLines(em, batchId));
  }

  async list(query: ListExcursionsQuery): Promise<Page<unknown>> {
    const where = `($1::text IS NULL OR ($1 = 'unresolved') = (x.disposition IS NULL)) AND ($2::uuid IS NULL OR x.logger_id = $2) AND ($3::uuid IS NULL OR x.freezer_id = $3)`;
    const params = [query.status ?? null, query.loggerId ?? null, query.freezerId ?? null];
    const [{ total }] = await this.dataSource.query(`SELECT count(*)::int AS total FROM excursions x WHERE ${where}`, params);
    const items = await this.dataSource.query(`SELECT ${COLUMNS} FROM ${FROM} WHERE ${where} ORDER BY x.started_at DESC, x.id LIMIT $4 OFFSET $5`, [...params, query.limit, query.offset]);
    return { items, total, limit: query.limit, offset: query.offset };
  }

  async get(id: string): Promise<Record<string, unknown>> {
    const [row] = await this.dataSource.query(`SELECT ${COLUMNS} FROM ${FROM} WHERE x.id = $1`, [id]);
    if (!row) throw DomainError.notFound('excursion', id);
    const vials = await this.dataSource.query(
      `SELECT v.serial, v.purpose, b.batch_number AS "batchNumber", b.lot_number AS "lotNumber", v.status, v.quarantined
         FROM excursion_vials ev JOIN vials v ON v.id = ev.vial_id JOIN batches b ON b.id = v.batch_id WHERE ev.excursion_id = $1 ORDER BY v.serial`,
      [id],
    );
    return { ...row, vials };
  }

  /**
   * QA's decision, e-signed (meaning 'excursion_disposition'): release the held vials from
   * quarantine with a justification, or destroy them. The password is checked before the
   * transaction; a wrong one writes nothing.
   */
  async dispose(ctx: CommandContext, id: string, dto: DispositionDto): Promise<Record<string, unknown>> {
    const signer = await this.signatures.reauthenticate(ctx, dto.password);
    const outcome = await this.tx.run(async (tx) => {
      const [x] = await tx.em.query(`SELECT id, number, ended_at AS "endedAt", disposition FROM excursions WHERE id = $1 FOR NO KEY UPDATE`, [id]);
      if (!x) throw DomainError.notFound('excursion', id);
      if (x.disposition) throw new DomainError('excursion.wrong_state', `Excursion ${x.number} already has a disposition (${x.disposition}).`);
      if (!x.endedAt) throw new DomainError('excursion.wrong_state', `Excursion ${x.number} is still going on; dispose of it once it has ended (readings back in range, or the logger reporting again).`);
      await tx.em.query(`UPDATE excursions SET disposition = $2, justification = $3, disposed_by = $4, disposed_at = now(), updated_at = now() WHERE id = $1`, [id, dto.decision, dto.justification, ctx.actor.userId]);
      const signature = await this.signatures.sign(tx, signer, { meaning: 'excursion_disposition', recordType: 'excursion', recordId: id, reason: dto.justification });
      await tx.em.query(`UPDATE excursions SET signature_id = $2 WHERE id = $1`, [id, signature.id]);
      const serials = dto.decision === 'destroy' ? await this.holds.destroy(tx, ctx, id, dto.justification) : await this.holds.release(tx, ctx, id, dto.justification);
      await this.audit.record(tx, ctx, { action: 'excursion.disposed', entityType: 'excursion', entityId: id, before: { disposition: null }, after: { disposition: dto.decision, signatureId: signature.id, vials: serials }, reason: dto.justification });
      return { serials, signature };
    });
    return { ...(await this.get(id)), affected: outcome.serials, signature: { id: outcome.signature.id, manifestation: outcome.signature.manifestation } };
  }

  /** The signable form: what happened, where, what was held, and QA's decision. */
  private async signable(em: EntityManager, id: string): Promise<unknown> {
    const [x] = await em.query(
      `SELECT x.id, x.number, x.kind, g.code AS "loggerCode", f.code AS "freezerCode", s.number AS "shipmentNumber",
              to_char(x.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "startedAt",
              to_char(x.ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "endedAt", x.peak_c::text AS "peakC", x.limit_c::text AS "limitC",
              x.grace_seconds AS "graceSeconds", x.max_gap_seconds AS "maxGapSeconds", x.disposition, x.justification, x.disposed_by AS "disposedBy",
              to_char(x.disposed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "disposedAt"
         FROM ${FROM} WHERE x.id = $1`,
      [id],
    );
    if (!x) return null;
    const vials: { serial: string }[] = await em.query(`SELECT v.serial FROM excursion_vials ev JOIN vials v ON v.id = ev.vial_id WHERE ev.excursion_id = $1 ORDER BY v.serial`, [id]);
    return { ...x, vials: vials.map((v) => v.serial) };
  }

  private async checklistLines(em: EntityManager, batchId: string): Promise<ChecklistLine[]> {
    const open: { number: string }[] = await em.query(
      `SELECT DISTINCT x.number FROM excursions x JOIN excursion_vials ev ON ev.excursion_id = x.id JOIN vials v ON v.id = ev.vial_id
        WHERE v.batch_id = $1 AND x.disposition IS NULL ORDER BY x.number`,
      [batchId],
    );
    return [{
      key: 'cold_chain:no_unresolved_excursion',
      requirement: 'No unresolved cold-chain excursion',
      status: open.length ? 'fail' : 'pass',
      detail: open.length ? `without a QA disposition: ${open.map((o) => o.number).join(', ')}` : 'none',
      evidence: open.map((o) => ({ excursion: o.number })),
    }];
  }
}
