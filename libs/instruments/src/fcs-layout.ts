import { InstrumentFileError } from './errors.js';
import { integerKeyword, type FcsSegment } from './fcs-segments.js';

export type FcsDataType = 'I' | 'F' | 'D';
export type FcsByteOrder = 'little' | 'big';

export interface FcsParameter {
  /** 1-based parameter number n, as in $PnN. */
  index: number;
  /** $PnN, the spec's "short name": the channel identifier (e.g. "FSC-A"). */
  shortName: string;
  /** $PnS if present, else $PnN. */
  name: string;
  /** Display label: "FL2 (CD63-PE)" when $PnS adds information, else $PnN. */
  label: string;
  /** $PnS as written, or null. */
  longName: string | null;
  /** $PnB. */
  bits: number;
  /** $PnR, or null if absent/unparseable. */
  range: number | null;
  /** $PnE decoded as [decades, offset], [0, 0] when linear or absent. */
  amplification: [number, number];
  /** $PnG, or null. */
  gain: number | null;
}

/** Where each parameter's bytes sit inside an event and how to read them. */
export interface FcsDataLayout {
  dataType: FcsDataType;
  byteOrder: FcsByteOrder;
  bytesPerEvent: number;
  /** Byte offset of each parameter inside one event. */
  offsets: number[];
  /** Bit mask for integer data derived from $PnR (spec 3.1), or null for no masking. */
  masks: (number | null)[];
}

/** Generous ceiling: real instruments have < 1000 parameters; it bounds TEXT-driven loops. */
export const MAX_FCS_PARAMETERS = 10_000;

function fail(code: 'instrument.corrupt' | 'instrument.unsupported' | 'instrument.too_large', message: string, keyword?: string): never {
  throw new InstrumentFileError(code, message, keyword ? { keyword, section: 'TEXT' } : { section: 'TEXT' }, 'fcs');
}

export function readParameters(keywords: Record<string, string>, dataType: FcsDataType): FcsParameter[] {
  const count = integerKeyword(keywords, '$PAR');
  if (count === null) fail('instrument.corrupt', 'Required keyword $PAR (number of parameters) is missing.', '$PAR');
  if (count > MAX_FCS_PARAMETERS) fail('instrument.too_large', `$PAR declares ${count} parameters; at most ${MAX_FCS_PARAMETERS} are accepted.`, '$PAR');
  const parameters: FcsParameter[] = [];
  for (let n = 1; n <= count; n++) {
    const bitsText = keywords[`$P${n}B`];
    if (bitsText === undefined) fail('instrument.corrupt', `Required keyword $P${n}B (bits of parameter ${n}) is missing.`, `$P${n}B`);
    const bits = Number(bitsText);
    const allowed = dataType === 'F' ? [32] : dataType === 'D' ? [64] : [8, 16, 32, 64];
    if (!allowed.includes(bits)) {
      fail('instrument.unsupported', `$P${n}B is "${bitsText}"; with $DATATYPE ${dataType} only ${allowed.join('/')} bits are supported.`, `$P${n}B`);
    }
    const shortName = keywords[`$P${n}N`] || `P${n}`;
    const longName = keywords[`$P${n}S`] || null;
    const range = Number(keywords[`$P${n}R`]);
    const gain = Number(keywords[`$P${n}G`]);
    parameters.push({
      index: n,
      shortName,
      name: longName ?? shortName,
      label: longName && longName !== shortName ? `${shortName} (${longName})` : shortName,
      longName,
      bits,
      range: Number.isFinite(range) && range > 0 ? range : null,
      amplification: parseAmplification(keywords[`$P${n}E`]),
      gain: Number.isFinite(gain) && gain > 0 ? gain : null,
    });
  }
  return parameters;
}

function parseAmplification(raw: string | undefined): [number, number] {
  const [decades, offset] = (raw ?? '').split(',').map((part) => Number(part.trim()));
  return Number.isFinite(decades) && Number.isFinite(offset) && decades > 0 ? [decades, offset] : [0, 0];
}

export function readDataType(keywords: Record<string, string>): FcsDataType {
  const raw = (keywords.$DATATYPE ?? '').toUpperCase();
  if (raw === 'I' || raw === 'F' || raw === 'D') return raw;
  if (raw === '') fail('instrument.corrupt', 'Required keyword $DATATYPE is missing.', '$DATATYPE');
  return fail('instrument.unsupported', `$DATATYPE "${raw}" is not supported (I, F and D are; ASCII data is not).`, '$DATATYPE');
}

