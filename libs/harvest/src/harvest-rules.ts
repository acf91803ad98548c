import type { FieldError } from '#platform';
import type { OriginClass, RecordHarvestDto, SourceType } from './record-harvest.dto.js';

/** Which declared origins are honest for each kind of starting material. */
export const ORIGINS_BY_SOURCE: Record<SourceType, readonly OriginClass[]> = {
  cell_culture_media: ['human_cell_derived', 'plant_derived', 'synthetic'],
  serum: ['human_serum', 'platelet_derived'],
};

/**
 * Cross-field rules class-validator cannot express: the details block must match the source
 * type, the origin must be plausible for it, and nothing may be dated in the future.
 */
export function checkHarvestRules(dto: RecordHarvestDto, now: Date = new Date()): FieldError[] {
  const errors: FieldError[] = [];
  if (dto.sourceType === 'cell_culture_media' && dto.serum !== undefined) {
    errors.push({ field: 'serum', rule: 'forbiddenForSourceType', message: 'serum details must not be given for a cell_culture_media harvest' });
  }
  if (dto.sourceType === 'serum' && dto.cellCulture !== undefined) {
    errors.push({ field: 'cellCulture', rule: 'forbiddenForSourceType', message: 'cellCulture details must not be given for a serum harvest' });
  }
  if (!ORIGINS_BY_SOURCE[dto.sourceType].includes(dto.originClass)) {
    errors.push({ field: 'originClass', rule: 'matchesSourceType', message: `originClass ${dto.originClass} is not possible for ${dto.sourceType}; expected ${ORIGINS_BY_SOURCE[dto.sourceType].join(' or ')}` });
  }
  const slackMs = 5 * 60_000; // clocks on lab PCs drift a little
  if (new Date(dto.harvestedAt).getTime() > now.getTime() + slackMs) {
    errors.push({ field: 'harvestedAt', rule: 'notInFuture', message: 'harvestedAt cannot be in the future' });
  }
  if (dto.serum) {
    const collected = new Date(dto.serum.collectionDate);
    if (collected.getTime() > now.getTime() + slackMs) {
      errors.push({ field: 'serum.collectionDate', rule: 'notInFuture', message: 'collectionDate cannot be in the future' });
    }
    if (collected.getTime() > new Date(dto.harvestedAt).getTime() + 24 * 3600_000) {
      errors.push({ field: 'serum.collectionDate', rule: 'notAfterHarvest', message: 'collectionDate cannot be after the harvest' });
    }
    if (dto.serum.haemolysisCheck === 'failed') {
      errors.push({ field: 'serum.haemolysisCheck', rule: 'mustPass', message: 'haemolysed serum cannot start a batch; record the failed check as a deviation instead' });
    }
  }
  if (dto.cellCulture && dto.cellCulture.producingCellType !== 'msc' && dto.cellCulture.sourceTissue !== undefined) {
    errors.push({ field: 'cellCulture.sourceTissue', rule: 'onlyForMsc', message: 'sourceTissue applies to mesenchymal stem/stromal cells (msc) only' });
  }
  if (dto.cellCulture?.producingCellType === 'plant_cell' && dto.originClass !== 'plant_derived') {
    errors.push({ field: 'originClass', rule: 'matchesCellType', message: 'plant cells give plant_derived vesicles' });
  }
  if (dto.cellCulture && dto.cellCulture.producingCellType !== 'plant_cell' && dto.originClass === 'plant_derived') {
    errors.push({ field: 'originClass', rule: 'matchesCellType', message: 'plant_derived needs producingCellType plant_cell' });
  }
  return errors;
}
