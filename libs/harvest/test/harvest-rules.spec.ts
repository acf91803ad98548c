import { checkHarvestRules } from '../src/harvest-rules.js';
import type { RecordHarvestDto } from '../src/record-harvest.dto.js';

const now = new Date('2026-11-23T12:00:00Z');
const base = (over: Partial<RecordHarvestDto>): RecordHarvestDto => ({
  productId: '00000000-0000-4000-8000-000000000000',
  sourceType: 'cell_culture_media',
  originClass: 'human_cell_derived',
  harvestedAt: '2026-11-22T09:00:00Z',
  cellCulture: { producingCellType: 'msc', sourceTissue: 'adipose', passageNumber: 4, confluencePercent: 80, cultureDays: 3, mediaVolumeMl: 500, evDepletedMedia: true },
  ...over,
});

describe('harvest rules', () => {
  it('accepts a consistent cell-culture harvest', () => {
    expect(checkHarvestRules(base({}), now)).toEqual([]);
  });

  it('refuses an origin that the source cannot give', () => {
    expect(checkHarvestRules(base({ originClass: 'human_serum' }), now).map((e) => e.field)).toEqual(['originClass']);
  });

  it('refuses serum details on a cell-culture harvest', () => {
    const errors = checkHarvestRules(base({ serum: { donorPseudonym: 'DNR-1234', consentReference: 'C-1', collectionDate: '2026-11-20', volumeMl: 5, haemolysisCheck: 'passed' } }), now);
    expect(errors.map((e) => `${e.field}:${e.rule}`)).toContain('serum:forbiddenForSourceType');
  });

  it('refuses a harvest dated in the future', () => {
    expect(checkHarvestRules(base({ harvestedAt: '2026-11-24T09:00:00Z' }), now)).toEqual([expect.objectContaining({ field: 'harvestedAt', rule: 'notInFuture' })]);
  });

  it('refuses haemolysed serum and a collection after the harvest', () => {
    const errors = checkHarvestRules(
      base({ sourceType: 'serum', originClass: 'human_serum', cellCulture: undefined, serum: { donorPseudonym: 'DNR-1234', consentReference: 'C-1', collectionDate: '2026-11-23', volumeMl: 5, haemolysisCheck: 'failed' }, harvestedAt: '2026-11-21T09:00:00Z' }),
      now,
    );
    expect(errors.map((e) => `${e.field}:${e.rule}`).sort()).toEqual(['serum.collectionDate:notAfterHarvest', 'serum.haemolysisCheck:mustPass']);
  });

  it('keeps plant origin and plant cells together', () => {
    expect(checkHarvestRules(base({ originClass: 'plant_derived' }), now).map((e) => e.rule)).toEqual(['matchesCellType']);
    const plant = base({ originClass: 'plant_derived', cellCulture: { producingCellType: 'plant_cell', passageNumber: 1, cellCount: 1e6, cultureDays: 5, mediaVolumeMl: 100, evDepletedMedia: false } });
    expect(checkHarvestRules(plant, now)).toEqual([]);
  });
});
