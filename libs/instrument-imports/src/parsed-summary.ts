import type { AgilentXmlFile, FcsFile, NtaExperimentSummary, ParsedInstrumentFile, RdmlFile } from '#instruments';

const MAX_KEYWORDS = 1000;
const MAX_STRING = 2000;
const MAX_CQ_ROWS = 20_000;

/**
 * What a parser read, in a JSON-friendly and bounded shape: shown in the preview and kept with the
 * stored file. Bulk data stays out (FCS events, per-video size bins), and so does anything jsonb
 * cannot hold (NUL characters, NaN).
 */
export function summarise(parsed: ParsedInstrumentFile): Record<string, unknown> {
  switch (parsed.format) {
    case 'nanosight-nta':
      return jsonSafe(ntaSummary(parsed.data)) as Record<string, unknown>;
    case 'fcs':
      return jsonSafe(fcsSummary(parsed.data)) as Record<string, unknown>;
    case 'rdml':
      return jsonSafe(rdmlSummary(parsed.data)) as Record<string, unknown>;
    case 'agilent-xml':
      return jsonSafe(agilentSummary(parsed.data)) as Record<string, unknown>;
  }
}

function ntaSummary(s: NtaExperimentSummary): Record<string, unknown> {
  return {
    softwareVersion: s.softwareVersion, ntaVersion: s.ntaVersion, experimentName: s.experimentName, sampleName: s.sampleName,
    videoCount: s.videoCount, average: s.average, standardError: s.standardError, dilutionFactor: s.dilutionFactor,
    videos: s.videos, warnings: s.warnings, concentrationWarnings: s.concentrationWarnings, sections: s.sections,
    sizeDistribution: s.sizeDistribution && {
      weighting: s.sizeDistribution.weighting,
      bins: s.sizeDistribution.bins.map((b) => ({ sizeNm: b.binCentreNm, concentration: b.concentrationPerMl, standardError: b.standardError })),
    },
  };
}

function fcsSummary(f: FcsFile): Record<string, unknown> {
  const entries = Object.entries(f.keywords);
  return {
    version: f.version, eventCount: f.eventCount, dataType: f.dataType, byteOrder: f.byteOrder,
    parameters: f.parameters, segments: f.segments, warnings: f.warnings,
    keywords: Object.fromEntries(entries.slice(0, MAX_KEYWORDS)),
    ...(entries.length > MAX_KEYWORDS ? { keywordsOmitted: entries.length - MAX_KEYWORDS } : {}),
  };
}

function rdmlSummary(r: RdmlFile): Record<string, unknown> {
  return {
    version: r.version, container: r.container, zipEntry: r.zipEntry, targets: r.targets, samples: r.samples,
    cqValues: r.cqValues.slice(0, MAX_CQ_ROWS),
    ...(r.cqValues.length > MAX_CQ_ROWS ? { cqValuesOmitted: r.cqValues.length - MAX_CQ_ROWS } : {}),
  };
}

function agilentSummary(a: AgilentXmlFile): Record<string, unknown> {
  return { instrument: a.instrument, assay: a.assay, concentrationUnit: a.concentrationUnit, samples: a.samples };
}

/** Plain JSON values only: strings without NUL and capped, finite numbers, no functions. */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === 'string') {
    const clean = value.replace(/\u0000/g, '');
    return clean.length > MAX_STRING ? `${clean.slice(0, MAX_STRING)}…` : clean;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value === null || typeof value === 'boolean') return value;
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return Array.from(value as ArrayLike<unknown>, jsonSafe);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined && typeof v !== 'function').map(([k, v]) => [jsonSafe(k) as string, jsonSafe(v)]));
  }
  return null;
}
