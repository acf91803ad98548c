import {
  fcsPercentAbove, type AgilentSample, type AgilentXmlFile, type FcsFile, type InstrumentFormat, type NtaExperimentSummary,
  type ParsedInstrumentFile, type RdmlCq, type RdmlFile,
} from '#instruments';
import { DomainError } from '#platform';

/** The assays an instrument file can produce, and the file format each one is read from. */
export const IMPORT_ASSAYS = ['nta', 'facs', 'qpcr', 'bioanalyzer'] as const;
export type ImportAssay = (typeof IMPORT_ASSAYS)[number];
export const FORMAT_OF_ASSAY: Record<ImportAssay, InstrumentFormat> = { nta: 'nanosight-nta', facs: 'fcs', qpcr: 'rdml', bioanalyzer: 'agilent-xml' };
export const ASSAY_OF_FORMAT: Record<InstrumentFormat, ImportAssay> = { 'nanosight-nta': 'nta', fcs: 'facs', rdml: 'qpcr', 'agilent-xml': 'bioanalyzer' };

/** How a file's numbers become a result, where the file alone cannot say (gate, isotype, reference genes). */
export interface MappingOptions {
  channel?: string;
  threshold?: number;
  isotypeControlPercent?: number;
  marker?: string;
  referenceTargets?: string[];
}

/** One result the file could record: the data exactly as ResultsService would store it. */
export interface ResultCandidate {
  assay: ImportAssay;
  label: string;
  /** The value to send as `sample` on import (RDML sample id, Agilent well); null when the file holds one result. */
  sample: string | null;
  data: Record<string, unknown>;
}

/** The FCS gate: % of events above the threshold on one channel. */
export interface FcsGate {
  channel: string;
  parameter: string;
  threshold: number;
  eventCount: number;
  eventsAbove: number;
  percentAbove: number;
}

export interface CandidateSet {
  candidates: ResultCandidate[];
  /** Why something was assumed or left out, in words for the technician. */
  notes: string[];
  gate?: FcsGate;
}

export const DEFAULT_FACS_MARKER = 'CD63';
const MAX_WARNINGS = 50;
const MAX_WARNING_LENGTH = 500;
const MAX_SIZE_BINS = 5000;
const RNA_INTEGRITY_METRICS = new Set(['RIN', 'RINe', 'eRIN']);

/** Maps a parsed file to the results it can record. Pure; throws DomainError only for options that contradict the file. */
export function resultCandidates(parsed: ParsedInstrumentFile, options: MappingOptions = {}): CandidateSet {
  switch (parsed.format) {
    case 'nanosight-nta':
      return ntaCandidates(parsed.data);
    case 'fcs':
      return facsCandidates(parsed.data, options);
    case 'rdml':
      return qpcrCandidates(parsed.data, options.referenceTargets);
    case 'agilent-xml':
      return bioanalyzerCandidates(parsed.data);
  }
}

function ntaCandidates(summary: NtaExperimentSummary): CandidateSet {
  const notes: string[] = [];
  const average = summary.average;
  let dilutionFactor = summary.dilutionFactor;
  if (dilutionFactor === null) {
    dilutionFactor = 1;
    notes.push('The file records no dilution factor ("Not recorded"): 1 is entered and the concentration is taken as NTA reported it.');
  }
  if (summary.warnings.length > MAX_WARNINGS) notes.push(`The file has ${summary.warnings.length} warnings; the first ${MAX_WARNINGS} are recorded.`);
  const bins = (summary.sizeDistribution?.bins ?? []).filter((bin) => bin.concentrationPerMl !== null);
  let sizeDistribution: { sizeNm: number; concentration: number }[] | undefined = bins.map((bin) => ({ sizeNm: bin.binCentreNm, concentration: bin.concentrationPerMl as number }));
  if (sizeDistribution.length === 0) sizeDistribution = undefined;
  else if (sizeDistribution.length > MAX_SIZE_BINS) {
    notes.push(`The size distribution has ${sizeDistribution.length} bins, more than the ${MAX_SIZE_BINS} a result holds; it stays in the stored file only.`);
    sizeDistribution = undefined;
  }
  const data = compact({
    meanNm: average.meanNm, modeNm: average.modeNm, d10Nm: average.d10Nm, d50Nm: average.d50Nm, d90Nm: average.d90Nm,
    concentrationPerMl: average.concentrationPerMl, dilutionFactor, videoCount: summary.videoCount,
    warnings: summary.warnings.slice(0, MAX_WARNINGS).map((w) => w.slice(0, MAX_WARNING_LENGTH)),
    sizeDistribution,
  });
  const name = summary.sampleName ?? summary.experimentName ?? 'NTA experiment';
  return { candidates: [{ assay: 'nta', label: `${name}: average of ${summary.videoCount} videos`, sample: null, data }], notes };
}

