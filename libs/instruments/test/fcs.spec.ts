import { buildFcs, fcsPercentAbove, parseFcs } from '../src/index.js';
import { captureInstrumentError, fixture } from './helpers.js';

// Expected event values were decoded independently with Python's struct module: HEADER offsets
// read from bytes 10-41, TEXT split on its first byte, each event unpacked with a format string
// built from $DATATYPE/$PnB/$BYTEORD at DATA + e × event size, integers masked with
// 2^ceil(log2($PnR)) − 1. Percentages were counted by the same script over all events.
const CYFLOW = {
  events: { 0: [8, 7, 15, 15, 5, 8, 7, 6, 23, 0], 1: [6, 7, 13, 14, 6, 9, 10, 4, 23, 0], 724: [1010, 12, 21, 14, 5, 7, 9, 5, 99861, 0] },
  percent: { FL1_above_100: (16 / 725) * 100, TIME_above_1000: (309 / 725) * 100 },
};
const FORTESSA = {
  events: {
    0: [1312.8499755859375, 560.0, 153640.96875, 1472.639892578125, 1424.0, 67774.53125, 17.939998626708984, 8.579999923706055, 137.05999755859375, -36.720001220703125, 0.0],
    5000: [6250.85986328125, 1864.0, 219772.71875, 439.91998291015625, 348.0, 82846.5390625, -1.559999942779541, -29.639999389648438, 0.7699999809265137, -25.200000762939453, 425.0],
    11584: [68172.71875, 15380.0, 262143.0, 39196.55859375, 10308.0, 249203.125, 347.0999755859375, 342.41998291015625, 8282.8896484375, 102.96000671386719, 991.9000244140625],
  },
  percent: { FSC_A_above_1000: (4962 / 11585) * 100, PE_TexasRed_A_above_100: (47 / 11585) * 100 },
};
const VARIABLE_INT = {
  events: {
    0: [49135, 61373, 48575, 49135, 61373, 48575, 7523, 598, 49135, 61373, 48575, 49135, 61373, 48575, 28182, 61200, 48575, 49135, 32445, 30797, 19057, 49135, 61373, 48575, 5969, 8265081],
    1: [61266, 48575, 49135, 20925, 61265, 48575, 27961, 25200, 61287, 48575, 9795, 49135, 29117, 49135, 61373, 48575, 61228, 48575, 22, 21760, 49135, 20413, 49135, 23997, 19807, 15691602],
  },
};

function eventRow(file: ReturnType<typeof parseFcs>, event: number): number[] {
  return file.parameters.map((_, p) => file.channel(p + 1)[event]);
}

describe('FCS sample files', () => {
  it('decodes an FCS 3.0 integer file with mixed $PnB (8/16/32 bits)', () => {
    const file = parseFcs(fixture('cyflow_cube_8_fcs3.0.fcs'));
    expect(file.version).toBe('FCS3.0');
    expect(file.eventCount).toBe(725);
    expect(file.dataType).toBe('I');
    expect(file.byteOrder).toBe('little');
    expect(file.parameters.map((p) => [p.shortName, p.bits])).toEqual([
      ['FSC', 16], ['SSC', 16], ['FL1', 16], ['FL2', 16], ['FL3', 16], ['FL4', 16], ['FL5', 16], ['FL6', 16], ['TIME', 32], ['DOUBLET', 8],
    ]);
    expect(file.parameters[9]).toMatchObject({ index: 10, range: 255, name: 'DOUBLET', label: 'DOUBLET' });
    expect(file.keywords.$CYT).toBe('Cube_15');
    expect(file.segments.data).toEqual({ begin: 1456, end: 16680 });
    for (const [event, values] of Object.entries(CYFLOW.events)) expect(eventRow(file, Number(event))).toEqual(values);
    expect(fcsPercentAbove(file, 'FL1', 100)).toBeCloseTo(CYFLOW.percent.FL1_above_100, 10);
    expect(fcsPercentAbove(file, 'time', 1000)).toBeCloseTo(CYFLOW.percent.TIME_above_1000, 10);
    // Its supplemental TEXT pointer targets a ZIP blob, which must be ignored, not parsed.
    expect(file.warnings.join(' ')).toMatch(/Supplemental TEXT/);
  });

  it('decodes an FCS 3.0 big-endian float file', () => {
    const file = parseFcs(fixture('fortessa_fcs3.0.fcs'));
    expect(file.eventCount).toBe(11585);
    expect(file.dataType).toBe('F');
    expect(file.byteOrder).toBe('big');
    expect(file.parameters).toHaveLength(11);
    expect(file.keywords.CREATOR).toBe('BD FACSDiva Software Version 6.2');
    for (const [event, values] of Object.entries(FORTESSA.events)) expect(eventRow(file, Number(event))).toEqual(values);
    expect(file.percentAbove('FSC-A', 1000)).toBeCloseTo(FORTESSA.percent.FSC_A_above_1000, 10);
    expect(fcsPercentAbove(file, 'PE-Texas Red-A', 100)).toBeCloseTo(FORTESSA.percent.PE_TexasRed_A_above_100, 10);
  });

  it('decodes a file with 16- and 32-bit integer parameters and zero-padded HEADER offsets', () => {
    const file = parseFcs(fixture('variable_int_example.fcs'));
    expect(file.eventCount).toBe(2);
    expect(file.parameters).toHaveLength(26);
    expect(file.parameters[25]).toMatchObject({ shortName: 'Time', bits: 32, range: 11209599 });
    expect(file.parameters[8].label).toBe('488/552nm PECy5.5 (710/40) LogH (xxxxxxxxxxx)');
    expect(eventRow(file, 0)).toEqual(VARIABLE_INT.events[0]);
    expect(eventRow(file, 1)).toEqual(VARIABLE_INT.events[1]);
  });

  it('refuses corrupted.fcs with a typed error', () => {
    const error = captureInstrumentError(() => parseFcs(fixture('corrupted.fcs')));
    expect(error.code).toBe('instrument.unrecognised_format');
    expect(error.where).toEqual({ byteOffset: 0 });
    expect(error.format).toBe('fcs');
  });

  it('reports unknown or ambiguous channel names with a typed error', () => {
    const file = parseFcs(fixture('variable_int_example.fcs'));
    expect(captureInstrumentError(() => file.channel('nope')).code).toBe('instrument.unknown_channel');
    // Several parameters share $PnS "xxxxxxxxx", so that name is ambiguous.
    expect(captureInstrumentError(() => file.channel('xxxxxxxxx')).message).toMatch(/matches \d+ parameters/);
    expect(captureInstrumentError(() => file.channel(27)).code).toBe('instrument.unknown_channel');
  });
});

