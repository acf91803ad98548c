import { InstrumentFileError, guardParser } from './errors.js';
import { prepareInput, type ParseLimits } from './input.js';
import { checkSegment, integerKeyword, readFcsHeader, readFcsText, type FcsSegment, type FcsText } from './fcs-segments.js';
import {
  buildLayout, readByteOrder, readDataType, readMode, readParameters, resolveEventCount,
  type FcsByteOrder, type FcsDataLayout, type FcsDataType, type FcsParameter,
} from './fcs-layout.js';

export type { FcsParameter, FcsDataType, FcsByteOrder } from './fcs-layout.js';
export type { FcsSegment } from './fcs-segments.js';

export interface FcsChannelOptions {
  /**
   * 'raw' (default): the stored values (integer bit-masked per $PnR; floats as written).
   * 'linear': integer channels converted to linear scale per the spec — log-amplified
   * ($PnE f1>0) as f2·10^(f1·x/$PnR), otherwise divided by $PnG; float channels unchanged.
   */
  scale?: 'raw' | 'linear';
}

/** Parsed FCS metadata with lazy, columnar access to the event data. */
export interface FcsFile {
  version: string;
  /** All TEXT (and supplemental TEXT) keywords, upper-cased, values trimmed. */
  keywords: Readonly<Record<string, string>>;
  parameters: readonly FcsParameter[];
  eventCount: number;
  dataType: FcsDataType;
  byteOrder: FcsByteOrder;
  segments: { text: FcsSegment; data: FcsSegment; analysis: FcsSegment | null; supplementalText: FcsSegment | null };
  /** Things that were tolerated (duplicate keywords, padding, extra data sets). */
  warnings: readonly string[];
  /** 0-based position of a parameter given its $PnN / $PnS (case-insensitive) or its 1-based number. */
  parameterIndex(channel: string | number): number;
  /** One parameter's values for every event, decoded on demand into a new array. */
  channel(channel: string | number, options?: FcsChannelOptions): Float64Array;
  /** Percentage (0–100) of events whose value on `channel` is strictly above `threshold`. */
  percentAbove(channel: string | number, threshold: number, options?: FcsChannelOptions): number;
}

/**
 * Parses HEADER and TEXT and validates the DATA segment against them. Event values are not
 * touched until a channel is requested, so the cost of parsing is independent of file size.
 */
export function parseFcs(input: Uint8Array, limits?: ParseLimits): FcsFile {
  return guardParser('fcs', () => {
    const bytes = prepareInput(input, limits, 'fcs');
    const header = readFcsHeader(bytes);
    const text = readFcsText(bytes, header.text);
    const supplementalText = readSupplementalText(bytes, text);
    const { keywords, warnings } = text;

    readMode(keywords);
    const dataType = readDataType(keywords);
    const parameters = readParameters(keywords, dataType);
    const byteOrder = readByteOrder(keywords, parameters);
    const layout = buildLayout(parameters, dataType, byteOrder);
    const data = resolveDataSegment(header.data, keywords, bytes.length, warnings);
    const eventCount = resolveEventCount(keywords, data, layout, bytes.length, warnings);
    if (eventCount > 0 && data.begin < 58) {
      throw new InstrumentFileError('instrument.corrupt', `DATA cannot start at byte ${data.begin}, inside the HEADER.`, { section: 'DATA', byteOffset: data.begin }, 'fcs');
    }
    if ((optionalInteger(keywords, '$NEXTDATA') ?? 0) > 0) warnings.push('The file holds further data sets ($NEXTDATA); only the first was read.');

    const dataBytes = bytes.subarray(data.begin, data.begin + eventCount * layout.bytesPerEvent);
    const parameterIndex = (channel: string | number): number => findParameter(parameters, channel);
    const channel = (which: string | number, options?: FcsChannelOptions): Float64Array =>
      guardParser('fcs', () => {
        const index = parameterIndex(which);
        return decodeChannel(dataBytes, layout, parameters[index], index, eventCount, options);
      });
    const analysis = header.analysis.begin > 0 ? header.analysis : null;

    return {
      version: header.version,
      keywords,
      parameters,
      eventCount,
      dataType,
      byteOrder,
      segments: { text: header.text, data, analysis, supplementalText },
      warnings,
      parameterIndex: (which) => guardParser('fcs', () => parameterIndex(which)),
      channel,
      percentAbove: (which, threshold, options) => percentAbove(channel(which, options), threshold),
    };
  });
}

