import { Inject, Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { DataSource } from 'typeorm';
import { AuditTrail } from '#audit';
import { ResultsService, type ResultRow } from '#characterization';
import { InstrumentFileError, parseInstrumentFile, type InstrumentFormat, type ParsedInstrumentFile } from '#instruments';
import { APP_CONFIG, type AppConfig, type CommandContext, DomainError, type FieldError, flattenValidationErrors, type Tx, TransactionRunner } from '#platform';
import { cleanFileName, IMAGE_MEDIA_TYPES, imageTypeOf, instrumentMediaType, sha256Hex } from './file-facts.js';
import { InstrumentFileRepository, type InstrumentFileContent, type InstrumentFileRow, type NewInstrumentFile } from './instrument-file.repository.js';
import { jsonSafe, summarise } from './parsed-summary.js';
import {
  ASSAY_OF_FORMAT, type CandidateSet, FORMAT_OF_ASSAY, type FcsGate, type MappingOptions, type ResultCandidate, resultCandidates, selectCandidate,
} from './result-candidates.js';
import { ImportFieldsDto, type MappingFieldsDto, ParseFieldsDto, referenceTargetList } from './upload-fields.dto.js';
import type { Upload, UploadedFile } from './upload-reader.js';

export interface ParsePreview {
  fileName: string;
  sizeBytes: number;
  sha256: string;
  format: InstrumentFormat;
  mediaType: string;
  summary: Record<string, unknown>;
  candidates: ResultCandidate[];
  notes: string[];
  gate?: FcsGate;
}

export type ImportedResult = ResultRow & { file: { id: string; sha256: string; fileName: string } };

export interface StoredImage {
  id: string;
  sha256: string;
  fileName: string;
  mediaType: string;
  sizeBytes: number;
}

/** A file checked, hashed and summarised, ready to store. */
interface AcceptedFile {
  parsed: ParsedInstrumentFile;
  row: Omit<NewInstrumentFile, 'batchId' | 'uploadedBy'>;
}

/**
 * Instrument files in, results out: previews what a file would record, imports one result with
 * its file in one transaction, and stores images. Nothing is stored when anything is refused.
 */
@Injectable()
export class InstrumentImportsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly results: ResultsService,
    private readonly audit: AuditTrail,
    private readonly files: InstrumentFileRepository,
  ) {}

  async preview(upload: Upload): Promise<ParsePreview> {
    const fields = await validFields(ParseFieldsDto, upload);
    const { parsed, row } = this.accept(upload.file!, fields.format);
    const set = await this.withValidCandidates(mapFile(parsed, mappingOf(fields)));
    return {
      fileName: row.fileName, sizeBytes: row.sizeBytes, sha256: row.sha256, format: parsed.format, mediaType: row.mediaType,
      summary: row.parsed as Record<string, unknown>, candidates: set.candidates, notes: set.notes, ...(set.gate ? { gate: set.gate } : {}),
    };
  }

  async importResult(ctx: CommandContext, batchId: string, upload: Upload): Promise<ImportedResult> {
    const fields = await validFields(ImportFieldsDto, upload, (f) => (f.assay === 'facs' ? requireAll(f, ['channel', 'threshold', 'isotypeControlPercent']) : []));
    const { parsed, row } = this.accept(upload.file!, fields.format);
    if (parsed.format !== FORMAT_OF_ASSAY[fields.assay]) {
      throw DomainError.field('instrument.assay_mismatch', 'assay', 'matchesFile', `The file is ${parsed.format}, which gives ${ASSAY_OF_FORMAT[parsed.format]} results, not ${fields.assay}.`);
    }
    const candidate = selectCandidate(mapFile(parsed, mappingOf(fields)), fields.assay, fields.sample);
    await this.checkCandidate(candidate);
    return this.tx.run(async (t) => {
      const fileId = await this.store(t, ctx, batchId, row);
      const result = await this.results.record(ctx, batchId, fields.assay, {
        performedAt: fields.performedAt, instrument: fields.instrument, retestOfId: fields.retestOfId, data: candidate.data, instrumentFileId: fileId,
      }, t);
      return { ...result, file: { id: fileId, sha256: row.sha256, fileName: row.fileName } };
    });
  }

  async storeImage(ctx: CommandContext, batchId: string, upload: Upload): Promise<StoredImage> {
    const errors: FieldError[] = Object.keys(upload.fields).map((field) => ({ field, rule: 'unknownField', message: `${field} is not a known field` }));
    if (!upload.file) errors.push(FILE_REQUIRED);
    if (errors.length) throw DomainError.validation(errors);
    const { bytes } = upload.file!;
    const type = imageTypeOf(bytes);
    if (!type) throw new DomainError('instrument.unrecognised_format', 'Not a PNG, JPEG or TIFF image (judged by its first bytes).', { where: { byteOffset: 0 } });
    const row = {
      fileName: cleanFileName(upload.file!.fileName, `image.${type}`), mediaType: IMAGE_MEDIA_TYPES[type], format: 'image',
      sizeBytes: bytes.length, sha256: sha256Hex(bytes), content: bytes, parsed: { imageType: type },
    };
    const id = await this.tx.run((t) => this.store(t, ctx, batchId, row));
    return { id, sha256: row.sha256, fileName: row.fileName, mediaType: row.mediaType, sizeBytes: row.sizeBytes };
  }

  async metadata(id: string): Promise<InstrumentFileRow> {
    const row = await this.files.find(this.dataSource.manager, id);
    if (!row) throw DomainError.notFound('instrument_file', id);
    return row;
  }

  async content(id: string): Promise<InstrumentFileContent> {
    const row = await this.files.content(this.dataSource.manager, id);
    if (!row) throw DomainError.notFound('instrument_file', id);
    return row;
  }

  /** Recognise, parse (within the size limit) and describe the file, or refuse it with the parser's code and location. */
  private accept(file: UploadedFile, formatHint?: InstrumentFormat): AcceptedFile {
    const parsed = refusingInstrumentErrors(() => parseInstrumentFile(file.bytes, { filename: file.fileName, formatHint, maxBytes: this.config.instrumentMaxBytes }));
    return {
      parsed,
      row: {
        fileName: cleanFileName(file.fileName, `instrument-file.${parsed.format}`), mediaType: instrumentMediaType(parsed.format, file.bytes), format: parsed.format,
        sizeBytes: file.bytes.length, sha256: sha256Hex(file.bytes), content: file.bytes, parsed: summarise(parsed),
      },
    };
  }

  private async store(t: Tx, ctx: CommandContext, batchId: string, row: Omit<NewInstrumentFile, 'batchId' | 'uploadedBy'>): Promise<string> {
    // Lock the batch before anything else, as recording a result does: the audit chain's lock comes
    // after the batch lock everywhere, or two writers on one batch deadlock.
    const [batch] = await t.em.query(`SELECT id FROM batches WHERE id = $1 FOR UPDATE`, [batchId]);
    if (!batch) throw DomainError.notFound('batch', batchId);
    const id = await this.files.insert(t.em, { ...row, batchId, uploadedBy: ctx.actor.userId });
    const { content: _content, parsed: _parsed, ...facts } = row;
    await this.audit.record(t, ctx, { action: 'instrument_file.stored', entityType: 'instrument_file', entityId: id, after: { id, batchId, ...facts } });
    return id;
  }

  /** The preview lists only candidates that would be accepted; the others become notes saying why. */
  private async withValidCandidates(set: CandidateSet): Promise<CandidateSet> {
    const candidates: ResultCandidate[] = [];
    const notes = [...set.notes];
    for (const candidate of set.candidates) {
      try {
        await this.checkCandidate(candidate);
        candidates.push(candidate);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        notes.push(`${candidate.label}: ${(error.details.errors ?? []).map((e) => e.message).join('; ') || error.message}`);
      }
    }
    return { ...set, candidates, notes };
  }

  /** The data must be what the assay's own endpoint would accept; a file that cannot give it is a 422, not a 400. */
  private async checkCandidate(candidate: ResultCandidate): Promise<void> {
    try {
      await this.results.validateData(candidate.assay, candidate.data);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      throw new DomainError('instrument.unmappable', `The file's values do not make a valid ${candidate.assay} result (${candidate.label}).`, { errors: error.details.errors ?? [] });
    }
  }
}

