import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import { InstrumentFileError, type InstrumentFormat } from './errors.js';

/** Limits shared by every parser. */
export interface ParseLimits {
  /** Largest input accepted, in bytes (default 256 MiB). */
  maxBytes?: number;
  /** Largest size any compressed content (gzip, ZIP entry) may expand to (default: maxBytes). */
  maxDecompressedBytes?: number;
}

export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

export interface ResolvedLimits {
  maxBytes: number;
  maxDecompressedBytes: number;
}

export function resolveLimits(limits: ParseLimits = {}): ResolvedLimits {
  const maxBytes = positiveOr(limits.maxBytes, DEFAULT_MAX_BYTES);
  return { maxBytes, maxDecompressedBytes: positiveOr(limits.maxDecompressedBytes, maxBytes) };
}

function positiveOr(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
}

/** Accepts a Buffer, any Uint8Array or an ArrayBuffer; refuses anything else with a typed error. */
export function asBytes(input: unknown, format?: InstrumentFormat): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  throw new InstrumentFileError('instrument.unrecognised_format', 'Expected the file content as bytes (Buffer or Uint8Array).', {}, format);
}

export function checkSize(bytes: Uint8Array, limits: ResolvedLimits, format?: InstrumentFormat): void {
  if (bytes.length > limits.maxBytes) {
    throw new InstrumentFileError(
      'instrument.too_large',
      `The file is ${bytes.length} bytes; the limit is ${limits.maxBytes} bytes.`,
      { byteOffset: limits.maxBytes },
      format,
    );
  }
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * zlib reports hitting maxOutputLength as ERR_BUFFER_TOO_LARGE. The code is checked rather than
 * `instanceof RangeError`, which fails across realms (e.g. errors raised inside a VM context).
 */
export function isOutputLimitError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_BUFFER_TOO_LARGE' || (error instanceof Error && error.name === 'RangeError');
}

/** Gunzips with an output cap so a gzip bomb is refused instead of exhausting memory. */
export function gunzipLimited(bytes: Uint8Array, limits: ResolvedLimits, format?: InstrumentFormat): Uint8Array {
  try {
    return gunzipSync(bytes, { maxOutputLength: limits.maxDecompressedBytes });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (isOutputLimitError(error)) {
      throw new InstrumentFileError(
        'instrument.too_large',
        `The gzip content expands beyond the limit of ${limits.maxDecompressedBytes} bytes.`,
        { section: 'gzip' },
        format,
      );
    }
    const truncated = /unexpected end/i.test(message);
    throw new InstrumentFileError(
      truncated ? 'instrument.truncated' : 'instrument.corrupt',
      truncated ? 'The gzip stream ends early.' : `The gzip stream is damaged: ${message}`,
      { section: 'gzip' },
      format,
    );
  }
}

/**
 * The first few KB of a gzip stream's content, for format detection only. Decompressing a short
 * prefix with a sync flush tolerates the missing tail and bounds the work.
 */
export function peekGunzip(bytes: Uint8Array, compressedPrefix = 4096, maxOutput = 1 << 20): Uint8Array | null {
  try {
    return gunzipSync(bytes.subarray(0, compressedPrefix), {
      finishFlush: zlibConstants.Z_SYNC_FLUSH,
      maxOutputLength: maxOutput,
    });
  } catch {
    return null;
  }
}

/** Size check plus transparent gunzip: every parser starts here. */
export function prepareInput(input: unknown, limits: ParseLimits | undefined, format: InstrumentFormat): Uint8Array {
  const bytes = asBytes(input, format);
  const resolved = resolveLimits(limits);
  checkSize(bytes, resolved, format);
  return isGzip(bytes) ? gunzipLimited(bytes, resolved, format) : bytes;
}

/**
 * Decodes text honouring a BOM (UTF-8, UTF-16 LE/BE). Without a BOM, UTF-8 is tried strictly and
 * Windows-1252 is the fallback, because instrument PCs often export in the ANSI code page.
 */
export function decodeText(bytes: Uint8Array, declaredEncoding?: string): string {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return new TextDecoder('utf-8').decode(bytes.subarray(3));
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const declared = declaredEncoding?.trim().toLowerCase();
  if (declared && declared !== 'utf-8' && declared !== 'utf8') {
    try {
      return new TextDecoder(declared).decode(bytes);
    } catch {
      // Unknown label: fall through to the UTF-8 / Windows-1252 guess.
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/** ASCII view of a byte range (for magic numbers and FCS header fields). */
export function asciiAt(bytes: Uint8Array, start: number, length: number): string {
  let text = '';
  const end = Math.min(bytes.length, start + length);
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]);
  return text;
}
