import { gzipSync } from 'node:zlib';
import {
  InstrumentFileError, buildFcs, detectInstrumentFormat, parseInstrumentFile, seededRandom, type InstrumentFormat, type ParsedInstrumentFile,
} from '../src/index.js';
import { captureInstrumentError, fixture, makeZip } from './helpers.js';

const SAMPLES: [string, InstrumentFormat][] = [
  ['nanosight_beads_nta3.2.csv', 'nanosight-nta'],
  ['cyflow_cube_8_fcs3.0.fcs', 'fcs'],
  ['fortessa_fcs3.0.fcs', 'fcs'],
  ['variable_int_example.fcs', 'fcs'],
  ['stepone_std.rdml', 'rdml'],
  ['test_mca_1_raw_data.rdml', 'rdml'],
  ['tapestation_eukaryotic_rna.xml.gz', 'agilent-xml'],
];

/** Touches every part of a parse result, so lazy decoding is exercised too. */
function consume(result: ParsedInstrumentFile): void {
  if (result.format === 'fcs') result.data.parameters.forEach((_, i) => result.data.channel(i + 1));
  else JSON.stringify(result.data);
}

/** Parsing must either succeed or throw InstrumentFileError — never anything else. */
function expectTypedOutcome(bytes: Uint8Array, label: string): void {
  try {
    consume(parseInstrumentFile(bytes));
  } catch (error) {
    if (!(error instanceof InstrumentFileError)) throw new Error(`${label}: threw ${String(error)}`);
    expect(typeof error.message).toBe('string');
  }
}

describe('format detection and dispatch', () => {
  it.each(SAMPLES)('recognises %s from its content alone', (name, format) => {
    expect(detectInstrumentFormat(fixture(name))).toBe(format);
    const result = parseInstrumentFile(fixture(name));
    expect(result.format).toBe(format);
    consume(result);
  });

  it('recognises wrapped and renamed content, ignoring misleading hints', () => {
    expect(detectInstrumentFormat(gzipSync(fixture('fortessa_fcs3.0.fcs')))).toBe('fcs');
    expect(detectInstrumentFormat(fixture('fortessa_fcs3.0.fcs'), 'results.csv', 'rdml')).toBe('fcs');
    expect(detectInstrumentFormat(gzipSync('<?xml version="1.0"?>\n<rdml version="1.4"/>'))).toBe('rdml');
    expect(detectInstrumentFormat(makeZip([{ name: 'x/data.xml', content: '<rdml version="1.1"></rdml>' }]))).toBe('rdml');
    expect(detectInstrumentFormat(Buffer.from('"NTA Experiment Summary File",,\r\n'))).toBe('nanosight-nta');
    const parsed = parseInstrumentFile(gzipSync(buildFcs({ parameters: [{ shortName: 'A' }], events: [1, 2, 3] })));
    expect(parsed.format === 'fcs' && Array.from(parsed.data.channel('A'))).toEqual([1, 2, 3]);
  });

  it('uses hints only when the content is inconclusive', () => {
    expect(detectInstrumentFormat(Buffer.from('garbage'))).toBeNull();
    expect(detectInstrumentFormat(Buffer.from('garbage'), 'run.fcs')).toBe('fcs');
    expect(detectInstrumentFormat(Buffer.from('garbage'), undefined, 'rdml')).toBe('rdml');
    expect(captureInstrumentError(() => parseInstrumentFile(Buffer.from('garbage'))).code).toBe('instrument.unrecognised_format');
    // With a hint, the chosen parser explains precisely what is wrong.
    expect(captureInstrumentError(() => parseInstrumentFile(fixture('corrupted.fcs'), { filename: 'corrupted.fcs' })))
      .toMatchObject({ code: 'instrument.unrecognised_format', format: 'fcs' });
  });

  it('refuses corrupted.fcs, empty input, a ZIP without XML and non-bytes', () => {
    expect(captureInstrumentError(() => parseInstrumentFile(fixture('corrupted.fcs'))).code).toBe('instrument.unrecognised_format');
    expect(captureInstrumentError(() => parseInstrumentFile(Buffer.alloc(0))).code).toBe('instrument.unrecognised_format');
    expect(captureInstrumentError(() => parseInstrumentFile(makeZip([{ name: 'a.csv', content: '1,2' }]))).code).toBe('instrument.unrecognised_format');
    expect(captureInstrumentError(() => parseInstrumentFile(makeZip([{ name: 'a.csv', content: '1,2' }]), { filename: 'x.rdml' })).code).toBe('instrument.missing_content');
    expect(captureInstrumentError(() => parseInstrumentFile('FCS3.0' as unknown as Uint8Array)).code).toBe('instrument.unrecognised_format');
  });

  it('refuses oversize input and oversize decompressed content', () => {
    const fortessa = fixture('fortessa_fcs3.0.fcs');
    expect(captureInstrumentError(() => parseInstrumentFile(fortessa, { maxBytes: 100_000 }))).toMatchObject({ code: 'instrument.too_large' });
    const bomb = gzipSync(Buffer.alloc(20_000_000, 0x41)); // ~20 KB that expands to 20 MB
    const error = captureInstrumentError(() => parseInstrumentFile(bomb, { formatHint: 'agilent-xml', maxBytes: 1_000_000 }));
    expect(error.code).toBe('instrument.too_large');
  });

  it('never throws anything but InstrumentFileError for truncated or bit-flipped samples', () => {
    const random = seededRandom(20240607);
    for (const [name] of SAMPLES) {
      const original = fixture(name);
      const cuts = [0, 1, 5, 57, 58, 100, Math.floor(original.length / 2), original.length - 1];
      for (const cut of cuts) expectTypedOutcome(original.subarray(0, Math.min(cut, original.length)), `${name} cut at ${cut}`);
      for (let round = 0; round < 25; round++) {
        const damaged = Buffer.from(original);
        // Flip bits mostly in the first KB, where headers, offsets and keywords live.
        for (let flip = 0; flip < 4; flip++) {
          const position = Math.floor(random() * (random() < 0.7 ? Math.min(1024, damaged.length) : damaged.length));
          damaged[position] ^= 1 << Math.floor(random() * 8);
        }
        expectTypedOutcome(damaged, `${name} flip round ${round}`);
      }
    }
  });
});
