/**
 * The one error type the instrument parsers throw. An API can turn it into a 422 that says
 * what is wrong (`code`, `message`) and where (`where`), without knowing any file format.
 */
export type InstrumentErrorCode =
  /** The bytes are not any format we know (or not the one that was asked for). */
  | 'instrument.unrecognised_format'
  /** The file ends before a structure it declares (segment, record, element) is complete. */
  | 'instrument.truncated'
  /** The file is internally inconsistent or malformed. */
  | 'instrument.corrupt'
  /** The input, or something it would expand to, is larger than the configured limit. */
  | 'instrument.too_large'
  /** A valid file using a feature we deliberately do not implement. */
  | 'instrument.unsupported'
  /** Well-formed, but the content we extract (results, samples, the XML document) is absent. */
  | 'instrument.missing_content'
  /** A caller asked for a channel/parameter the file does not have (or has more than once). */
  | 'instrument.unknown_channel';

/** Where in the input the problem is; only the fields that make sense for the format are set. */
export interface InstrumentErrorLocation {
  byteOffset?: number;
  line?: number;
  column?: number;
  section?: string;
  keyword?: string;
  zipEntry?: string;
}

export type InstrumentFormat = 'nanosight-nta' | 'fcs' | 'rdml' | 'agilent-xml';

export class InstrumentFileError extends Error {
  constructor(
    readonly code: InstrumentErrorCode,
    message: string,
    readonly where: InstrumentErrorLocation = {},
    readonly format?: InstrumentFormat,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'InstrumentFileError';
  }

  /** Plain shape for an HTTP problem body or a log line. */
  toJSON(): { code: InstrumentErrorCode; message: string; where: InstrumentErrorLocation; format?: InstrumentFormat } {
    return { code: this.code, message: this.message, where: this.where, ...(this.format ? { format: this.format } : {}) };
  }
}

/**
 * Runs a parser body so that nothing but InstrumentFileError escapes: a bug or an exotic input
 * that trips an unexpected exception must still reach the caller as a typed refusal.
 */
export function guardParser<T>(format: InstrumentFormat | undefined, body: () => T): T {
  try {
    return body();
  } catch (error) {
    throw asInstrumentError(error, format);
  }
}

export function asInstrumentError(error: unknown, format?: InstrumentFormat): InstrumentFileError {
  if (error instanceof InstrumentFileError) {
    if (error.format || !format) return error;
    return new InstrumentFileError(error.code, error.message, error.where, format, { cause: error.cause });
  }
  // Allocation failures and zlib's output cap surface as RangeError: both mean "too big".
  if (error instanceof Error && error.name === 'RangeError' && /buffer|memory|allocation|array length/i.test(error.message)) {
    return new InstrumentFileError('instrument.too_large', `Input too large to process: ${error.message}`, {}, format, { cause: error });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new InstrumentFileError('instrument.corrupt', `The file could not be parsed: ${detail}`, {}, format, { cause: error });
}
