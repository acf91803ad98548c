import { createHash } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { JobHandlerRegistry, DomainError, TransactionRunner } from '#platform';
import { MEANING_TEXT } from '#signatures';
import { ChecklistRepository } from './checklist.repository.js';
import { renderCoaPdf, type CoaContent } from './coa-pdf.js';

/** Generates, stores and serves certificates of analysis. Generation is idempotent. */
@Injectable()
export class CertificateService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly handlers: JobHandlerRegistry,
    private readonly checklists: ChecklistRepository,
  ) {}

  onModuleInit(): void {
    this.handlers.register('release.coa.generate', ({ batchId }) => this.generate(batchId));
  }

  /** Renders the CoA from the released records; stores it once. A re-run renders the same bytes and stores nothing. */
  async generate(batchId: string): Promise<{ sha256: string; created: boolean }> {
    const content = await this.content(this.dataSource.manager, batchId);
    const pdf = await renderCoaPdf(content);
    const sha256 = createHash('sha256').update(pdf).digest('hex');
    return this.tx.run(async (tx) => {
      const [existing] = await tx.em.query(`SELECT sha256 FROM certificates WHERE batch_id = $1`, [batchId]);
      if (existing) {
        if (existing.sha256 !== sha256) throw new Error(`certificate of batch ${batchId} rendered differently (${sha256} vs stored ${existing.sha256})`);
        return { sha256, created: false };
      }
      await tx.em.query(`INSERT INTO certificates (batch_id, sha256, content, size_bytes) VALUES ($1, $2, $3, $4) ON CONFLICT (batch_id) DO NOTHING`, [batchId, sha256, pdf, pdf.length]);
      return { sha256, created: true };
    });
  }

  async download(batchId: string): Promise<{ content: Buffer; sha256: string; lotNumber: string }> {
    const [row] = await this.dataSource.query(`SELECT c.content, c.sha256, b.lot_number AS "lotNumber" FROM certificates c JOIN batches b ON b.id = c.batch_id WHERE c.batch_id = $1`, [batchId]);
    if (!row) throw DomainError.notFound('certificate', batchId);
    return row;
  }

  async content(em: EntityManager, batchId: string): Promise<CoaContent> {
    const [batch] = await em.query(
      `SELECT b.batch_number, b.lot_number, b.released_at, b.source_type, b.origin_class, b.yield_volume_ml::float8 AS yield, p.code, p.name,
              s.version AS spec_version, s.title AS spec_title, d.checklist_id, h.details, h.harvested_at
         FROM batches b JOIN products p ON p.id = b.product_id JOIN release_decisions d ON d.batch_id = b.id AND d.decision = 'approved'
         JOIN specifications s ON s.id = b.specification_id JOIN harvests h ON h.batch_id = b.id
        WHERE b.id = $1`,
      [batchId],
    );
    if (!batch?.lot_number) throw new Error(`batch ${batchId} is not released`);
    const checklist = await this.checklists.find(em, batch.checklist_id);
    const steps = await em.query(
      `SELECT s.sequence, s.step_type, s.parameters, l.lot_number, r.name FROM isolation_steps s LEFT JOIN reagent_lots l ON l.id = s.reagent_lot_id
         LEFT JOIN reagents r ON r.id = l.reagent_id WHERE s.batch_id = $1 ORDER BY s.sequence`,
      [batchId],
    );
    const signatures = await em.query(
      `SELECT printed_name, signer_role, meaning, signed_at, reason FROM signatures WHERE (record_type = 'batch_release' AND record_id = $1)
          OR (record_type = 'specification' AND record_id = (SELECT specification_id::text FROM batches WHERE id = $1::uuid)) ORDER BY signed_at, id`,
      [batchId],
    );
    const d = batch.details as Record<string, unknown>;
    const source = batch.source_type === 'serum'
      ? [`Human serum; donor pseudonymised; volume ${d.volumeMl} mL; haemolysis check ${d.haemolysisCheck}.`]
      : [`Conditioned cell-culture media from ${String(d.producingCellType).replace('_', ' ')}${d.sourceTissue ? ` (${String(d.sourceTissue).replace('_', ' ')})` : ''}, passage ${d.passageNumber}, ${d.cultureDays} culture days, ${d.mediaVolumeMl} mL${d.evDepletedMedia ? ', EV-depleted media' : ''}.`];
    source.push(`Declared origin: ${String(batch.origin_class).replace(/_/g, ' ')}. Harvested ${new Date(batch.harvested_at).toISOString().slice(0, 10)}.`);
    const isolation = steps.map((s: { sequence: number; step_type: string; parameters: Record<string, number>; lot_number: string | null; name: string | null }) =>
      `${s.sequence}. ${s.step_type.replace(/_/g, ' ')}${Object.entries(s.parameters).length ? ` (${Object.entries(s.parameters).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}${s.lot_number ? `; ${s.name} lot ${s.lot_number}` : ''}`);
    return {
      product: { code: batch.code, name: batch.name },
      batch: { batchNumber: batch.batch_number, lotNumber: batch.lot_number, releasedAt: new Date(batch.released_at), sourceType: batch.source_type, originClass: batch.origin_class, yieldVolumeMl: batch.yield },
      source,
      isolation,
      specification: { version: batch.spec_version, title: batch.spec_title },
      lines: checklist?.lines ?? [],
      signatures: signatures.map((s: { printed_name: string; signer_role: string; meaning: keyof typeof MEANING_TEXT; signed_at: string; reason: string | null }) => ({ printedName: s.printed_name, role: s.signer_role, meaning: MEANING_TEXT[s.meaning] ?? s.meaning, signedAt: new Date(s.signed_at), reason: s.reason })),
    };
  }
}
