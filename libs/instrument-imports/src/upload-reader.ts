import type { MultipartFile } from '@fastify/multipart';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig, describeUploadedBody, DomainError, illFormedTextAt, illFormedTextError, MULTIPART_LIMITS } from '#platform';

/** Images (EM micrographs, blots) are capped lower than instrument files. */
export const IMAGE_MAX_BYTES = 20 * 1024 * 1024;

export interface UploadedFile {
  fieldName: string;
  /** As the client sent it; cleaned before it is stored. */
  fileName: string;
  /** The client's Content-Type for the part: informative only, never trusted. */
  declaredType: string;
  bytes: Buffer;
}

/** A multipart form read into memory: at most one file (bounded by the limit) and the text fields. */
export interface Upload {
  file: UploadedFile | null;
  fields: Record<string, string>;
}

export type UploadKind = 'instrument' | 'image';

/** Reads multipart uploads with the configured limits; every failure is a DomainError (problem+json). */
@Injectable()
export class UploadReader {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  limitFor(kind: UploadKind): number {
    return kind === 'image' ? Math.min(IMAGE_MAX_BYTES, this.config.instrumentMaxBytes) : this.config.instrumentMaxBytes;
  }

  read(request: FastifyRequest, kind: UploadKind): Promise<Upload> {
    return readUpload(request, this.limitFor(kind));
  }
}

export async function readUpload(request: FastifyRequest, maxFileBytes: number): Promise<Upload> {
  if (typeof request.isMultipart !== 'function' || !request.isMultipart()) {
    throw new DomainError('request.unsupported_media_type', 'Send multipart/form-data with the file in a field named "file".');
  }
  const fields = new Map<string, string>();
  let file: UploadedFile | null = null;
  try {
    for await (const part of request.parts({ limits: { ...MULTIPART_LIMITS, fileSize: maxFileBytes } })) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file') throw fieldError(part.fieldname, 'unknownField', `${part.fieldname} is not a file field; send the file as "file"`);
        file = { fieldName: part.fieldname, fileName: part.filename, declaredType: part.mimetype, bytes: await readBounded(part, maxFileBytes) };
      } else {
        if (part.fieldname === 'file') throw fieldError('file', 'isFile', 'file must be sent as a file part (with a filename), not as a text field');
        if (part.fieldnameTruncated || part.valueTruncated) throw fieldError(part.fieldname, 'maxLength', `${part.fieldname} is longer than ${MULTIPART_LIMITS.fieldSize} bytes`);
        if (fields.has(part.fieldname)) throw fieldError(part.fieldname, 'duplicate', `${part.fieldname} is given more than once`);
        fields.set(part.fieldname, String(part.value));
      }
    }
  } catch (error) {
    throw translate(error, maxFileBytes);
  }
  const unstorable = illFormedTextAt(Object.fromEntries(fields));
  if (unstorable) throw illFormedTextError(unstorable);
  const upload = { file, fields: Object.fromEntries(fields) };
  describeUploadedBody(request.query, upload); // completes an Idempotency-Key's request fingerprint
  return upload;
}

/** Holds at most `max` bytes: busboy stops delivering at the limit and marks the stream truncated. */
async function readBounded(part: MultipartFile, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of part.file as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) break;
    chunks.push(chunk);
  }
  if (size > max || part.file.truncated) throw tooLarge(max);
  return Buffer.concat(chunks, size);
}

export function tooLarge(max: number): DomainError {
  return new DomainError('instrument.too_large', `The file is larger than the limit of ${max} bytes.`, { where: { byteOffset: max }, limitBytes: max });
}

function fieldError(field: string, rule: string, message: string): DomainError {
  return DomainError.validation([{ field, rule, message }]);
}

/** @fastify/multipart and busboy errors, as the refusals a client can act on. */
function translate(error: unknown, maxFileBytes: number): unknown {
  if (error instanceof DomainError) return error;
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return tooLarge(maxFileBytes);
    case 'FST_FILES_LIMIT':
      return fieldError('file', 'maxFiles', 'Send exactly one file.');
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return fieldError('fields', 'maxFields', `Send at most ${MULTIPART_LIMITS.fields} fields.`);
    case 'FST_PROTO_VIOLATION':
      return fieldError('fields', 'fieldName', 'A field name is not allowed.');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new DomainError('request.unsupported_media_type', 'Send multipart/form-data with the file in a field named "file".');
    case 'FST_INVALID_JSON_FIELD_ERROR':
      return new DomainError('request.malformed', 'A field declared as JSON is not valid JSON.');
    default:
      break;
  }
  // busboy's parse errors ("Unexpected end of form", "Malformed part header", missing boundary ...).
  if (error instanceof Error && (/multipart|boundary|part|form/i.test(message ?? '') || code === 'FST_MP_PREMATURE_CLOSE')) {
    return new DomainError('request.malformed', `The multipart body could not be read: ${message}`);
  }
  return error;
}
