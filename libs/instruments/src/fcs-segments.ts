import { InstrumentFileError, type InstrumentErrorCode } from './errors.js';
import { asciiAt } from './input.js';

/** Inclusive byte range, as FCS declares segments (end is the offset of the last byte). */
export interface FcsSegment {
  begin: number;
  end: number;
}

export interface FcsHeader {
  version: string;
  text: FcsSegment;
  /** From the HEADER; {0,0} means "see $BEGINDATA/$ENDDATA" (large files, FCS 3.x). */
  data: FcsSegment;
  analysis: FcsSegment;
}

export const SUPPORTED_FCS_VERSIONS = ['FCS2.0', 'FCS3.0', 'FCS3.1', 'FCS3.2'] as const;
const HEADER_LENGTH = 58;

function fail(code: InstrumentErrorCode, message: string, where: InstrumentFileError['where']): never {
  throw new InstrumentFileError(code, message, where, 'fcs');
}

/** HEADER: "FCSx.y", four spaces, then six right-aligned ASCII offsets of 8 bytes each. */
export function readFcsHeader(bytes: Uint8Array): FcsHeader {
  if (asciiAt(bytes, 0, 3) !== 'FCS') {
    fail('instrument.unrecognised_format', 'Not an FCS file: it does not start with "FCS".', { byteOffset: 0 });
  }
  if (bytes.length < HEADER_LENGTH) {
    fail('instrument.truncated', `The file is ${bytes.length} bytes, shorter than the 58-byte FCS HEADER.`, { byteOffset: bytes.length, section: 'HEADER' });
  }
  const version = asciiAt(bytes, 0, 6);
  if (!/^FCS\d\.\d$/.test(version)) {
    fail('instrument.corrupt', `The HEADER version "${version}" is not of the form FCSx.y.`, { byteOffset: 0, section: 'HEADER' });
  }
  if (!(SUPPORTED_FCS_VERSIONS as readonly string[]).includes(version)) {
    fail('instrument.unsupported', `FCS version ${version.slice(3)} is not supported (2.0, 3.0, 3.1, 3.2 are).`, { byteOffset: 0, section: 'HEADER' });
  }
  const offsets: number[] = [];
  for (let field = 0; field < 6; field++) {
    const at = 10 + field * 8;
    const raw = asciiAt(bytes, at, 8).trim();
    if (raw !== '' && !/^\d+$/.test(raw)) {
      fail('instrument.corrupt', `HEADER offset field ${field + 1} is not a number: "${raw}".`, { byteOffset: at, section: 'HEADER' });
    }
    offsets.push(raw === '' ? 0 : Number(raw));
  }
  const header: FcsHeader = {
    version,
    text: { begin: offsets[0], end: offsets[1] },
    data: { begin: offsets[2], end: offsets[3] },
    analysis: { begin: offsets[4], end: offsets[5] },
  };
  checkSegment(header.text, bytes.length, 'TEXT', 10);
  if (header.text.begin < HEADER_LENGTH) {
    fail('instrument.corrupt', `The TEXT segment must start after the HEADER, not at byte ${header.text.begin}.`, { byteOffset: 10, section: 'HEADER' });
  }
  return header;
}

/** A declared segment must be ordered and inside the file; `where` points at its declaration. */
export function checkSegment(segment: FcsSegment, fileLength: number, name: string, declaredAt: number | string): void {
  const where = typeof declaredAt === 'number' ? { byteOffset: declaredAt, section: name } : { keyword: declaredAt, section: name };
  if (segment.end < segment.begin) {
    fail('instrument.corrupt', `The ${name} segment ends (${segment.end}) before it begins (${segment.begin}).`, where);
  }
  if (segment.begin >= fileLength || segment.end >= fileLength + 1) {
    fail('instrument.truncated', `The ${name} segment is declared at bytes ${segment.begin}–${segment.end} but the file has only ${fileLength} bytes.`, where);
  }
}

export interface FcsText {
  keywords: Record<string, string>;
  warnings: string[];
}

/**
 * TEXT: the first byte is the delimiter; keywords and values alternate between delimiters; a
 * doubled delimiter inside a keyword or value stands for one literal delimiter (so values are
 * never empty). Keywords are case-insensitive and stored upper-case; values are trimmed.
 */
export function readFcsText(bytes: Uint8Array, segment: FcsSegment, into: FcsText = { keywords: {}, warnings: [] }, label = 'TEXT'): FcsText {
  const delimiter = bytes[segment.begin];
  if (delimiter === undefined || delimiter === 0x20 || delimiter === 0) {
    fail('instrument.corrupt', `The ${label} segment does not start with a delimiter character.`, { byteOffset: segment.begin, section: label });
  }
  const last = Math.min(segment.end, bytes.length - 1);
  const tokens: string[] = [];
  let chunk: number[] = [];
  let position = segment.begin + 1;
  while (position <= last) {
    const byte = bytes[position];
    if (byte === delimiter) {
      if (position < last && bytes[position + 1] === delimiter) {
        chunk.push(delimiter);
        position += 2;
        continue;
      }
      tokens.push(decodeToken(chunk));
      chunk = [];
    } else {
      chunk.push(byte);
    }
    position++;
  }
  // Bytes after the final delimiter are padding unless they hold text (a writer that left the
  // closing delimiter off the last value).
  const tail = decodeToken(chunk);
  if (tail.trim() !== '') tokens.push(tail);
  if (tokens.length % 2 !== 0) {
    into.warnings.push(`${label}: keyword "${tokens[tokens.length - 1]}" has no value and was ignored.`);
    tokens.pop();
  }
  for (let i = 0; i < tokens.length; i += 2) {
    const keyword = tokens[i].trim().toUpperCase();
    if (keyword === '') continue;
    if (keyword in into.keywords) {
      into.warnings.push(`${label}: keyword ${keyword} appears more than once; the first value was kept.`);
      continue;
    }
    into.keywords[keyword] = tokens[i + 1].trim();
  }
  return into;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('windows-1252');

/** FCS 3.1 TEXT is UTF-8; older writers used an 8-bit code page, so fall back rather than fail. */
function decodeToken(chunk: number[]): string {
  const bytes = Uint8Array.from(chunk);
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}

/** Non-negative integer keyword, or null if absent. Malformed values are a typed error. */
export function integerKeyword(keywords: Record<string, string>, name: string): number | null {
  const raw = keywords[name];
  if (raw === undefined || raw === '') return null;
  if (!/^\d+$/.test(raw)) {
    fail('instrument.corrupt', `Keyword ${name} must be a non-negative integer, found "${raw}".`, { keyword: name, section: 'TEXT' });
  }
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) {
    fail('instrument.too_large', `Keyword ${name} declares an impossibly large value (${raw}).`, { keyword: name, section: 'TEXT' });
  }
  return value;
}
