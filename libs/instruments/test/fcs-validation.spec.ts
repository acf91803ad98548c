import { parseFcs } from '../src/index.js';
import { captureInstrumentError } from './helpers.js';

/**
 * Hand-assembled FCS file (independent of buildFcs) so each test can break one rule.
 * DATA follows TEXT directly; `endDelta` shifts the declared ENDDATA, `trailing` appends bytes.
 */
function rawFcs(options: {
  version?: string;
  keywords: Record<string, string>;
  data: Buffer;
  endDelta?: number;
  trailing?: number;
  dataOffsetsInHeader?: boolean;
}): Buffer {
  const width = 10;
  const placeholder = '0'.repeat(width);
  const entries = { ...options.keywords, $BEGINDATA: placeholder, $ENDDATA: placeholder };
  let text = '|' + Object.entries(entries).map(([k, v]) => `${k}|${v}|`).join('');
  const textEnd = 58 + Buffer.byteLength(text) - 1;
  const begin = textEnd + 1;
  const end = begin + options.data.length - 1 + (options.endDelta ?? 0);
  text = text.replace(`$BEGINDATA|${placeholder}`, `$BEGINDATA|${String(begin).padStart(width, '0')}`)
    .replace(`$ENDDATA|${placeholder}`, `$ENDDATA|${String(end).padStart(width, '0')}`);
  const inHeader = options.dataOffsetsInHeader ?? true;
  const field = (n: number): string => String(n).padStart(8, ' ');
  const header = (options.version ?? 'FCS3.1') + '    ' + field(58) + field(textEnd) + field(inHeader ? begin : 0) + field(inHeader ? end : 0) + field(0) + field(0);
  return Buffer.concat([Buffer.from(header + text, 'latin1'), options.data, Buffer.alloc(options.trailing ?? 0)]);
}

const TWO_FLOAT_PARAMETERS = {
  $BYTEORD: '1,2,3,4', $DATATYPE: 'F', $MODE: 'L', $PAR: '2', $TOT: '3',
  $P1N: 'A', $P1B: '32', $P1R: '1024', $P2N: 'B', $P2B: '32', $P2R: '1024',
};
function floats(values: number[]): Buffer {
  const buffer = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buffer.writeFloatLE(v, i * 4));
  return buffer;
}
const SIX_FLOATS = floats([1, 2, 3, 4, 5, 6]);

