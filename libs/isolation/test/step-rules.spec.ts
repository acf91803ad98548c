import { checkLotUse, checkStepRules, type LotFacts } from '../src/step-rules.js';

const lot = (over: Partial<LotFacts> = {}): LotFacts => ({ lotNumber: 'L1', expiryDate: '2027-01-31', recalledAt: null, reagentName: 'Total Exosome Isolation (from serum)', kind: 'precipitation', intendedSource: 'serum', ...over });

describe('isolation step rules', () => {
  it('names each missing parameter for the step type', () => {
    expect(checkStepRules({ stepType: 'pre_clearing_spin', parameters: { gForce: 2000 } }).map((e) => e.field)).toEqual(['parameters.durationMinutes', 'parameters.temperatureC']);
  });

  it('needs a lot for precipitation and refuses one for a spin', () => {
    expect(checkStepRules({ stepType: 'precipitation', parameters: { sampleVolumeMl: 1, reagentVolumeMl: 0.2 } })).toEqual([expect.objectContaining({ field: 'reagentLotId', rule: 'requiredForStepType' })]);
    expect(checkStepRules({ stepType: 'pelleting_spin', reagentLotId: 'x', parameters: { gForce: 10000, durationMinutes: 60, temperatureC: 4 } })).toEqual([expect.objectContaining({ rule: 'notForStepType' })]);
  });

  it('refuses an ultracentrifugation below 20,000 × g', () => {
    expect(checkStepRules({ stepType: 'ultracentrifugation', parameters: { gForce: 10000, durationMinutes: 70, temperatureC: 4 } })).toEqual([expect.objectContaining({ field: 'parameters.gForce', rule: 'min' })]);
  });

  it('refuses the reagent made for the other source', () => {
    expect(checkLotUse('precipitation', lot(), 'cell_culture_media', new Date('2026-11-22'))?.code).toBe('reagent_lot.wrong_source');
    expect(checkLotUse('precipitation', lot(), 'serum', new Date('2026-11-22'))).toBeNull();
    expect(checkLotUse('precipitation', lot({ intendedSource: 'any' }), 'cell_culture_media', new Date('2026-11-22'))).toBeNull();
  });

  it('refuses an expired or recalled lot, judged on the day of the step', () => {
    expect(checkLotUse('precipitation', lot({ expiryDate: '2026-11-21' }), 'serum', new Date('2026-11-22T08:00:00Z'))?.code).toBe('reagent_lot.expired');
    expect(checkLotUse('precipitation', lot({ expiryDate: '2026-11-22' }), 'serum', new Date('2026-11-22T08:00:00Z'))).toBeNull();
    expect(checkLotUse('precipitation', lot({ recalledAt: '2026-10-01' }), 'serum', new Date('2026-11-22'))?.code).toBe('reagent_lot.recalled');
  });

  it('refuses a lot of the wrong kind for the step', () => {
    expect(checkLotUse('sec', lot({ kind: 'buffer', intendedSource: 'any' }), 'serum', new Date('2026-11-22'))?.code).toBe('reagent_lot.wrong_kind');
  });
});