describe('buildFcs round trip', () => {
  const parameters = [{ shortName: 'FSC-A', name: 'Forward' }, { shortName: 'SSC-A' }, { shortName: 'FL1/A', name: 'CD63-PE' }];
  const events = Float32Array.from({ length: 3 * 500 }, (_, i) => ((i * 7919) % 1000) + 0.25);

  it('writes an FCS 3.1 float file that parses back to the same values', () => {
    const bytes = buildFcs({ parameters, events, keywords: { $FIL: 'a/b.fcs' } });
    expect(bytes.subarray(0, 6).toString('latin1')).toBe('FCS3.1');
    const file = parseFcs(bytes);
    expect(file.version).toBe('FCS3.1');
    expect(file.eventCount).toBe(500);
    expect(file.keywords.$FIL).toBe('a/b.fcs'); // delimiter inside a value survives escaping
    expect(file.parameters.map((p) => p.label)).toEqual(['FSC-A (Forward)', 'SSC-A', 'FL1/A (CD63-PE)']);
    for (let p = 0; p < 3; p++) {
      const column = file.channel(p + 1);
      for (let e = 0; e < 500; e++) expect(column[e]).toBe(events[e * 3 + p]);
    }
    const above = Array.from({ length: 500 }, (_, e) => events[e * 3 + 2]).filter((v) => v > 500).length;
    expect(fcsPercentAbove(file, 'CD63-PE', 500)).toBeCloseTo((above / 500) * 100, 10);
    expect(file.warnings).toEqual([]);
  });

  it('round-trips big-endian doubles and integers', () => {
    const doubles = parseFcs(buildFcs({ parameters, events: Float64Array.from(events, (v) => v / 3), datatype: 'D', byteOrder: 'big' }));
    expect(doubles.byteOrder).toBe('big');
    expect(doubles.channel('SSC-A')[10]).toBe(events[31] / 3);
    const ints = parseFcs(buildFcs({ parameters: [{ shortName: 'A', bits: 8 }, { shortName: 'B', bits: 32 }], events: [1, 70000, 255, 4000000000], datatype: 'I' }));
    expect(Array.from(ints.channel('B'))).toEqual([70000, 4000000000]);
    expect(Array.from(ints.channel('A'))).toEqual([1, 255]);
  });

  it('moves DATA offsets to $BEGINDATA/$ENDDATA when the HEADER says 0', () => {
    const bytes = buildFcs({ parameters, events });
    bytes.write('       0       0', 26, 'latin1');
    expect(parseFcs(bytes).channel(1)[499]).toBe(events[1497]);
  });

  it('applies the $PnR bit mask to integer data', () => {
    // Range 1024 → only the low 10 bits are data; the high bits carry flags to be ignored.
    const bytes = buildFcs({ parameters: [{ shortName: 'A', bits: 16, range: 1024 }], events: [0xfc00 | 37, 1023], datatype: 'I' });
    expect(Array.from(parseFcs(bytes).channel('A'))).toEqual([37, 1023]);
  });

  it('converts log-amplified integer channels to linear scale on request', () => {
    const bytes = buildFcs({ parameters: [{ shortName: 'L', bits: 16, range: 1024 }], events: [0, 512, 1023], datatype: 'I' });
    // The builder always writes $P1E 0,0; patch it to 4 decades (same length, offsets unchanged).
    const patched = Buffer.from(bytes.toString('latin1').replace('$P1E/0,0', '$P1E/4,1'), 'latin1');
    const linear = parseFcs(patched).channel('L', { scale: 'linear' });
    expect(linear[0]).toBeCloseTo(1, 12);
    expect(linear[1]).toBeCloseTo(100, 10);
  });
});
