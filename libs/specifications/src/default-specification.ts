import type { Assay, Criterion } from './criteria.js';

export interface CriterionTemplate {
  assay: Assay;
  parameter: string;
  label: string;
  criterion: Criterion;
  appliesToSource: 'cell_culture_media' | 'serum' | null;
  required: boolean;
}

/**
 * The shipped default, after MISEV2018/2023 (DOMAIN.md section 2). QA copies it into a draft
 * and edits; each effective version is signed and never edited again.
 */
export const DEFAULT_SPECIFICATION: CriterionTemplate[] = [
  { assay: 'nta', parameter: 'modeNm', label: 'NTA mode size', criterion: { kind: 'range', min: 50, max: 150, unit: 'nm' }, appliesToSource: null, required: true },
  { assay: 'nta', parameter: 'd90Nm', label: 'NTA D90', criterion: { kind: 'range', max: 250, unit: 'nm' }, appliesToSource: null, required: true },
  { assay: 'nta', parameter: 'concentrationPerMl', label: 'NTA concentration', criterion: { kind: 'range', min: 1e9, unit: 'particles/mL' }, appliesToSource: null, required: true },
  { assay: 'nta', parameter: 'videoCount', label: 'NTA videos', criterion: { kind: 'min_count', min: 3 }, appliesToSource: null, required: true },
  { assay: 'protein', parameter: 'purityParticlesPerUg', label: 'Purity ratio (particles/µg protein)', criterion: { kind: 'range', min: 1e9, unit: 'particles/µg' }, appliesToSource: null, required: true },
  { assay: 'western_blot', parameter: 'CD63', label: 'Transmembrane marker CD63', criterion: { kind: 'marker', marker: 'CD63', expected: ['present'] }, appliesToSource: null, required: true },
  { assay: 'western_blot', parameter: 'cytosolic', label: 'Cytosolic marker (TSG101 or ALIX)', criterion: { kind: 'any_marker_present', markers: ['TSG101', 'ALIX'] }, appliesToSource: null, required: true },
  { assay: 'western_blot', parameter: 'calnexin', label: 'Negative marker calnexin (ER)', criterion: { kind: 'marker', marker: 'calnexin', expected: ['absent'] }, appliesToSource: 'cell_culture_media', required: true },
  { assay: 'western_blot', parameter: 'ApoA1', label: 'Lipoprotein ApoA1', criterion: { kind: 'marker', marker: 'ApoA1', expected: ['absent', 'depleted'] }, appliesToSource: 'serum', required: true },
  { assay: 'western_blot', parameter: 'albumin', label: 'Albumin', criterion: { kind: 'marker', marker: 'albumin', expected: ['absent', 'depleted'] }, appliesToSource: 'serum', required: true },
  { assay: 'em', parameter: 'morphology', label: 'EM morphology', criterion: { kind: 'categorical', allowed: ['cup_shaped', 'round'] }, appliesToSource: null, required: true },
  { assay: 'em', parameter: 'sizeRangeMinNm', label: 'EM smallest vesicle', criterion: { kind: 'range', min: 30, unit: 'nm' }, appliesToSource: null, required: true },
  { assay: 'em', parameter: 'sizeRangeMaxNm', label: 'EM largest vesicle', criterion: { kind: 'range', max: 200, unit: 'nm' }, appliesToSource: null, required: true },
  { assay: 'facs', parameter: 'percentAboveIsotype', label: 'FACS CD63+ events above isotype', criterion: { kind: 'range', min: 50, unit: '%' }, appliesToSource: null, required: true },
  { assay: 'rna_isolation', parameter: 'yieldNg', label: 'RNA recovered (kit lot recorded)', criterion: { kind: 'recorded' }, appliesToSource: null, required: true },
  { assay: 'bioanalyzer', parameter: 'smallRnaProfile', label: 'Bioanalyzer small-RNA profile', criterion: { kind: 'categorical', allowed: ['present'] }, appliesToSource: null, required: true },
  { assay: 'bioanalyzer', parameter: 'concentrationPgPerUl', label: 'RNA concentration', criterion: { kind: 'recorded' }, appliesToSource: null, required: true },
  { assay: 'qpcr', parameter: 'referenceCqMax', label: 'Reference miRNA Cq', criterion: { kind: 'range', max: 35, unit: 'Cq' }, appliesToSource: null, required: true },
  { assay: 'sterility', parameter: 'result', label: 'Sterility', criterion: { kind: 'categorical', allowed: ['no_growth'] }, appliesToSource: null, required: true },
  { assay: 'endotoxin', parameter: 'euPerMl', label: 'Endotoxin (LAL)', criterion: { kind: 'range', max: 0.5, maxExclusive: true, unit: 'EU/mL' }, appliesToSource: null, required: true },
  { assay: 'mycoplasma', parameter: 'result', label: 'Mycoplasma', criterion: { kind: 'categorical', allowed: ['negative'] }, appliesToSource: null, required: true },
];