function facsCandidates(file: FcsFile, options: MappingOptions): CandidateSet {
  if (options.channel === undefined || options.threshold === undefined) {
    return { candidates: [], notes: ['Give "channel" and "threshold" to compute the % of marker-positive events.'] };
  }
  const index = file.parameterIndex(options.channel);
  const percentAbove = fcsPercentAbove(file, options.channel, options.threshold);
  const gate: FcsGate = {
    channel: options.channel, parameter: file.parameters[index].label, threshold: options.threshold, eventCount: file.eventCount,
    eventsAbove: Math.round((percentAbove / 100) * file.eventCount), percentAbove,
  };
  if (options.isotypeControlPercent === undefined) {
    return { candidates: [], gate, notes: ['Give "isotypeControlPercent" (the same gate on the isotype-control file) to build a FACS result.'] };
  }
  const marker = options.marker ?? DEFAULT_FACS_MARKER;
  const data = { marker, percentPositive: percentAbove, isotypeControlPercent: options.isotypeControlPercent, eventCount: file.eventCount };
  const label = `${marker}+ events: ${round(percentAbove, 2)} % above ${options.threshold} on ${gate.parameter} (isotype ${options.isotypeControlPercent} %)`;
  return { candidates: [{ assay: 'facs', label, sample: null, data }], gate, notes: [] };
}

function qpcrCandidates(file: RdmlFile, referenceTargets?: string[]): CandidateSet {
  const targetsInFile = new Set([...file.targets.map((t) => t.id), ...file.cqValues.flatMap((row) => (row.targetId === null ? [] : [row.targetId]))]);
  const references = referenceTargets ? new Set(referenceTargets) : null;
  const unknown = referenceTargets?.filter((t) => !targetsInFile.has(t)) ?? [];
  if (unknown.length) {
    throw DomainError.field('instrument.unknown_target', 'referenceTargets', 'inFile', `Not a target in this file: ${unknown.join(', ')} (it has: ${[...targetsInFile].join(', ') || 'none'}).`);
  }
  const typeOf = new Map(file.targets.map((t) => [t.id, t.type]));
  // Without referenceTargets, RDML's own target type says which targets are references ("ref").
  const isReference = (target: string) => (references ? references.has(target) : typeOf.get(target) === 'ref');
  const bySample = new Map<string, RdmlCq[]>();
  for (const row of file.cqValues) {
    const key = row.sampleId ?? '';
    bySample.set(key, [...(bySample.get(key) ?? []), row]);
  }
  const sampleType = new Map(file.samples.map((s) => [s.id, s.type]));
  const candidates: ResultCandidate[] = [];
  const notes: string[] = [];
  for (const [sample, rows] of bySample) {
    const name = sample || '(no sample)';
    const measured = rows.filter((row) => row.targetId !== null);
    if (measured.every((row) => row.cqRaw === null)) {
      notes.push(`Sample ${name}: no Cq values in the file (amplification or melting data only); no qPCR result.`);
      continue;
    }
    // One entry per reaction and target: replicates stay visible, and the gate judges the worst one.
    const targets = measured.map((row) => compact({ target: row.targetId, cq: row.cq ?? undefined, isReference: isReference(row.targetId as string) }));
    const type = sampleType.get(sample);
    const label = `${name}${type ? ` (${type})` : ''}: ${targets.length} Cq values for ${[...new Set(measured.map((r) => r.targetId))].join(', ')}`;
    candidates.push({ assay: 'qpcr', label, sample: sample || null, data: compact({ targets, sampleName: sample || undefined }) });
  }
  if (candidates.length && !candidates.some((c) => (c.data.targets as { isReference: boolean }[]).some((t) => t.isReference))) {
    notes.push('No target is marked as a reference: name them in "referenceTargets" (comma-separated) for the reference Cq criterion.');
  }
  return { candidates, notes };
}