/** `% events above a threshold on a named channel`, matched by $PnN or $PnS. */
export function fcsPercentAbove(file: FcsFile, channel: string | number, threshold: number, options?: FcsChannelOptions): number {
  return file.percentAbove(channel, threshold, options);
}

function percentAbove(values: Float64Array, threshold: number): number {
  if (values.length === 0) return 0;
  let above = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > threshold) above++;
  return (above / values.length) * 100;
}

/** HEADER offsets win; zeros there (files > 99,999,999 bytes) defer to $BEGINDATA/$ENDDATA. */
function resolveDataSegment(fromHeader: FcsSegment, keywords: Record<string, string>, fileLength: number, warnings: string[]): FcsSegment {
  const begin = integerKeyword(keywords, '$BEGINDATA');
  const end = integerKeyword(keywords, '$ENDDATA');
  let data = fromHeader;
  if (fromHeader.begin === 0 && fromHeader.end === 0) {
    if (begin !== null && end !== null) data = { begin, end };
  } else if (begin !== null && end !== null && (begin !== fromHeader.begin || end !== fromHeader.end) && (begin || end)) {
    warnings.push(`HEADER DATA offsets ${fromHeader.begin}–${fromHeader.end} differ from $BEGINDATA/$ENDDATA ${begin}–${end}; the HEADER was used.`);
  }
  if (data.begin === 0 && data.end === 0) return data;
  checkSegment(data, fileLength, 'DATA', data === fromHeader ? 26 : '$BEGINDATA');
  return data;
}

/** Supplemental TEXT holds more keywords, but some writers point it at binary blobs: only real TEXT is read. */
function readSupplementalText(bytes: Uint8Array, text: FcsText): FcsSegment | null {
  const begin = optionalInteger(text.keywords, '$BEGINSTEXT') ?? 0;
  const end = optionalInteger(text.keywords, '$ENDSTEXT') ?? 0;
  if (begin === 0 && end === 0) return null;
  const segment = { begin, end };
  if (end < begin || end >= bytes.length) {
    text.warnings.push(`Supplemental TEXT ${begin}–${end} lies outside the file and was ignored.`);
    return null;
  }
  const delimiter = bytes[begin];
  if (delimiter < 0x21 || delimiter > 0x7e || /[A-Za-z0-9$]/.test(String.fromCharCode(delimiter))) {
    text.warnings.push(`Supplemental TEXT ${begin}–${end} does not start with a delimiter and was ignored.`);
    return null;
  }
  readFcsText(bytes, segment, text, 'supplemental TEXT');
  return segment;
}

/** For keywords that only add information: a malformed value is ignored rather than fatal. */
function optionalInteger(keywords: Record<string, string>, name: string): number | null {
  const value = Number(keywords[name]);
  return Number.isSafeInteger(value) && value >= 0 ? value : null;
}

function findParameter(parameters: readonly FcsParameter[], channel: string | number): number {
  if (typeof channel === 'number') {
    if (Number.isInteger(channel) && channel >= 1 && channel <= parameters.length) return channel - 1;
    throw new InstrumentFileError('instrument.unknown_channel', `There is no parameter number ${channel} (the file has ${parameters.length}).`, { section: 'TEXT' }, 'fcs');
  }
  const matchBy = (pick: (p: FcsParameter) => string | null, normalise: (s: string) => string): number[] =>
    parameters.flatMap((p, i) => (pick(p) !== null && normalise(pick(p) as string) === normalise(channel) ? [i] : []));
  const exact = (s: string): string => s;
  const loose = (s: string): string => s.trim().toLowerCase();
  // $PnN is the unique identifier; $PnS ("stain" names) may repeat, so it is only a fallback.
  for (const candidates of [
    matchBy((p) => p.shortName, exact), matchBy((p) => p.shortName, loose),
    matchBy((p) => p.longName, exact), matchBy((p) => p.longName, loose),
  ]) {
    if (candidates.length === 1) return candidates[0];
    if (candidates.length > 1) {
      throw new InstrumentFileError('instrument.unknown_channel', `Channel "${channel}" matches ${candidates.length} parameters; use $PnN or the parameter number.`, { section: 'TEXT' }, 'fcs');
    }
  }
  throw new InstrumentFileError('instrument.unknown_channel', `No parameter is named "${channel}" ($PnN or $PnS).`, { section: 'TEXT' }, 'fcs');
}