describe('FCS validation', () => {
  it('accepts a well-formed file, an ENDDATA one past the end, and sub-event padding (with a warning)', () => {
    expect(Array.from(parseFcs(rawFcs({ keywords: TWO_FLOAT_PARAMETERS, data: SIX_FLOATS })).channel('B'))).toEqual([2, 4, 6]);
    const offByOne = parseFcs(rawFcs({ keywords: TWO_FLOAT_PARAMETERS, data: SIX_FLOATS, endDelta: 1, trailing: 1 }));
    expect(offByOne.warnings).toEqual([]);
    expect(Array.from(offByOne.channel('A'))).toEqual([1, 3, 5]);
    const padded = parseFcs(rawFcs({ keywords: TWO_FLOAT_PARAMETERS, data: SIX_FLOATS, endDelta: 4, trailing: 4 }));
    expect(padded.eventCount).toBe(3);
    expect(padded.warnings.join(' ')).toMatch(/4 bytes beyond/);
  });

  it('reads DATA offsets from TEXT when the HEADER holds zeros', () => {
    const file = parseFcs(rawFcs({ keywords: TWO_FLOAT_PARAMETERS, data: SIX_FLOATS, dataOffsetsInHeader: false }));
    expect(Array.from(file.channel(2))).toEqual([2, 4, 6]);
  });

  it('refuses $TOT × event size that disagrees with the DATA segment', () => {
    const tooFew = captureInstrumentError(() => parseFcs(rawFcs({ keywords: { ...TWO_FLOAT_PARAMETERS, $TOT: '2' }, data: SIX_FLOATS })));
    expect(tooFew.code).toBe('instrument.corrupt');
    expect(tooFew.where).toMatchObject({ section: 'DATA', keyword: '$TOT' });
    const tooMany = captureInstrumentError(() => parseFcs(rawFcs({ keywords: { ...TWO_FLOAT_PARAMETERS, $TOT: '4' }, data: SIX_FLOATS })));
    expect(tooMany.code).toBe('instrument.truncated');
  });

  it('refuses offsets beyond the end of the file (truncated files)', () => {
    const whole = rawFcs({ keywords: TWO_FLOAT_PARAMETERS, data: SIX_FLOATS });
    const cut = captureInstrumentError(() => parseFcs(whole.subarray(0, whole.length - 5)));
    expect(cut.code).toBe('instrument.truncated');
    expect(cut.where.section).toBe('DATA');
    const headerOnly = captureInstrumentError(() => parseFcs(whole.subarray(0, 70)));
    expect(headerOnly).toMatchObject({ code: 'instrument.truncated', where: { section: 'TEXT', byteOffset: 10 } });
    expect(captureInstrumentError(() => parseFcs(whole.subarray(0, 30))).code).toBe('instrument.truncated');
  });

  it('refuses huge declared sizes without allocating for them', () => {
    const hugeTotal = captureInstrumentError(() => parseFcs(rawFcs({ keywords: { ...TWO_FLOAT_PARAMETERS, $TOT: '900000000000000' }, data: SIX_FLOATS })));
    expect(hugeTotal.code).toBe('instrument.truncated');
    const hugePar = captureInstrumentError(() => parseFcs(rawFcs({ keywords: { ...TWO_FLOAT_PARAMETERS, $PAR: '99999999' }, data: SIX_FLOATS })));
    expect(hugePar).toMatchObject({ code: 'instrument.too_large', where: { keyword: '$PAR' } });
    const absurd = captureInstrumentError(() => parseFcs(rawFcs({ keywords: { ...TWO_FLOAT_PARAMETERS, $TOT: '99999999999999999999999' }, data: SIX_FLOATS })));
    expect(absurd.code).toBe('instrument.too_large');
  });

  it.each([
    [{ $DATATYPE: 'A' }, '$DATATYPE'],
    [{ $MODE: 'C' }, '$MODE'],
    [{ $BYTEORD: '3,4,1,2' }, '$BYTEORD'],
    [{ $DATATYPE: 'I', $P1B: '10', $P2B: '22' }, '$P1B'],
    [{ $P2B: '64' }, '$P2B'],
  ])('refuses unsupported layouts %j', (override, keyword) => {
    const error = captureInstrumentError(() => parseFcs(rawFcs({ keywords: { ...TWO_FLOAT_PARAMETERS, ...override }, data: SIX_FLOATS })));
    expect(error.code).toBe('instrument.unsupported');
    expect(error.where.keyword).toBe(keyword);
  });

  it('refuses missing required keywords and malformed numbers', () => {
    const { $PAR: _par, ...withoutPar } = TWO_FLOAT_PARAMETERS;
    expect(captureInstrumentError(() => parseFcs(rawFcs({ keywords: withoutPar, data: SIX_FLOATS }))).where.keyword).toBe('$PAR');
    const badTot = captureInstrumentError(() => parseFcs(rawFcs({ keywords: { ...TWO_FLOAT_PARAMETERS, $TOT: 'three' }, data: SIX_FLOATS })));
    expect(badTot).toMatchObject({ code: 'instrument.corrupt', where: { keyword: '$TOT' } });
    const badHeader = rawFcs({ keywords: TWO_FLOAT_PARAMETERS, data: SIX_FLOATS });
    badHeader.write('   12x45', 10, 'latin1');
    expect(captureInstrumentError(() => parseFcs(badHeader))).toMatchObject({ code: 'instrument.corrupt', where: { byteOffset: 10 } });
    expect(captureInstrumentError(() => parseFcs(rawFcs({ version: 'FCS4.0', keywords: TWO_FLOAT_PARAMETERS, data: SIX_FLOATS }))).code).toBe('instrument.unsupported');
  });

  it('reads FCS 2.0 without $TOT by deriving the count, and unescapes doubled delimiters', () => {
    const { $TOT: _tot, ...withoutTot } = TWO_FLOAT_PARAMETERS;
    const file = parseFcs(rawFcs({ version: 'FCS2.0', keywords: { ...withoutTot, $P1S: 'CD9||CD63' }, data: SIX_FLOATS }));
    expect(file.eventCount).toBe(3);
    expect(file.parameters[0].longName).toBe('CD9|CD63');
    expect(file.warnings.join(' ')).toMatch(/\$TOT is missing/);
  });

  it('enforces maxBytes', () => {
    const file = rawFcs({ keywords: TWO_FLOAT_PARAMETERS, data: SIX_FLOATS });
    expect(captureInstrumentError(() => parseFcs(file, { maxBytes: 100 })).code).toBe('instrument.too_large');
  });
});
