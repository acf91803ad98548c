/** Result entry forms per assay, as the API's DTOs define them (field names are the DTO paths). */

export interface AssayField {
  name: string;
  label: string;
  kind: 'number' | 'text' | 'select';
  unit?: string;
  options?: readonly string[];
  required?: boolean;
  hint?: string;
}

export interface AssayDef {
  assay: string;
  route: string;
  label: string;
  fields: AssayField[];
  /** Repeated rows (markers, qPCR targets). */
  rows?: { name: 'markers' | 'targets'; label: string; count: number };
  importable?: { formats: string; hint: string };
}

export const ASSAYS: AssayDef[] = [
  {
    assay: 'nta', route: 'nta', label: 'NTA (nanoparticle tracking)',
    fields: [
      { name: 'modeNm', label: 'Mode size', kind: 'number', unit: 'nm', required: true },
      { name: 'meanNm', label: 'Mean size', kind: 'number', unit: 'nm', required: true },
      { name: 'd10Nm', label: 'D10', kind: 'number', unit: 'nm' },
      { name: 'd50Nm', label: 'D50', kind: 'number', unit: 'nm' },
      { name: 'd90Nm', label: 'D90', kind: 'number', unit: 'nm', required: true },
      { name: 'concentrationPerMl', label: 'Concentration (corrected for dilution)', kind: 'number', unit: 'particles/mL', required: true, hint: 'e.g. 3.1e11' },
      { name: 'dilutionFactor', label: 'Dilution factor', kind: 'number', required: true },
      { name: 'videoCount', label: 'Videos', kind: 'number', required: true, hint: 'At least 3' },
    ],
    importable: { formats: '.csv,.txt', hint: 'NanoSight ExperimentSummary CSV (NTA 3.2–3.4)' },
  },
  {
    assay: 'em', route: 'em', label: 'Electron microscopy',
    fields: [
      { name: 'method', label: 'Method', kind: 'select', options: ['tem', 'cryo_em', 'sem'], required: true },
      { name: 'morphology', label: 'Morphology', kind: 'select', options: ['cup_shaped', 'round', 'irregular', 'aggregated', 'no_vesicles'], required: true },
      { name: 'sizeRangeMinNm', label: 'Smallest vesicle', kind: 'number', unit: 'nm', required: true },
      { name: 'sizeRangeMaxNm', label: 'Largest vesicle', kind: 'number', unit: 'nm', required: true },
    ],
  },
  {
    assay: 'western_blot', route: 'western-blot', label: 'Western blot',
    fields: [],
    rows: { name: 'markers', label: 'Markers', count: 5 },
  },
  {
    assay: 'facs', route: 'facs', label: 'Flow cytometry (FACS)',
    fields: [
      { name: 'marker', label: 'Marker', kind: 'text', required: true },
      { name: 'percentPositive', label: 'Marker-positive events', kind: 'number', unit: '%', required: true },
      { name: 'isotypeControlPercent', label: 'Isotype control positive', kind: 'number', unit: '%', required: true },
      { name: 'eventCount', label: 'Events', kind: 'number' },
      { name: 'method', label: 'Method', kind: 'select', options: ['bead_based', 'nano_flow'] },
    ],
    importable: { formats: '.fcs', hint: 'FCS 2.0/3.0/3.1: give the channel and gate threshold' },
  },
  {
    assay: 'protein', route: 'protein', label: 'Protein quantification',
    fields: [
      { name: 'method', label: 'Method', kind: 'select', options: ['bca', 'micro_bca', 'bradford'], required: true },
      { name: 'concentrationUgPerMl', label: 'Protein concentration', kind: 'number', unit: 'µg/mL', required: true, hint: 'Purity = NTA concentration ÷ protein' },
    ],
  },
  {
    assay: 'rna_isolation', route: 'rna-isolation', label: 'RNA isolation',
    fields: [
      { name: 'kitName', label: 'Kit', kind: 'text', required: true },
      { name: 'yieldNg', label: 'RNA recovered', kind: 'number', unit: 'ng', required: true },
    ],
  },
  {
    assay: 'bioanalyzer', route: 'bioanalyzer', label: 'Bioanalyzer / TapeStation',
    fields: [
      { name: 'instrumentType', label: 'Instrument type', kind: 'select', options: ['bioanalyzer', 'tapestation'], required: true },
      { name: 'concentrationPgPerUl', label: 'RNA concentration', kind: 'number', unit: 'pg/µL', required: true },
      { name: 'smallRnaFractionPercent', label: 'Small-RNA fraction', kind: 'number', unit: '%' },
      { name: 'rin', label: 'RIN / RINe', kind: 'number' },
      { name: 'smallRnaProfile', label: 'Small-RNA profile', kind: 'select', options: ['present', 'absent'], required: true },
      { name: 'sampleName', label: 'Sample name', kind: 'text' },
    ],
    importable: { formats: '.xml,.gz', hint: 'Agilent TapeStation/Bioanalyzer XML (.xml or .xml.gz); give the sample or well' },
  },
  {
    assay: 'qpcr', route: 'qpcr', label: 'qRT-PCR',
    fields: [{ name: 'sampleName', label: 'Sample name', kind: 'text' }],
    rows: { name: 'targets', label: 'Targets', count: 4 },
    importable: { formats: '.rdml,.xml,.zip', hint: 'RDML 1.1–1.4: name the reference targets' },
  },
  {
    assay: 'sterility', route: 'sterility', label: 'Sterility',
    fields: [
      { name: 'result', label: 'Result', kind: 'select', options: ['no_growth', 'growth'], required: true },
      { name: 'method', label: 'Method', kind: 'text' },
    ],
  },
  {
    assay: 'endotoxin', route: 'endotoxin', label: 'Endotoxin (LAL)',
    fields: [
      { name: 'euPerMl', label: 'Endotoxin', kind: 'number', unit: 'EU/mL', required: true },
      { name: 'method', label: 'Method', kind: 'select', options: ['gel_clot', 'kinetic_chromogenic', 'kinetic_turbidimetric', 'recombinant_factor_c'] },
    ],
  },
  {
    assay: 'mycoplasma', route: 'mycoplasma', label: 'Mycoplasma',
    fields: [
      { name: 'result', label: 'Result', kind: 'select', options: ['negative', 'positive', 'inconclusive'], required: true },
      { name: 'method', label: 'Method', kind: 'select', options: ['pcr', 'culture', 'luminescence'] },
    ],
  },
];