/**
 * Strided read of one parameter straight from the DATA bytes: one typed output array, no
 * per-event objects. DataView handles any alignment and either byte order.
 */
function decodeChannel(
  data: Uint8Array, layout: FcsDataLayout, parameter: FcsParameter, index: number, eventCount: number, options?: FcsChannelOptions,
): Float64Array {
  const out = new Float64Array(eventCount);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const little = layout.byteOrder === 'little';
  const stride = layout.bytesPerEvent;
  const mask = layout.masks[index];
  let position = layout.offsets[index];
  const kind = `${layout.dataType}${parameter.bits}`;
  if (readAlignedFloats(data, layout, kind, position, eventCount, out)) {
    return out;
  }
  switch (kind) {
    case 'F32':
      for (let e = 0; e < eventCount; e++, position += stride) out[e] = view.getFloat32(position, little);
      break;
    case 'D64':
      for (let e = 0; e < eventCount; e++, position += stride) out[e] = view.getFloat64(position, little);
      break;
    case 'I8':
      for (let e = 0; e < eventCount; e++, position += stride) out[e] = view.getUint8(position) & (mask ?? 0xff);
      break;
    case 'I16':
      for (let e = 0; e < eventCount; e++, position += stride) out[e] = view.getUint16(position, little) & (mask ?? 0xffff);
      break;
    case 'I32':
      for (let e = 0; e < eventCount; e++, position += stride) out[e] = mask === null ? view.getUint32(position, little) : (view.getUint32(position, little) & mask) >>> 0;
      break;
    case 'I64': {
      const bigMask = mask === null ? null : BigInt(mask);
      for (let e = 0; e < eventCount; e++, position += stride) {
        const value = view.getBigUint64(position, little);
        out[e] = Number(bigMask === null ? value : value & bigMask);
      }
      break;
    }
    default:
      throw new InstrumentFileError('instrument.unsupported', `Cannot decode ${parameter.bits}-bit ${layout.dataType} data.`, { keyword: `$P${parameter.index}B` }, 'fcs');
  }
  if (options?.scale === 'linear' && layout.dataType === 'I') toLinearScale(out, parameter);
  return out;
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Fast path for the common float layout: when the data is in host byte order and the segment is
 * aligned, a typed-array view reads ~30% faster than DataView. Returns false when not applicable.
 */
function readAlignedFloats(data: Uint8Array, layout: FcsDataLayout, kind: string, first: number, eventCount: number, out: Float64Array): boolean {
  const width = kind === 'F32' ? 4 : kind === 'D64' ? 8 : 0;
  if (width === 0 || (layout.byteOrder === 'little') !== HOST_IS_LITTLE_ENDIAN) return false;
  if ((data.byteOffset % width) !== 0 || layout.bytesPerEvent % width !== 0 || first % width !== 0) return false;
  const values = width === 4
    ? new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4)
    : new Float64Array(data.buffer, data.byteOffset, data.byteLength / 8);
  const stride = layout.bytesPerEvent / width;
  for (let e = 0, at = first / width; e < eventCount; e++, at += stride) out[e] = values[at];
  return true;
}

function toLinearScale(values: Float64Array, parameter: FcsParameter): void {
  const [decades, offset] = parameter.amplification;
  if (decades > 0 && parameter.range) {
    // Spec: f2 = 0 with f1 > 0 is written by some instruments and is read as 1.
    const base = offset === 0 ? 1 : offset;
    const perChannel = decades / parameter.range;
    for (let i = 0; i < values.length; i++) values[i] = base * 10 ** (values[i] * perChannel);
  } else if (parameter.gain) {
    for (let i = 0; i < values.length; i++) values[i] /= parameter.gain;
  }
}
