import bwipjs from 'bwip-js';
import PDFDocument from 'pdfkit';
import { elementString, GS, humanReadable, type Gs1Data } from './gs1.js';

export interface LabelContent extends Gs1Data {
  productName: string;
  volumeMl: number;
  storage: string;
  digitalLink: string;
  /** Patient or order pseudonym, when the vial is made for one. */
  patientRef: string | null;
}

/** The lines printed beside the symbol, in order. */
export function labelLines(label: LabelContent): string[] {
  return [
    label.productName,
    `GTIN ${label.gtin}`,
    `LOT ${label.lot}`,
    `EXP ${label.expiry}`,
    `SN ${label.serial}`,
    `${label.volumeMl} mL · topical use only, not for injection`,
    label.storage,
    ...(label.patientRef ? [`Ref ${label.patientRef}`] : []),
  ];
}

/** The GS1 DataMatrix alone, with its element string as the human-readable interpretation below. */
export function renderSymbolPng(label: Gs1Data, scale = 4): Promise<Buffer> {
  const text = humanReadable(label);
  return bwipjs.toBuffer({ bcid: 'gs1datamatrix', text, scale, paddingwidth: 8, paddingheight: 8, backgroundcolor: 'FFFFFF', includetext: true, alttext: text, textsize: 7, textxalign: 'center' });
}

/**
 * A sheet of labels (A4, 3 × 8 labels of 63.5 × 33.9 mm): each with the DataMatrix, the
 * human-readable lines and the Digital Link. Fixed document dates keep the output reproducible.
 */
export async function renderLabelSheetPdf(labels: LabelContent[], title: string, createdAt: Date): Promise<Buffer> {
  const symbols = await Promise.all(labels.map((l) => bwipjs.toBuffer({ bcid: 'gs1datamatrix', text: humanReadable(l), scale: 3, paddingwidth: 0, paddingheight: 0, backgroundcolor: 'FFFFFF' })));
  const mm = (v: number) => (v * 72) / 25.4;
  const [cols, rows, w, h, left, top, gap] = [3, 8, mm(63.5), mm(33.9), mm(7.2), mm(12.9), mm(2.5)];
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 0, autoFirstPage: false, info: { Title: title, Author: 'Exolot', Creator: 'Exolot', Producer: 'Exolot', CreationDate: createdAt, ModDate: createdAt } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    labels.forEach((label, i) => {
      const slot = i % (cols * rows);
      if (slot === 0) doc.addPage();
      const x = left + (slot % cols) * (w + gap);
      const y = top + Math.floor(slot / cols) * h;
      const side = mm(15);
      const column = { x: x + mm(19.5), width: w - mm(21.5) };
      doc.image(symbols[i], x + mm(2), y + mm(2.5), { width: side, height: side });
      const [product, , ...rest] = labelLines(label);
      doc.font('Helvetica-Bold').fontSize(6).text(product, column.x, y + mm(2), { width: column.width, lineBreak: false, ellipsis: true });
      doc.font('Helvetica').fontSize(5.5);
      for (const line of rest) {
        const small = line === label.storage;
        doc.fontSize(small ? 4.5 : 5.5).text(line, column.x, doc.y, { width: column.width });
      }
      doc.fontSize(4.5).text(humanReadable(label), x + mm(2), y + mm(23.5), { width: w - mm(4), lineBreak: false });
      doc.fontSize(3.5).fillColor('#333').text(label.digitalLink, x + mm(2), y + mm(26.5), { width: w - mm(4) }).fillColor('black');
    });
    if (labels.length === 0) doc.addPage();
    doc.end();
  });
}

/** ZPL II for a 3 × 1.5 inch label at 203 dpi: GS1 DataMatrix (FNC1 as _1) and the text lines. */
export function renderZpl(label: LabelContent): string {
  const data = elementString(label).split(GS).join('_1');
  const safe = (s: string) => s.replace(/[\^~]/g, ' ');
  const lines = labelLines(label).map((line, i) => `^FO170,${20 + i * 24}^A0N,18,14^FB430,1,0,L^FD${safe(line)}^FS`);
  return ['^XA', '^CI28', '^PW609', '^LL305', `^FO16,24^BXN,5,200,,,,_^FD_1${data}^FS`, ...lines, '^XZ', ''].join('\n');
}