export const IMPORT_ASSAYS = ASSAYS.filter((a) => a.importable);

export type Criterion =
  | { kind: 'range'; min?: number; max?: number; maxExclusive?: boolean; unit?: string }
  | { kind: 'min_count'; min: number }
  | { kind: 'marker'; marker: string; expected: string[] }
  | { kind: 'any_marker_present'; markers: string[] }
  | { kind: 'categorical'; allowed: string[] }
  | { kind: 'recorded' };

export interface CriterionLine {
  id?: string;
  assay: string;
  parameter: string;
  label: string;
  criterion: Criterion;
  appliesToSource: string | null;
  required: boolean;
  expected?: string;
}

/** What a criterion accepts, in words (the API sends `expected`; templates do not). */
export function describeCriterion(c: Criterion): string {
  switch (c.kind) {
    case 'range': {
      const unit = c.unit ? ` ${c.unit}` : '';
      if (c.min !== undefined && c.max !== undefined) return `${c.min}–${c.max}${unit}`;
      if (c.min !== undefined) return `≥ ${c.min}${unit}`;
      if (c.max !== undefined) return `${c.maxExclusive ? '<' : '≤'} ${c.max}${unit}`;
      return `recorded${unit}`;
    }
    case 'min_count': return `≥ ${c.min}`;
    case 'marker': return `${c.marker} ${c.expected.join(' or ')}`;
    case 'any_marker_present': return `${c.markers.join(' or ')} present`;
    case 'categorical': return c.allowed.map((a) => a.replace(/_/g, ' ')).join(' or ');
    case 'recorded': return 'recorded';
  }
}

/**
 * A preview of the verdict while typing, from the bound specification. The API's verdict on
 * saving is the one that counts; this only saves a round trip.
 */
export function previewVerdict(c: Criterion, value: unknown, markers?: { marker: string; result: string }[]): 'pass' | 'fail' | null {
  switch (c.kind) {
    case 'range': {
      if (typeof value !== 'number' || Number.isNaN(value)) return null;
      if (c.min !== undefined && value < c.min) return 'fail';
      if (c.max !== undefined && (c.maxExclusive ? value >= c.max : value > c.max)) return 'fail';
      return 'pass';
    }
    case 'min_count':
      return typeof value === 'number' && !Number.isNaN(value) ? (value >= c.min ? 'pass' : 'fail') : null;
    case 'categorical':
      return typeof value === 'string' && value ? (c.allowed.includes(value) ? 'pass' : 'fail') : null;
    case 'recorded':
      return value === undefined || value === null || value === '' ? null : 'pass';
    case 'marker': {
      const row = markers?.find((m) => m.marker.trim().toLowerCase() === c.marker.toLowerCase() && m.result);
      return row ? (c.expected.includes(row.result) ? 'pass' : 'fail') : markers ? 'fail' : null;
    }
    case 'any_marker_present': {
      if (!markers) return null;
      return markers.some((m) => c.markers.some((x) => x.toLowerCase() === m.marker.trim().toLowerCase()) && m.result === 'present') ? 'pass' : 'fail';
    }
  }
}
