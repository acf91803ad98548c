/** Display helpers: dates in the user's locale, numbers with units, labels for codes. */

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

export function date(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00` : iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: '2-digit' });
}

export function num(value: unknown, unit?: string): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value !== 'number') return `${String(value).replace(/_/g, ' ')}${unit ? ` ${unit}` : ''}`;
  const abs = Math.abs(value);
  const text = abs !== 0 && (abs >= 1e6 || abs < 1e-3) ? value.toExponential(2).replace('e+', '×10^').replace('e-', '×10^-') : Number(value.toPrecision(6)).toLocaleString(undefined, { maximumFractionDigits: 4 });
  return unit ? `${text} ${unit}` : text;
}

export function label(code: string | null | undefined): string {
  if (!code) return '—';
  const s = code.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export const STATE_LABELS: Record<string, string> = {
  harvested: 'Harvested',
  isolation_in_progress: 'Isolation in progress',
  isolated: 'Isolated',
  characterization: 'Characterization',
  qc_review: 'QC review',
  release_pending: 'Release pending',
  released: 'Released',
  rejected: 'Rejected',
  quarantined: 'Quarantined',
};

/** What a batch in each state is waiting for, in the lab's words. */
export const WAITING_FOR: Record<string, string> = {
  harvested: 'Isolation steps (first step starts isolation)',
  isolation_in_progress: 'More isolation steps, then completion with the yield',
  isolated: 'First characterization result (binds the effective specification)',
  characterization: 'Remaining required assay results',
  qc_review: 'Release gate: every checklist line must pass (open OOS investigations block it)',
  release_pending: 'QA release signature',
  released: 'Fill, storage and shipment',
  rejected: 'Nothing: rejected batches never leave the lab',
  quarantined: 'Disposition of the hold (investigation, excursion or recall)',
};

export const ASSAY_LABELS: Record<string, string> = {
  nta: 'NTA (particle size and concentration)',
  em: 'Electron microscopy',
  western_blot: 'Western blot',
  facs: 'Flow cytometry (FACS)',
  protein: 'Protein quantification',
  rna_isolation: 'RNA isolation',
  bioanalyzer: 'Bioanalyzer / TapeStation',
  qpcr: 'qRT-PCR',
  sterility: 'Sterility',
  endotoxin: 'Endotoxin (LAL)',
  mycoplasma: 'Mycoplasma',
};

export function shortId(id: string | null | undefined): string {
  return id ? id.slice(0, 8) : '—';
}
