import { decideVerdict, describeIsolation, describeOrigin } from '../src/verdict.js';

const lot = { batchState: 'released', recalled: false, expiryDate: '2027-11-30' };
const vial = { status: 'received', quarantined: false, recalled: false, unresolvedExcursion: false, expiryDate: '2027-06-30' };
const today = '2026-11-23';

describe('verification verdicts', () => {
  it('verifies a released, in-date, unrecalled lot and vial', () => {
    expect(decideVerdict(lot, null, today)).toEqual({ verdict: 'verified', reason: null });
    expect(decideVerdict(lot, vial, today)).toEqual({ verdict: 'verified', reason: null });
  });

  it.each([
    ['rejected', { ...lot, batchState: 'rejected' }, vial],
    ['recalled', { ...lot, recalled: true }, vial],
    ['recalled', lot, { ...vial, recalled: true }],
    ['destroyed', lot, { ...vial, status: 'destroyed' }],
    ['already_used', lot, { ...vial, status: 'used' }],
    ['cold_chain_excursion', lot, { ...vial, quarantined: true, unresolvedExcursion: true }],
    ['quarantined', lot, { ...vial, quarantined: true }],
    ['quarantined', { ...lot, batchState: 'quarantined' }, null],
    ['not_released', { ...lot, batchState: 'qc_review' }, null],
    ['expired', lot, { ...vial, expiryDate: '2026-11-22' }],
    ['expired', { ...lot, expiryDate: '2026-01-01' }, null],
  ] as const)('says %s', (reason, l, v) => {
    expect(decideVerdict(l, v, today)).toEqual({ verdict: 'not_verified', reason });
  });

  it('puts a recall before an expiry and an excursion', () => {
    expect(decideVerdict({ ...lot, recalled: true }, { ...vial, unresolvedExcursion: true, expiryDate: '2020-01-01' }, today).reason).toBe('recalled');
  });

  it('states origin and method plainly', () => {
    expect(describeOrigin('human_cell_derived', 'cell_culture_media', { producingCellType: 'msc', sourceTissue: 'adipose' })).toBe('Human cell-derived extracellular vesicles from mesenchymal stem/stromal cells, from adipose tissue (conditioned cell-culture media)');
    expect(describeOrigin('plant_derived', 'cell_culture_media', { producingCellType: 'plant_cell' })).toMatch(/not human-derived/);
    expect(describeOrigin('human_serum', 'serum', {})).toBe('Human serum-derived extracellular vesicles');
    expect(describeIsolation(['pre_clearing_spin', 'precipitation', 'incubation', 'pelleting_spin', 'resuspension'])).toBe('polymer-based precipitation, then differential centrifugation');
  });
});
