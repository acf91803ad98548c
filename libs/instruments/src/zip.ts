import { inflateRawSync, constants as zlibConstants } from 'node:zlib';
import { InstrumentFileError, type InstrumentFormat } from './errors.js';
import { isOutputLimitError } from './input.js';

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

export interface ZipLimits {
  /** Largest uncompressed size accepted for one entry. */
  maxEntryBytes: number;
  maxEntries?: number;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6);
}

/**
 * Lists a ZIP archive from its central directory (the only authoritative index: local headers
 * may carry zero sizes when a data descriptor follows). ZIP64 and encryption are refused.
 */
export function listZipEntries(bytes: Uint8Array, format?: InstrumentFormat, maxEntries = 10_000): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (code: 'instrument.corrupt' | 'instrument.truncated' | 'instrument.unsupported' | 'instrument.too_large', message: string, byteOffset: number): never => {
    throw new InstrumentFileError(code, message, { byteOffset, section: 'zip central directory' }, format);
  };
  // The end record is 22 bytes plus a comment of up to 65535 bytes, so search backwards that far.
  let eocd = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === END_OF_CENTRAL_DIRECTORY) {
      eocd = at;
      break;
    }
  }
  if (eocd === -1) fail('instrument.truncated', 'The ZIP archive has no end-of-central-directory record (truncated or not a ZIP).', bytes.length);
  const entryCount = view.getUint16(eocd + 10, true);
  const directorySize = view.getUint32(eocd + 12, true);
  const directoryOffset = view.getUint32(eocd + 16, true);
  if (entryCount === 0xffff || directoryOffset === 0xffffffff) fail('instrument.unsupported', 'ZIP64 archives are not supported.', eocd);
  if (entryCount > maxEntries) fail('instrument.too_large', `The ZIP archive lists ${entryCount} entries; at most ${maxEntries} are accepted.`, eocd);
  if (directoryOffset + directorySize > eocd) fail('instrument.corrupt', 'The ZIP central directory overlaps its end record.', eocd);

  const entries: ZipEntry[] = [];
  let at = directoryOffset;
  for (let n = 0; n < entryCount; n++) {
    if (at + 46 > eocd || view.getUint32(at, true) !== CENTRAL_DIRECTORY_HEADER) {
      fail('instrument.corrupt', `ZIP central directory entry ${n + 1} is damaged.`, at);
    }
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    if (at + 46 + nameLength > eocd) fail('instrument.corrupt', `ZIP central directory entry ${n + 1} runs past the directory.`, at);
    const flags = view.getUint16(at + 8, true);
    entries.push({
      name: new TextDecoder(flags & 0x800 ? 'utf-8' : 'windows-1252').decode(bytes.subarray(at + 46, at + 46 + nameLength)),
      flags,
      method: view.getUint16(at + 10, true),
      crc32: view.getUint32(at + 16, true),
      compressedSize: view.getUint32(at + 20, true),
      uncompressedSize: view.getUint32(at + 24, true),
      localHeaderOffset: view.getUint32(at + 42, true),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * Extracts one entry with zip-bomb guards: the declared size is checked against the limit
 * before inflating, inflation is capped at the declared size, and size and CRC-32 are verified.
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, limits: ZipLimits, format?: InstrumentFormat): Uint8Array {
  const where = { zipEntry: entry.name, byteOffset: entry.localHeaderOffset };
  const fail = (code: 'instrument.corrupt' | 'instrument.truncated' | 'instrument.unsupported' | 'instrument.too_large', message: string): never => {
    throw new InstrumentFileError(code, message, where, format);
  };
  if (entry.flags & 0x1) fail('instrument.unsupported', `ZIP entry ${entry.name} is encrypted.`);
  if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATE) {
    fail('instrument.unsupported', `ZIP entry ${entry.name} uses compression method ${entry.method}; only stored and deflate are supported.`);
  }
  if (entry.uncompressedSize > limits.maxEntryBytes) {
    fail('instrument.too_large', `ZIP entry ${entry.name} expands to ${entry.uncompressedSize} bytes; the limit is ${limits.maxEntryBytes}.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = entry.localHeaderOffset;
  if (header + 30 > bytes.length) fail('instrument.truncated', `ZIP entry ${entry.name} starts beyond the end of the archive.`);
  if (view.getUint32(header, true) !== LOCAL_FILE_HEADER) fail('instrument.corrupt', `ZIP entry ${entry.name} has no local file header.`);
  const dataStart = header + 30 + view.getUint16(header + 26, true) + view.getUint16(header + 28, true);
  const dataEnd = dataStart + entry.compressedSize;
  if (dataEnd > bytes.length) fail('instrument.truncated', `ZIP entry ${entry.name} is cut off.`);
  const compressed = bytes.subarray(dataStart, dataEnd);

  let content: Uint8Array = compressed;
  if (entry.method === METHOD_DEFLATE) {
    try {
      // +1 so that content longer than declared is detected rather than silently cut.
      content = inflateRawSync(compressed, { maxOutputLength: Math.max(1, entry.uncompressedSize + 1) });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (isOutputLimitError(error)) fail('instrument.corrupt', `ZIP entry ${entry.name} inflates beyond its declared size.`);
      fail(/unexpected end/i.test(message) ? 'instrument.truncated' : 'instrument.corrupt', `ZIP entry ${entry.name} cannot be inflated: ${message}`);
    }
  }
  if (content.length !== entry.uncompressedSize) {
    fail('instrument.corrupt', `ZIP entry ${entry.name} is ${content.length} bytes, not the ${entry.uncompressedSize} declared.`);
  }
  if (crc32(content) !== entry.crc32) fail('instrument.corrupt', `ZIP entry ${entry.name} fails its CRC-32 check.`);
  return content;
}

/** The first bytes of an entry's content, for format detection; null if unreadable. */
export function peekZipEntry(bytes: Uint8Array, entry: ZipEntry, compressedPrefix = 4096): Uint8Array | null {
  try {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const header = entry.localHeaderOffset;
    if (header + 30 > bytes.length || view.getUint32(header, true) !== LOCAL_FILE_HEADER) return null;
    const dataStart = header + 30 + view.getUint16(header + 26, true) + view.getUint16(header + 28, true);
    const prefix = bytes.subarray(dataStart, Math.min(bytes.length, dataStart + entry.compressedSize, dataStart + compressedPrefix));
    if (entry.method === METHOD_STORED) return prefix;
    if (entry.method !== METHOD_DEFLATE) return null;
    return inflateRawSync(prefix, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 1 << 20 });
  } catch {
    return null;
  }
}

let crcTable: Uint32Array | null = null;

export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
