/** One parameter of a generated file. */
export interface FcsBuildParameter {
  /** $PnN. */
  shortName: string;
  /** $PnS (optional). */
  name?: string;
  /** $PnB; defaults to 32 for F, 64 for D, 16 for I. */
  bits?: number;
  /** $PnR; defaults to 262144 (float) or 2^bits (integer). */
  range?: number;
}

export interface FcsBuildInput {
  version?: 'FCS3.0' | 'FCS3.1';
  /** Default 'F'. */
  datatype?: 'F' | 'D' | 'I';
  /** Default 'little' ($BYTEORD 1,2,3,4). */
  byteOrder?: 'little' | 'big';
  parameters: FcsBuildParameter[];
  /** Event-major values: events[e * parameters.length + p]. */
  events: ArrayLike<number>;
  /** Extra TEXT keywords (values must be non-empty). */
  keywords?: Record<string, string>;
  /** TEXT delimiter, default "/" (doubled inside values, as the spec requires). */
  delimiter?: string;
}

const HEADER_LENGTH = 58;
const TEXT_BEGIN = HEADER_LENGTH;
/** Fixed-width offsets let TEXT be written once: its length cannot depend on the numbers in it. */
const OFFSET_DIGITS = 20;

/**
 * Writes a spec-conformant list-mode FCS 3.0/3.1 file in memory (for tests and benchmarks).
 * Offsets that do not fit the 8-digit HEADER fields are written as 0 there, per the spec, and
 * given only in $BEGINDATA/$ENDDATA.
 */
export function buildFcs(input: FcsBuildInput): Buffer {
  const datatype = input.datatype ?? 'F';
  const little = (input.byteOrder ?? 'little') === 'little';
  const delimiter = input.delimiter ?? '/';
  const parameterCount = input.parameters.length;
  if (delimiter.length !== 1) throw new RangeError('The TEXT delimiter must be one character.');
  if (parameterCount === 0 || input.events.length % parameterCount !== 0) {
    throw new RangeError('events.length must be a multiple of the number of parameters (event-major layout).');
  }
  const eventCount = input.events.length / parameterCount;
  const bits = input.parameters.map((p) => p.bits ?? (datatype === 'F' ? 32 : datatype === 'D' ? 64 : 16));
  bits.forEach((b) => {
    const ok = datatype === 'F' ? b === 32 : datatype === 'D' ? b === 64 : [8, 16, 32].includes(b);
    if (!ok) throw new RangeError(`$PnB ${b} is not valid for $DATATYPE ${datatype}.`);
  });
  const bytesPerEvent = bits.reduce((sum, b) => sum + b / 8, 0);
  const dataLength = eventCount * bytesPerEvent;

  const keywords: [string, string][] = [
    ['$BYTEORD', little ? '1,2,3,4' : '4,3,2,1'],
    ['$DATATYPE', datatype],
    ['$MODE', 'L'],
    ['$NEXTDATA', '0'],
    ['$PAR', String(parameterCount)],
    ['$TOT', String(eventCount)],
    ['$BEGINANALYSIS', '0'],
    ['$ENDANALYSIS', '0'],
    ['$BEGINSTEXT', '0'],
    ['$ENDSTEXT', '0'],
    ['$BEGINDATA', '0'.repeat(OFFSET_DIGITS)],
    ['$ENDDATA', '0'.repeat(OFFSET_DIGITS)],
  ];
  input.parameters.forEach((p, i) => {
    const n = i + 1;
    keywords.push([`$P${n}N`, p.shortName], [`$P${n}B`, String(bits[i])], [`$P${n}E`, '0,0']);
    keywords.push([`$P${n}R`, String(p.range ?? (datatype === 'I' ? 2 ** bits[i] : 262144))]);
    if (p.name) keywords.push([`$P${n}S`, p.name]);
  });
  for (const [key, value] of Object.entries(input.keywords ?? {})) keywords.push([key, value]);

  const escape = (s: string): string => {
    if (s === '') throw new RangeError('FCS keyword values cannot be empty.');
    return s.split(delimiter).join(delimiter + delimiter);
  };
  const textTemplate = delimiter + keywords.map(([k, v]) => `${escape(k)}${delimiter}${escape(v)}${delimiter}`).join('');
  const textLength = Buffer.byteLength(textTemplate, 'utf8');
  const textEnd = TEXT_BEGIN + textLength - 1;
  // DATA starts on an 8-byte boundary (the gap belongs to no segment, which the spec allows) so
  // readers can use aligned typed-array views. An empty DATA segment is declared as 0,0.
  const alignedDataStart = Math.ceil((textEnd + 1) / 8) * 8;
  const dataBegin = dataLength === 0 ? 0 : alignedDataStart;
  const dataEnd = dataLength === 0 ? 0 : dataBegin + dataLength - 1;
  const pad = (n: number): string => String(n).padStart(OFFSET_DIGITS, '0');
  const text = textTemplate
    .replace(`$BEGINDATA${delimiter}${'0'.repeat(OFFSET_DIGITS)}`, `$BEGINDATA${delimiter}${pad(dataBegin)}`)
    .replace(`$ENDDATA${delimiter}${'0'.repeat(OFFSET_DIGITS)}`, `$ENDDATA${delimiter}${pad(dataEnd)}`);

  const out = Buffer.alloc(alignedDataStart + dataLength);
  const fits = dataEnd <= 99_999_999;
  const field = (n: number): string => String(n).padStart(8, ' ');
  out.write(
    (input.version ?? 'FCS3.1') + '    ' + field(TEXT_BEGIN) + field(textEnd) +
      field(fits ? dataBegin : 0) + field(fits ? dataEnd : 0) + field(0) + field(0),
    0, 'latin1',
  );
  out.write(text, TEXT_BEGIN, 'utf8');
  writeEvents(out, alignedDataStart, input.events, bits, datatype, little, eventCount);
  return out;
}

function writeEvents(
  out: Buffer, dataBegin: number, events: ArrayLike<number>, bits: number[], datatype: 'F' | 'D' | 'I', little: boolean, eventCount: number,
): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const parameterCount = bits.length;
  let position = dataBegin;
  for (let e = 0; e < eventCount; e++) {
    for (let p = 0; p < parameterCount; p++) {
      const value = events[e * parameterCount + p];
      if (datatype === 'F') view.setFloat32(position, value, little);
      else if (datatype === 'D') view.setFloat64(position, value, little);
      else if (bits[p] === 8) view.setUint8(position, value);
      else if (bits[p] === 16) view.setUint16(position, value, little);
      else view.setUint32(position, value, little);
      position += bits[p] / 8;
    }
  }
}
