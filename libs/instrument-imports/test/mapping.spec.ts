import type { ParsedInstrumentFile } from '#instruments';
import { DomainError } from '#platform';
import { attachmentDisposition, cleanFileName, imageTypeOf } from '../src/file-facts.js';
import { jsonSafe } from '../src/parsed-summary.js';
import { resultCandidates, selectCandidate, toPgPerUl, type CandidateSet } from '../src/result-candidates.js';

const agilent = (samples: Record<string, unknown>[], instrument = 'bioanalyzer'): ParsedInstrumentFile =>
  ({ format: 'agilent-xml', data: { instrument, assay: null, concentrationUnit: null, samples: samples.map((s) => ({ well: null, name: null, integrity: null, concentration: null, concentrationUnit: null, observations: null, isLadder: false, ...s })) } }) as never;

describe('mapping parsed files to result data', () => {
  it('converts Agilent concentration units to pg/µL, whichever micro sign the export uses', () => {
    expect(toPgPerUl({ concentration: 1.5, concentrationUnit: 'ng/µl' })).toBe(1500);
    expect(toPgPerUl({ concentration: 1.5, concentrationUnit: 'ng/\u03bcL' })).toBe(1500);
    expect(toPgPerUl({ concentration: 1.5, concentrationUnit: 'ng/ul' })).toBe(1500);
    expect(toPgPerUl({ concentration: 850, concentrationUnit: 'pg/µl' })).toBe(850);
    expect(toPgPerUl({ concentration: 2, concentrationUnit: 'µg/mL' })).toBe(2000);
    expect(toPgPerUl({ concentration: 2, concentrationUnit: 'nmol/l' })).toBeNull();
    expect(toPgPerUl({ concentration: 2, concentrationUnit: null })).toBeNull();
  });

  it('keeps RIN only when it is an RNA integrity score in range, and says why a sample gives no result', () => {
    const set = resultCandidates(agilent([
      { well: '1', name: 'EV-RNA', concentration: 0.2, concentrationUnit: 'ng/µl', integrity: { metric: 'RIN', value: 7.4 } },
      { well: '2', name: 'gDNA', concentration: 10, concentrationUnit: 'ng/µl', integrity: { metric: 'DIN', value: 9 } },
      { well: '3', name: 'empty', concentration: 0, concentrationUnit: 'pg/µl', integrity: { metric: 'RIN', value: null } },
      { well: '4', name: 'odd', concentration: 3, concentrationUnit: 'mol' },
      { well: '5', name: 'Ladder', concentration: 3, concentrationUnit: 'ng/µl', isLadder: true },
    ]));
    expect(set.candidates.map((c) => c.data)).toEqual([
      { instrumentType: 'bioanalyzer', concentrationPgPerUl: 200, rin: 7.4, smallRnaProfile: 'present', sampleName: 'EV-RNA' },
      { instrumentType: 'bioanalyzer', concentrationPgPerUl: 10000, smallRnaProfile: 'present', sampleName: 'gDNA' },
      { instrumentType: 'bioanalyzer', concentrationPgPerUl: 0, smallRnaProfile: 'absent', sampleName: 'empty' },
    ]);
    expect(set.notes).toEqual([expect.stringMatching(/^4: no concentration in a known unit \(found: 3 mol\)/), expect.stringMatching(/^5: the ladder/)]);
  });

  it('chooses a sample by id or unique name, and refuses ambiguity or absence with the field named', () => {
    const set: CandidateSet = {
      notes: [],
      candidates: [
        { assay: 'bioanalyzer', label: 'A1', sample: 'A1', data: { sampleName: 'kidney' } },
        { assay: 'bioanalyzer', label: 'B1', sample: 'B1', data: { sampleName: 'kidney' } },
        { assay: 'bioanalyzer', label: 'C1', sample: 'C1', data: { sampleName: 'liver' } },
      ],
    };
    expect(selectCandidate(set, 'bioanalyzer', 'B1').label).toBe('B1');
    expect(selectCandidate(set, 'bioanalyzer', 'liver').label).toBe('C1');
    const refusal = (sample?: string) => {
      try {
        selectCandidate(set, 'bioanalyzer', sample);
      } catch (error) {
        return error as DomainError;
      }
      throw new Error('expected a refusal');
    };
    expect(refusal(undefined).details.errors?.[0]).toMatchObject({ field: 'sample', rule: 'required' });
    expect(refusal('kidney').details.errors?.[0]).toMatchObject({ field: 'sample', rule: 'unique' });
    expect(refusal('D9')).toMatchObject({ code: 'instrument.sample_not_found' });
    expect(() => selectCandidate({ candidates: [], notes: ['nothing to read'] }, 'nta')).toThrow(/No nta result can be built from this file. nothing to read/);
  });

  it('makes values jsonb-safe: no NUL characters, no NaN, bounded strings', () => {
    expect(jsonSafe({ a: 'x\u0000y', b: NaN, c: [1, Infinity], d: 'z'.repeat(3000), e: undefined, f: new Float64Array([1.5]) })).toEqual({
      a: 'xy', b: null, c: [1, null], d: `${'z'.repeat(2000)}…`, f: [1.5],
    });
  });

  it('recognises images by magic bytes and names downloads safely', () => {
    expect(imageTypeOf(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(imageTypeOf(Buffer.from([0x4d, 0x4d, 0x00, 0x2a]))).toBe('tiff');
    expect(imageTypeOf(Buffer.from('GIF89a'))).toBeNull();
    expect(imageTypeOf(Buffer.alloc(0))).toBeNull();
    expect(cleanFileName('C:\\Users\\lab\\run\u0007 1.fcs', 'x')).toBe('run 1.fcs');
    expect(cleanFileName('../..', 'fallback.bin')).toBe('fallback.bin');
    expect(attachmentDisposition('blot "final".png')).toBe(`attachment; filename="blot _final_.png"; filename*=UTF-8''blot%20%22final%22.png`);
  });
});
