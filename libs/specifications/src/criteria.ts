/**
 * Acceptance criteria and their evaluation: pure functions, so every verdict shown to a
 * technician or signed by QA can be recomputed and unit-tested.
 */
export const ASSAYS = ['nta', 'em', 'western_blot', 'facs', 'protein', 'rna_isolation', 'bioanalyzer', 'qpcr', 'sterility', 'endotoxin', 'mycoplasma'] as const;
export type Assay = (typeof ASSAYS)[number];

export type MarkerState = 'present' | 'absent' | 'depleted';

export type Criterion =
  | { kind: 'range'; min?: number; max?: number; maxExclusive?: boolean; unit: string }
  | { kind: 'min_count'; min: number }
  | { kind: 'marker'; marker: string; expected: MarkerState[] }
  | { kind: 'any_marker_present'; markers: string[] }
  | { kind: 'categorical'; allowed: string[] }
  | { kind: 'recorded' };

export interface CriterionLine {
  id: string;
  assay: Assay;
  /** Dotted path of the value in the result's data (e.g. modeNm), or a marker name. */
  parameter: string;
  label: string;
  criterion: Criterion;
  /** Only for batches of this source type; null means all. */
  appliesToSource: 'cell_culture_media' | 'serum' | null;
  required: boolean;
}

export type Verdict = 'pass' | 'fail' | 'not_evaluable';

export interface ParameterVerdict {
  criterionId: string;
  parameter: string;
  label: string;
  value: unknown;
  expected: string;
  verdict: Verdict;
  note?: string;
}

export function describeCriterion(c: Criterion): string {
  switch (c.kind) {
    case 'range':
      if (c.min !== undefined && c.max !== undefined) return `${c.min}–${c.max} ${c.unit}`.trim();
      if (c.min !== undefined) return `≥ ${c.min} ${c.unit}`.trim();
      if (c.max !== undefined) return `${c.maxExclusive ? '<' : '≤'} ${c.max} ${c.unit}`.trim();
      return `recorded (${c.unit})`;
    case 'min_count':
      return `≥ ${c.min}`;
    case 'marker':
      return `${c.marker} ${c.expected.join(' or ')}`;
    case 'any_marker_present':
      return `${c.markers.join(' or ')} present`;
    case 'categorical':
      return c.allowed.join(' or ');
    case 'recorded':
      return 'recorded';
  }
}

/** Judges one value against one criterion. Missing or non-numeric values are not evaluable. */
export function judge(c: Criterion, value: unknown, markers?: Record<string, MarkerState>): { verdict: Verdict; value: unknown; note?: string } {
  switch (c.kind) {
    case 'range':
    case 'min_count': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return { verdict: 'not_evaluable', value: value ?? null, note: 'no numeric value' };
      const min = c.min;
      const max = c.kind === 'range' ? c.max : undefined;
      const exclusive = c.kind === 'range' && c.maxExclusive === true;
      const ok = (min === undefined || value >= min) && (max === undefined || (exclusive ? value < max : value <= max));
      return { verdict: ok ? 'pass' : 'fail', value };
    }
    case 'marker': {
      const state = markers?.[normaliseMarker(c.marker)];
      if (!state) return { verdict: 'not_evaluable', value: null, note: `${c.marker} not reported` };
      return { verdict: c.expected.includes(state) ? 'pass' : 'fail', value: state };
    }
    case 'any_marker_present': {
      const reported = c.markers.filter((m) => markers?.[normaliseMarker(m)] !== undefined);
      if (reported.length === 0) return { verdict: 'not_evaluable', value: null, note: `none of ${c.markers.join(', ')} reported` };
      const present = c.markers.filter((m) => markers?.[normaliseMarker(m)] === 'present');
      return { verdict: present.length > 0 ? 'pass' : 'fail', value: present.length ? present.join(', ') : 'none present' };
    }
    case 'categorical': {
      if (typeof value !== 'string') return { verdict: 'not_evaluable', value: value ?? null, note: 'no value' };
      return { verdict: c.allowed.includes(value) ? 'pass' : 'fail', value };
    }
    case 'recorded':
      return value === undefined || value === null || value === '' ? { verdict: 'not_evaluable', value: null, note: 'not recorded' } : { verdict: 'pass', value };
  }
}

export function normaliseMarker(name: string): string {
  return name.trim().toUpperCase().replace(/[\s_-]/g, '');
}

/** Reads a dotted path (e.g. "average.modeNm") from a result's data. */
export function valueAt(data: unknown, path: string): unknown {
  let current: unknown = data;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** The criteria that apply to a batch of the given source, for one assay. */
export function criteriaFor(lines: CriterionLine[], assay: Assay, source: 'cell_culture_media' | 'serum'): CriterionLine[] {
  return lines.filter((l) => l.assay === assay && (l.appliesToSource === null || l.appliesToSource === source));
}

/**
 * Evaluates one result's data against the assay's criteria. `derived` carries values that
 * come from other results (the purity ratio needs the NTA concentration).
 */
export function evaluateResult(assay: Assay, data: Record<string, unknown>, lines: CriterionLine[], source: 'cell_culture_media' | 'serum', derived: Record<string, unknown> = {}): { verdicts: ParameterVerdict[]; outcome: Verdict } {
  const markers = markerMap(data);
  const verdicts = criteriaFor(lines, assay, source).map((line): ParameterVerdict => {
    const raw = line.parameter in derived ? derived[line.parameter] : valueAt(data, line.parameter);
    const judged = judge(line.criterion, raw, markers);
    return { criterionId: line.id, parameter: line.parameter, label: line.label, value: judged.value, expected: describeCriterion(line.criterion), verdict: judged.verdict, ...(judged.note ? { note: judged.note } : {}) };
  });
  return { verdicts, outcome: overall(verdicts) };
}

export function overall(verdicts: ParameterVerdict[]): Verdict {
  if (verdicts.some((v) => v.verdict === 'fail')) return 'fail';
  if (verdicts.some((v) => v.verdict === 'not_evaluable')) return 'not_evaluable';
  return 'pass';
}

function markerMap(data: Record<string, unknown>): Record<string, MarkerState> | undefined {
  const list = data.markers;
  if (!Array.isArray(list)) return undefined;
  const map: Record<string, MarkerState> = {};
  for (const entry of list as { marker?: string; result?: MarkerState }[]) {
    if (entry?.marker && entry.result) map[normaliseMarker(entry.marker)] = entry.result;
  }
  return map;
}
