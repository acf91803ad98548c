import { describeCriterion, evaluateResult, judge, type CriterionLine } from '../src/criteria.js';
import { checkCriterion } from '../src/criterion-rules.js';
import { DEFAULT_SPECIFICATION } from '../src/default-specification.js';

const lines: CriterionLine[] = DEFAULT_SPECIFICATION.map((t, i) => ({ ...t, id: `c${i}` }));

describe('acceptance criteria', () => {
  it('judges ranges inclusively, and an exclusive max strictly', () => {
    expect(judge({ kind: 'range', min: 50, max: 150, unit: 'nm' }, 150).verdict).toBe('pass');
    expect(judge({ kind: 'range', min: 50, max: 150, unit: 'nm' }, 150.1).verdict).toBe('fail');
    expect(judge({ kind: 'range', max: 0.5, maxExclusive: true, unit: 'EU/mL' }, 0.5).verdict).toBe('fail');
    expect(judge({ kind: 'range', max: 0.5, maxExclusive: true, unit: 'EU/mL' }, 0.49).verdict).toBe('pass');
    expect(judge({ kind: 'range', min: 1, unit: '' }, undefined).verdict).toBe('not_evaluable');
    expect(judge({ kind: 'range', min: 1, unit: '' }, Number.NaN).verdict).toBe('not_evaluable');
  });

  it('describes criteria for people', () => {
    expect(describeCriterion({ kind: 'range', min: 50, max: 150, unit: 'nm' })).toBe('50–150 nm');
    expect(describeCriterion({ kind: 'range', max: 0.5, maxExclusive: true, unit: 'EU/mL' })).toBe('< 0.5 EU/mL');
    expect(describeCriterion({ kind: 'marker', marker: 'ApoA1', expected: ['absent', 'depleted'] })).toBe('ApoA1 absent or depleted');
  });

  it('evaluates an in-spec NTA result against the default specification', () => {
    const { verdicts, outcome } = evaluateResult('nta', { modeNm: 112, d90Nm: 210, concentrationPerMl: 3.2e10, videoCount: 5 }, lines, 'cell_culture_media');
    expect(outcome).toBe('pass');
    expect(verdicts.map((v) => v.parameter)).toEqual(['modeNm', 'd90Nm', 'concentrationPerMl', 'videoCount']);
  });

  it('fails an out-of-spec parameter and names it', () => {
    const { verdicts, outcome } = evaluateResult('nta', { modeNm: 180, d90Nm: 210, concentrationPerMl: 3.2e10, videoCount: 2 }, lines, 'cell_culture_media');
    expect(outcome).toBe('fail');
    expect(verdicts.filter((v) => v.verdict === 'fail').map((v) => v.parameter)).toEqual(['modeNm', 'videoCount']);
  });

  it('applies calnexin to cell-culture batches and ApoA1/albumin to serum batches', () => {
    const markers = [{ marker: 'CD63', result: 'present' }, { marker: 'TSG101', result: 'present' }, { marker: 'Calnexin', result: 'absent' }];
    const cell = evaluateResult('western_blot', { markers }, lines, 'cell_culture_media');
    expect(cell.verdicts.map((v) => v.parameter)).toEqual(['CD63', 'cytosolic', 'calnexin']);
    expect(cell.outcome).toBe('pass');
    const serum = evaluateResult('western_blot', { markers: [...markers, { marker: 'ApoA1', result: 'depleted' }] }, lines, 'serum');
    expect(serum.verdicts.map((v) => `${v.parameter}:${v.verdict}`)).toEqual(['CD63:pass', 'cytosolic:pass', 'ApoA1:pass', 'albumin:not_evaluable']);
    expect(serum.outcome).toBe('not_evaluable');
  });

  it('fails a blot where CD63 is absent or no cytosolic marker is present', () => {
    const r = evaluateResult('western_blot', { markers: [{ marker: 'CD63', result: 'absent' }, { marker: 'ALIX', result: 'absent' }, { marker: 'calnexin', result: 'absent' }] }, lines, 'cell_culture_media');
    expect(r.verdicts.filter((v) => v.verdict === 'fail').map((v) => v.parameter)).toEqual(['CD63', 'cytosolic']);
  });

  it('uses derived values (the purity ratio) when given', () => {
    expect(evaluateResult('protein', { concentrationUgPerMl: 50 }, lines, 'serum', { purityParticlesPerUg: 6e8 }).outcome).toBe('fail');
    expect(evaluateResult('protein', { concentrationUgPerMl: 50 }, lines, 'serum', { purityParticlesPerUg: 2e9 }).outcome).toBe('pass');
    expect(evaluateResult('protein', { concentrationUgPerMl: 50 }, lines, 'serum', {}).outcome).toBe('not_evaluable');
  });

  it('validates criterion shapes field by field', () => {
    expect(checkCriterion({ kind: 'range', min: 5, max: 1, unit: 'nm' }, 'c')).toEqual([expect.objectContaining({ field: 'c.min', rule: 'minNotAboveMax' })]);
    expect(checkCriterion({ kind: 'marker', marker: 'CD63', expected: ['there'] }, 'c')).toEqual([expect.objectContaining({ field: 'c.expected', rule: 'isIn' })]);
    expect(checkCriterion({ kind: 'teapot' }, 'c')).toEqual([expect.objectContaining({ field: 'c.kind' })]);
    expect(checkCriterion({ kind: 'range', max: 1, unit: 'x', extra: 1 }, 'c')).toEqual([expect.objectContaining({ field: 'c.extra', rule: 'unknownField' })]);
    for (const line of DEFAULT_SPECIFICATION) expect(checkCriterion(line.criterion, 'x')).toEqual([]);
  });
});
