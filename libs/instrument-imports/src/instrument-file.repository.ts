import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export interface NewInstrumentFile {
  batchId: string | null;
  fileName: string;
  mediaType: string;
  /** An instrument format (nanosight-nta, fcs, rdml, agilent-xml) or 'image'. */
  format: string;
  sizeBytes: number;
  sha256: string;
  content: Buffer;
  parsed: unknown;
  uploadedBy: string;
}

/** What GET /instrument-files/:id shows: everything but the bytes. */
export interface InstrumentFileRow extends Omit<NewInstrumentFile, 'content'> {
  id: string;
  uploadedByName: string;
  uploadedAt: string;
  /** Results recorded from this file. */
  resultIds: string[];
}

export interface InstrumentFileContent {
  fileName: string;
  mediaType: string;
  sha256: string;
  content: Buffer;
}

/** instrument_files is append-only (a trigger refuses UPDATE/DELETE): a file, once stored, is the record. */
@Injectable()
export class InstrumentFileRepository {
  async insert(em: EntityManager, row: NewInstrumentFile): Promise<string> {
    const [{ id }] = await em.query(
      `INSERT INTO instrument_files (batch_id, file_name, media_type, format, size_bytes, sha256, content, parsed, uploaded_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
      [row.batchId, row.fileName, row.mediaType, row.format, row.sizeBytes, row.sha256, row.content, row.parsed === undefined ? null : JSON.stringify(row.parsed), row.uploadedBy],
    );
    return id;
  }

  async find(em: EntityManager, id: string): Promise<InstrumentFileRow | null> {
    const [row] = await em.query(
      `SELECT f.id, f.batch_id AS "batchId", f.file_name AS "fileName", f.media_type AS "mediaType", f.format, f.size_bytes AS "sizeBytes",
              f.sha256, f.parsed, f.uploaded_by AS "uploadedBy", u.display_name AS "uploadedByName", f.uploaded_at AS "uploadedAt",
              coalesce((SELECT array_agg(r.id::text ORDER BY r.recorded_at) FROM assay_results r WHERE r.instrument_file_id = f.id), '{}'::text[]) AS "resultIds"
         FROM instrument_files f JOIN users u ON u.id = f.uploaded_by WHERE f.id = $1`,
      [id],
    );
    return row ?? null;
  }

  async content(em: EntityManager, id: string): Promise<InstrumentFileContent | null> {
    const [row] = await em.query(
      `SELECT file_name AS "fileName", media_type AS "mediaType", sha256, content FROM instrument_files WHERE id = $1`,
      [id],
    );
    return row ?? null;
  }
}