function bioanalyzerCandidates(file: AgilentXmlFile): CandidateSet {
  const candidates: ResultCandidate[] = [];
  const notes: string[] = [];
  if (file.instrument === 'unknown') return { candidates, notes: ['The export does not say whether it is from a TapeStation or a Bioanalyzer.'] };
  for (const sample of file.samples) {
    const name = sample.well ?? sample.name ?? '(unnamed)';
    if (sample.isLadder) {
      notes.push(`${name}: the ladder is not a sample; no result.`);
      continue;
    }
    const concentration = toPgPerUl(sample);
    if (concentration === null) {
      const found = sample.concentration === null ? 'none' : `${sample.concentration} ${sample.concentrationUnit ?? '(no unit)'}`;
      notes.push(`${name}: no concentration in a known unit (found: ${found}); no result.`);
      continue;
    }
    const integrity = sample.integrity;
    const rin = integrity && RNA_INTEGRITY_METRICS.has(integrity.metric) && integrity.value !== null && integrity.value >= 1 && integrity.value <= 10 ? integrity.value : undefined;
    const data = compact({
      instrumentType: file.instrument, concentrationPgPerUl: concentration, rin,
      smallRnaProfile: concentration > 0 ? 'present' : 'absent', sampleName: (sample.name ?? sample.well ?? undefined)?.slice(0, 120),
    });
    const detail = `${sample.concentration} ${sample.concentrationUnit}${rin !== undefined ? `, ${integrity!.metric} ${rin}` : ''}`;
    candidates.push({ assay: 'bioanalyzer', label: `${[sample.well, sample.name].filter(Boolean).join(' ')} (${detail})`, sample: sample.well ?? sample.name, data });
  }
  return { candidates, notes };
}

/** pg/µL per one unit of each concentration unit Agilent software writes. */
const PG_PER_UL: Record<string, number> = {
  'pg/µl': 1, 'ng/ml': 1, 'ng/µl': 1000, 'µg/ml': 1000, 'µg/µl': 1e6, 'mg/ml': 1e6, 'pg/ml': 1e-3,
};

export function toPgPerUl(sample: Pick<AgilentSample, 'concentration' | 'concentrationUnit'>): number | null {
  if (sample.concentration === null || sample.concentrationUnit === null) return null;
  // Micro sign (U+00B5), Greek mu (U+03BC) and "u" all mean micro; case and spaces do not matter.
  const unit = sample.concentrationUnit.toLowerCase().replace(/\s+/g, '').replace(/[\u03bcu]/g, 'µ');
  const factor = PG_PER_UL[unit];
  if (factor === undefined || sample.concentration < 0) return null;
  return round(sample.concentration * factor, 6);
}

/**
 * The candidate to record: the one for the assay, chosen by `sample` (RDML sample id, Agilent well
 * or unique sample name) when the file holds several.
 */
export function selectCandidate(set: CandidateSet, assay: ImportAssay, sample?: string): ResultCandidate {
  const candidates = set.candidates.filter((c) => c.assay === assay);
  if (candidates.length === 0) {
    throw new DomainError('instrument.missing_content', `No ${assay} result can be built from this file. ${set.notes.join(' ')}`.trim());
  }
  const available = candidates.map((c) => c.sample).filter((s): s is string => s !== null);
  if (sample === undefined) {
    if (candidates.length === 1) return candidates[0];
    throw DomainError.validation([{ field: 'sample', rule: 'required', message: `The file holds ${candidates.length} samples; name one in "sample" (${available.join(', ')}).` }]);
  }
  if (candidates.length === 1 && candidates[0].sample === null) return candidates[0];
  const exact = candidates.filter((c) => c.sample === sample);
  const byName = exact.length ? exact : candidates.filter((c) => c.data.sampleName === sample);
  if (byName.length === 1) return byName[0];
  if (byName.length > 1) {
    throw DomainError.validation([{ field: 'sample', rule: 'unique', message: `${byName.length} samples are named "${sample}"; name one by well (${byName.map((c) => c.sample).join(', ')}).` }]);
  }
  throw DomainError.field('instrument.sample_not_found', 'sample', 'inFile', `No sample "${sample}" in this file (it has: ${available.join(', ')}).`);
}

function compact<T extends Record<string, unknown>>(record: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== null && value !== undefined));
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