export function readMode(keywords: Record<string, string>): void {
  const mode = (keywords.$MODE ?? 'L').toUpperCase();
  if (mode !== 'L') fail('instrument.unsupported', `$MODE "${mode}" is not supported; only list mode (L) is.`, '$MODE');
}

/** $BYTEORD: 1,2,3,4 is little-endian and 4,3,2,1 big-endian; the mixed orders of FCS 2.0 are refused. */
export function readByteOrder(keywords: Record<string, string>, parameters: FcsParameter[]): FcsByteOrder {
  const raw = (keywords.$BYTEORD ?? '').replace(/\s+/g, '');
  if (/^1(,2(,3(,4(,5,6,7,8)?)?)?)?$/.test(raw)) return 'little';
  if (/^((((8,7,6,5,)?4,)?3,)?2,)?1$/.test(raw)) return 'big';
  if (parameters.every((parameter) => parameter.bits === 8)) return 'little';
  if (raw === '') fail('instrument.corrupt', 'Required keyword $BYTEORD is missing.', '$BYTEORD');
  return fail('instrument.unsupported', `$BYTEORD "${raw}" is not supported (1,2,3,4 and 4,3,2,1 are).`, '$BYTEORD');
}

/**
 * FCS 3.1: for integer data "the bit mask is 2^n − 1 where n is the smallest integer such that
 * 2^n ≥ $PnR"; unused high bits may carry flags and must be ignored.
 */
function maskFor(parameter: FcsParameter, dataType: FcsDataType): number | null {
  if (dataType !== 'I' || parameter.range === null) return null;
  const usefulBits = Math.ceil(Math.log2(parameter.range));
  if (usefulBits <= 0 || usefulBits >= parameter.bits) return null;
  return 2 ** usefulBits - 1;
}

export function buildLayout(parameters: FcsParameter[], dataType: FcsDataType, byteOrder: FcsByteOrder): FcsDataLayout {
  const offsets: number[] = [];
  let bytesPerEvent = 0;
  for (const parameter of parameters) {
    offsets.push(bytesPerEvent);
    bytesPerEvent += parameter.bits / 8;
  }
  return { dataType, byteOrder, bytesPerEvent, offsets, masks: parameters.map((p) => maskFor(p, dataType)) };
}

/**
 * Reconciles $TOT with the DATA segment before anything is allocated. ENDDATA is the offset of
 * the last byte, but some writers store one past it, so one extra byte is accepted; fewer spare
 * bytes than one event are padding (warned); anything else means $TOT and the data disagree.
 */
export function resolveEventCount(
  keywords: Record<string, string>, data: FcsSegment, layout: FcsDataLayout, fileLength: number, warnings: string[],
): number {
  const declaredLength = data.begin === 0 && data.end === 0 ? 0 : data.end - data.begin + 1;
  const total = integerKeyword(keywords, '$TOT');
  const eventSize = layout.bytesPerEvent;
  if (eventSize === 0) {
    if (total) fail('instrument.corrupt', `$TOT is ${total} but there are no parameters to hold events.`, '$TOT');
    return 0;
  }
  const events = total ?? Math.floor(declaredLength / eventSize);
  if (total === null) warnings.push('$TOT is missing; the event count was derived from the DATA segment length.');
  const needed = events * eventSize;
  if (data.begin + needed > fileLength) {
    throw new InstrumentFileError(
      'instrument.truncated',
      `$TOT × event size needs ${needed} bytes of DATA from byte ${data.begin}, but the file ends at byte ${fileLength}.`,
      { byteOffset: fileLength, section: 'DATA' }, 'fcs',
    );
  }
  const spare = declaredLength - needed;
  // One spare byte is the one-past-the-end ENDDATA convention, even for 1-byte events.
  if (spare < 0 || (spare >= eventSize && spare > 1)) {
    throw new InstrumentFileError(
      'instrument.corrupt',
      `The DATA segment holds ${declaredLength} bytes but $TOT (${events}) × ${eventSize} bytes per event is ${needed}.`,
      { byteOffset: data.begin, section: 'DATA', keyword: '$TOT' }, 'fcs',
    );
  }
  if (spare > 1) warnings.push(`The DATA segment has ${spare} bytes beyond the declared events; they were ignored.`);
  return events;
}
