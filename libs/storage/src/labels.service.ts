import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig, DomainError } from '#platform';
import { digitalLink, elementString, gs1Problems, humanReadable, type Gs1Data } from './gs1.js';
import { labelLines, type LabelContent, renderLabelSheetPdf, renderSymbolPng, renderZpl } from './label-render.js';

interface LabelRow {
  serial: string;
  purpose: string;
  gtin: string | null;
  expiry: string | null;
  lot: string | null;
  productName: string;
  volumeMl: number;
  storage: string;
  patientRef: string | null;
}

const LABEL_SELECT = `SELECT v.serial, v.purpose, p.gtin, to_char(v.expiry_date, 'YYYY-MM-DD') AS expiry, b.lot_number AS lot, p.name AS "productName",
  v.volume_ml::float8 AS "volumeMl", p.storage_instructions AS storage, v.patient_ref AS "patientRef"
  FROM vials v JOIN batches b ON b.id = v.batch_id JOIN products p ON p.id = b.product_id`;

/** GS1 labels of dose vials: the data, a PNG symbol, a PDF sheet per fill, and ZPL. */
@Injectable()
export class Labels {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** What goes on the label, with the element string, the Digital Link and the text lines. */
  async describe(serial: string): Promise<LabelContent & { elementString: string; humanReadable: string; lines: string[] }> {
    const label = await this.content(serial);
    return { ...label, elementString: elementString(label), humanReadable: humanReadable(label), lines: labelLines(label) };
  }

  async png(serial: string): Promise<Buffer> {
    return renderSymbolPng(await this.content(serial));
  }

  async zpl(serial: string): Promise<string> {
    return renderZpl(await this.content(serial));
  }

  /** One PDF sheet with a label for every dose vial of a fill. */
  async fillSheet(fillId: string): Promise<Buffer> {
    const [fill] = await this.dataSource.query(`SELECT f.id, f.created_at AS "createdAt", b.batch_number AS "batchNumber" FROM vial_fills f JOIN batches b ON b.id = f.batch_id WHERE f.id = $1`, [fillId]);
    if (!fill) throw DomainError.notFound('fill', fillId);
    const rows: LabelRow[] = await this.dataSource.query(`${LABEL_SELECT} WHERE v.fill_id = $1 ORDER BY v.fill_index, v.serial`, [fillId]);
    const labels = rows.map((row) => this.toContent(row));
    return renderLabelSheetPdf(labels, `Labels for ${fill.batchNumber}, fill ${fill.id}`, new Date(fill.createdAt));
  }

  private async content(serial: string): Promise<LabelContent> {
    const [row]: LabelRow[] = await this.dataSource.query(`${LABEL_SELECT} WHERE v.serial = $1`, [serial.toUpperCase()]);
    if (!row) throw DomainError.notFound('vial', serial);
    return this.toContent(row);
  }

  private toContent(row: LabelRow): LabelContent {
    if (row.purpose !== 'dose') throw new DomainError('label.not_a_dose', `Vial ${row.serial} is a bulk container; only dose vials get GS1 labels.`);
    if (!row.gtin) throw DomainError.field('label.gtin_missing', 'gtin', 'required', `The product "${row.productName}" has no GTIN; a GS1 label needs (01). Ask QA to give the product a GTIN-14.`);
    const data: Partial<Gs1Data> = { gtin: row.gtin, expiry: row.expiry ?? undefined, lot: row.lot ?? undefined, serial: row.serial };
    const problems = gs1Problems(data);
    if (problems.length) throw new DomainError('label.gs1_invalid', `Vial ${row.serial} cannot get a GS1 label: ${problems.map((p) => p.message).join('; ')}.`, { errors: problems });
    const gs1 = data as Gs1Data;
    return { ...gs1, productName: row.productName, volumeMl: row.volumeMl, storage: row.storage, patientRef: row.patientRef, digitalLink: digitalLink(this.config.publicBaseUrl, gs1) };
  }
}