const FILE_REQUIRED: FieldError = { field: 'file', rule: 'required', message: 'file is required (a multipart file field named "file")' };

/** Strict checks of the text fields (class-validator), plus the file's presence, reported together. */
async function validFields<T extends object>(cls: new () => T, upload: Upload, extra: (fields: T) => FieldError[] = () => []): Promise<T> {
  const fields = plainToInstance(cls, upload.fields);
  const errors = flattenValidationErrors(await validate(fields, { whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: true, validationError: { target: false, value: false } }));
  if (!upload.file) errors.unshift(FILE_REQUIRED);
  errors.push(...extra(fields));
  if (errors.length) throw DomainError.validation(errors);
  return fields;
}

function requireAll<T extends object>(fields: T, names: (keyof T & string)[]): FieldError[] {
  return names.filter((name) => fields[name] === undefined).map((field) => ({ field, rule: 'required', message: `${field} is required for this assay` }));
}

function mappingOf(fields: MappingFieldsDto): MappingOptions {
  return {
    channel: fields.channel, threshold: fields.threshold, isotypeControlPercent: fields.isotypeControlPercent, marker: fields.marker,
    referenceTargets: referenceTargetList(fields),
  };
}

/** Candidates with data jsonb can hold (text from a file may carry NUL characters). */
function mapFile(parsed: ParsedInstrumentFile, options: MappingOptions): CandidateSet {
  const set = refusingInstrumentErrors(() => resultCandidates(parsed, options));
  return { ...set, candidates: set.candidates.map((c) => ({ ...c, data: jsonSafe(c.data) as Record<string, unknown> })) };
}

/** InstrumentFileError → DomainError with the parser's code (instrument.*, a 422) and where it is. */
function refusingInstrumentErrors<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (!(error instanceof InstrumentFileError)) throw error;
    throw new DomainError(error.code, error.message, { where: error.where, ...(error.format ? { format: error.format } : {}) });
  }
}
