import { createHash } from 'node:crypto';
import { deriveValues, type ResultRow } from '#characterization';
import { criteriaFor, describeCriterion, judge, normaliseMarker, valueAt, type Assay, type CriterionLine, type MarkerState } from '#specifications';

export type LineStatus = 'pass' | 'fail';

export interface ChecklistLine {
  key: string;
  requirement: string;
  status: LineStatus;
  detail: string;
  evidence: { resultId?: string; version?: number; investigation?: string; lot?: string; [k: string]: unknown }[];
}

export interface ChecklistInput {
  sourceType: 'cell_culture_media' | 'serum';
  criteria: CriterionLine[];
  /** Current (newest) version of every result lineage of the batch. */
  results: ResultRow[];
  investigations: { number: string; status: 'open' | 'closed'; conclusion: string | null; assay: string }[];
  lots: { lotNumber: string; reagentName: string; recalledAt: string | null }[];
  /** Lines other workflow steps add (cold-chain excursions, ...). */
  extraLines?: ChecklistLine[];
}

export interface Checklist {
  passed: boolean;
  lines: ChecklistLine[];
  contentHash: string;
  /** Every result id the checklist rests on. */
  resultIds: string[];
}

/**
 * Builds the release checklist from current records. Pure: the same records give the same
 * lines and the same hash, whoever runs it and however often.
 */
export function buildChecklist(input: ChecklistInput): Checklist {
  const lines: ChecklistLine[] = [];
  const applicable = input.criteria.filter((c) => c.appliesToSource === null || c.appliesToSource === input.sourceType);
  const requiredAssays = [...new Set(applicable.filter((c) => c.required).map((c) => c.assay))];
  const latest = latestByAssay(input.results);
  const ntaConcentration = (latest.get('nta')?.data.concentrationPerMl as number | undefined) ?? null;

  for (const assay of requiredAssays) {
    const result = latest.get(assay);
    lines.push({
      key: `assay:${assay}`,
      requirement: `${label(assay)} result recorded`,
      status: result ? 'pass' : 'fail',
      detail: result ? `version ${result.version}, performed ${new Date(result.performedAt).toISOString()}` : 'no result recorded',
      evidence: result ? [{ resultId: result.id, version: result.version }] : [],
    });
  }

  for (const assay of requiredAssays) {
    const result = latest.get(assay);
    const derived = result ? deriveValues(assay, result.data, { ntaConcentrationPerMl: ntaConcentration }) : {};
    for (const line of criteriaFor(applicable, assay, input.sourceType).filter((c) => c.required)) {
      const value = result ? (line.parameter in derived ? derived[line.parameter] : valueAt(result.data, line.parameter)) : undefined;
      const judged = result ? judge(line.criterion, value, markerMap(result.data)) : { verdict: 'not_evaluable' as const, value: null, note: 'no result' };
      lines.push({
        key: `criterion:${assay}:${line.parameter}`,
        requirement: `${line.label}: ${describeCriterion(line.criterion)}`,
        status: judged.verdict === 'pass' ? 'pass' : 'fail',
        detail: judged.verdict === 'pass' ? `${formatValue(judged.value)} (in specification)` : judged.verdict === 'fail' ? `${formatValue(judged.value)} (out of specification)` : `not evaluable: ${judged.note ?? 'no value'}`,
        evidence: result ? [{ resultId: result.id, version: result.version, value: judged.value ?? null }] : [],
      });
    }
  }

  const open = input.investigations.filter((i) => i.status === 'open');
  lines.push({ key: 'investigations:none_open', requirement: 'No open OOS investigation', status: open.length ? 'fail' : 'pass', detail: open.length ? `open: ${open.map((i) => i.number).join(', ')}` : 'none open', evidence: open.map((i) => ({ investigation: i.number })) });
  const confirmed = input.investigations.filter((i) => i.conclusion === 'confirmed_oos');
  lines.push({ key: 'investigations:no_confirmed_oos', requirement: 'No confirmed out-of-specification result', status: confirmed.length ? 'fail' : 'pass', detail: confirmed.length ? `confirmed OOS: ${confirmed.map((i) => i.number).join(', ')}` : 'none', evidence: confirmed.map((i) => ({ investigation: i.number })) });
  const recalled = input.lots.filter((l) => l.recalledAt);
  lines.push({ key: 'reagents:lots_valid', requirement: 'Every reagent lot used is valid (not recalled)', status: recalled.length ? 'fail' : 'pass', detail: recalled.length ? `recalled: ${recalled.map((l) => `${l.reagentName} lot ${l.lotNumber}`).join(', ')}` : `${input.lots.length} lot(s) used, none recalled`, evidence: input.lots.map((l) => ({ lot: l.lotNumber, recalled: !!l.recalledAt })) });

  lines.push(...(input.extraLines ?? []));
  const resultIds = [...new Set(lines.flatMap((l) => l.evidence.map((e) => e.resultId).filter((id): id is string => !!id)))].sort();
  const passed = lines.every((l) => l.status === 'pass');
  const contentHash = createHash('sha256').update(JSON.stringify({ passed, lines })).digest('hex');
  return { passed, lines, contentHash, resultIds };
}

/** Whether every required assay has a result: characterization is then complete. */
export function requiredAssaysRecorded(checklist: Checklist): boolean {
  return checklist.lines.filter((l) => l.key.startsWith('assay:')).every((l) => l.status === 'pass');
}

/** The newest current result per assay (a retest supersedes the failed original). */
function latestByAssay(results: ResultRow[]): Map<Assay, ResultRow> {
  const latest = new Map<Assay, ResultRow>();
  for (const r of results) {
    const seen = latest.get(r.assay);
    const key = (x: ResultRow) => `${new Date(x.performedAt).toISOString()}|${new Date(x.recordedAt).toISOString()}`;
    if (!seen || key(r) > key(seen)) latest.set(r.assay, r);
  }
  return latest;
}

function markerMap(data: Record<string, unknown>): Record<string, MarkerState> | undefined {
  if (!Array.isArray(data.markers)) return undefined;
  return Object.fromEntries((data.markers as { marker: string; result: MarkerState }[]).map((m) => [normaliseMarker(m.marker), m.result]));
}

function formatValue(value: unknown): string {
  if (typeof value === 'number') return Math.abs(value) >= 1e5 ? value.toExponential(2) : String(Math.round(value * 1000) / 1000);
  return value === null || value === undefined ? '—' : String(value);
}

const LABELS: Record<string, string> = {
  nta: 'NTA', em: 'Electron microscopy', western_blot: 'Western blot', facs: 'Flow cytometry', protein: 'Protein quantification',
  rna_isolation: 'RNA isolation', bioanalyzer: 'Bioanalyzer/TapeStation', qpcr: 'qRT-PCR', sterility: 'Sterility', endotoxin: 'Endotoxin', mycoplasma: 'Mycoplasma',
};
export const label = (assay: string) => LABELS[assay] ?? assay;
