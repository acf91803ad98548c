import { parseCsv, type CsvRow } from './csv.js';
import { InstrumentFileError, guardParser } from './errors.js';
import { decodeText, prepareInput, type ParseLimits } from './input.js';
import {
  cellAt, findRow, findSection, layoutFromHeader, normaliseLabel, parseNumber, splitSections,
  type ColumnLayout, type NtaSection,
} from './nta-sections.js';
import { describeWarnings, warningRows, type NtaWarningRow } from './nta-warnings.js';

export type { NtaWarningRow } from './nta-warnings.js';

/** Size statistics in nm, as NTA reports them (number-weighted unless the file says otherwise). */
export interface NtaSizeStatistics {
  meanNm: number | null;
  modeNm: number | null;
  sdNm: number | null;
  d10Nm: number | null;
  d50Nm: number | null;
  d90Nm: number | null;
}

export interface NtaMeasurement extends NtaSizeStatistics {
  /** Particles per mL, already corrected by the dilution factor NTA recorded (if any). */
  concentrationPerMl: number | null;
  /** null when NTA wrote "Not recorded" or nothing. */
  dilutionFactor: number | null;
}

export interface NtaVideo extends NtaMeasurement {
  /** 1-based video column. */
  index: number;
  name: string;
}

export interface NtaSizeBin {
  binCentreNm: number;
  /** The file's average column; for a single-video file, that video's value. */
  concentrationPerMl: number | null;
  standardError: number | null;
  perVideo: (number | null)[];
}

export interface NtaSizeDistribution {
  weighting: string | null;
  bins: NtaSizeBin[];
}


export interface NtaExperimentSummary {
  /** Full software description ("NTA 3.2 Dev Build 3.2.16" or the Software Version row). */
  softwareVersion: string | null;
  /** major.minor, e.g. "3.2". */
  ntaVersion: string | null;
  experimentName: string | null;
  sampleName: string | null;
  videoCount: number;
  videos: NtaVideo[];
  /** The file's Average column (for one video: that video). Absent values are null. */
  average: NtaMeasurement;
  /** The Standard Error column, when the file has one. */
  standardError: NtaMeasurement | null;
  /** Average dilution, or the common value of all videos. */
  dilutionFactor: number | null;
  /** Human-readable instrument warnings (non-OK entries of [Concentration Warnings], errors in [Information]). */
  warnings: string[];
  concentrationWarnings: NtaWarningRow[];
  sizeDistribution: NtaSizeDistribution | null;
  sections: string[];
}

const FILE_SIGNATURE = 'nta experiment summary file';

const STAT_ALIASES: Record<keyof NtaSizeStatistics, readonly string[]> = {
  meanNm: ['mean', 'mean size'],
  modeNm: ['mode', 'mode size'],
  sdNm: ['sd', 'standard deviation', 'std dev', 'stdev'],
  d10Nm: ['d10'],
  d50Nm: ['d50', 'median'],
  d90Nm: ['d90'],
};
const CONCENTRATION_ALIASES = ['concentration', 'particle concentration', 'concentration (particles/ml)'];
const DILUTION_ALIASES = ['dilution factor', 'dilution'];

export function parseNtaExperimentSummary(input: Uint8Array, limits?: ParseLimits): NtaExperimentSummary {
  return guardParser('nanosight-nta', () => {
    const bytes = prepareInput(input, limits, 'nanosight-nta');
    const rows = parseCsv(decodeText(bytes), 'nanosight-nta');
    const firstRow = rows.find((row) => row.cells.some((cell) => cell.trim() !== ''));
    if (!firstRow || normaliseLabel(firstRow.cells[0] ?? '') !== FILE_SIGNATURE) {
      throw new InstrumentFileError(
        'instrument.unrecognised_format',
        'Not a NanoSight experiment summary: the file must start with "NTA Experiment Summary File".',
        { line: firstRow?.line ?? 1 }, 'nanosight-nta',
      );
    }
    return summarise(rows, splitSections(rows));
  });
}

function summarise(rows: CsvRow[], sections: NtaSection[]): NtaExperimentSummary {
  const results = findSection(sections, 'Results');
  if (!results) {
    throw new InstrumentFileError('instrument.missing_content', 'The summary has no [Results] section.', { section: '[Results]' }, 'nanosight-nta');
  }
  const details = findSection(sections, 'Experiment Details');
  const sizeBlock = numberWeightedSizeBlock(findSection(sections, 'Size Data'));
  const videoNames = findVideoNames(details, sizeBlock, results);
  if (videoNames.length === 0) {
    throw new InstrumentFileError('instrument.missing_content', 'No video columns found (no "Filename" row and no per-video results).', { section: '[Results]', line: results.header.line }, 'nanosight-nta');
  }
  const resultsLayout = layoutFromHeader(results.header, videoNames.length);
  const sizeLayout = layoutFromHeader(sizeBlock && findRow(sizeBlock.rows, ['filename']), videoNames.length);

  const measurementAt = (pick: (layout: ColumnLayout) => number | null): NtaMeasurement => {
    const value = (row: CsvRow | undefined, layout: ColumnLayout): number | null => parseNumber(cellAt(row, pick(layout)));
    const stat = (key: keyof NtaSizeStatistics): number | null => {
      const fromSizeData = sizeBlock ? value(findRow(sizeBlock.rows, STAT_ALIASES[key]), sizeLayout) : null;
      return fromSizeData ?? value(findRow(results.rows, STAT_ALIASES[key]), resultsLayout);
    };
    return {
      meanNm: stat('meanNm'), modeNm: stat('modeNm'), sdNm: stat('sdNm'),
      d10Nm: stat('d10Nm'), d50Nm: stat('d50Nm'), d90Nm: stat('d90Nm'),
      concentrationPerMl: value(findRow(results.rows, CONCENTRATION_ALIASES), resultsLayout),
      dilutionFactor: value(findRow(results.rows, DILUTION_ALIASES), resultsLayout),
    };
  };

  const videos: NtaVideo[] = videoNames.map((name, i) => ({ index: i + 1, name, ...measurementAt((layout) => layout.videoColumns[i]) }));
  const hasAverage = resultsLayout.averageColumn !== null || sizeLayout.averageColumn !== null;
  const average = hasAverage || videos.length !== 1 ? measurementAt((layout) => layout.averageColumn) : withoutVideoFields(videos[0]);
  const hasStandardError = resultsLayout.standardErrorColumn !== null || sizeLayout.standardErrorColumn !== null;
  const concentrationWarnings = warningRows(findSection(sections, 'Concentration Warnings'), videoNames.length);
  const version = softwareVersion(rows, details);

  return {
    ...version,
    experimentName: detailValue(details, 'experiment name'),
    sampleName: detailValue(details, 'sample name'),
    videoCount: videos.length,
    videos,
    average,
    standardError: hasStandardError ? measurementAt((layout) => layout.standardErrorColumn) : null,
    dilutionFactor: average.dilutionFactor ?? commonValue(videos.map((video) => video.dilutionFactor)),
    warnings: describeWarnings(concentrationWarnings, findSection(sections, 'Information'), videoNames),
    concentrationWarnings,
    sizeDistribution: sizeBlock ? sizeDistribution(sizeBlock, videoNames.length) : null,
    sections: sections.map((section) => section.name),
  };
}

function withoutVideoFields(video: NtaVideo): NtaMeasurement {
  const { index: _index, name: _name, ...measurement } = video;
  return measurement;
}

/**
 * NTA 3.4 writes one block per weighting (Number, Surface Area, Volume) inside [Size Data], each
 * starting at a "Weighting" row; 3.2 writes a single block. The number-weighted one is the
 * conventional report; otherwise the first block is used.
 */
function numberWeightedSizeBlock(section: NtaSection | undefined): (NtaSection & { weighting: string | null }) | undefined {
  if (!section) return undefined;
  const blocks: { weighting: string | null; rows: CsvRow[] }[] = [];
  let current: { weighting: string | null; rows: CsvRow[] } = { weighting: null, rows: [] };
  for (const row of section.rows) {
    if (normaliseLabel(row.cells[0] ?? '') === 'weighting') {
      if (current.rows.length > 0 && current.weighting !== null) blocks.push(current);
      current = { weighting: (row.cells[1] ?? '').trim() || null, rows: current.weighting === null ? current.rows : [] };
    } else {
      current.rows.push(row);
    }
  }
  blocks.push(current);
  const chosen = blocks.find((block) => block.weighting?.toLowerCase() === 'number') ?? blocks[0];
  return { ...section, rows: chosen.rows, weighting: chosen.weighting };
}

function findVideoNames(details: NtaSection | undefined, sizeBlock: NtaSection | undefined, results: NtaSection): string[] {
  const fromRow = (row: CsvRow | undefined): string[] => {
    if (!row) return [];
    const names = row.cells.slice(1).map((cell) => cell.trim());
    const stop = names.findIndex((name) => name === '' || /^(average|standard error)$/i.test(name));
    return stop === -1 ? names : names.slice(0, stop);
  };
  const named = fromRow(details && findRow(details.rows, ['filename', 'file name']));
  if (named.length > 0) return named;
  const fromSizeData = fromRow(sizeBlock && findRow(sizeBlock.rows, ['filename']));
  if (fromSizeData.length > 0) return fromSizeData;
  // No manifest row: count the numeric cells of the concentration row up to the Average column.
  const concentration = findRow(results.rows, CONCENTRATION_ALIASES);
  const averageAt = results.header.cells.findIndex((cell, i) => i > 0 && /\baverage\b/i.test(cell));
  const cells = concentration?.cells.slice(1, averageAt > 0 ? averageAt : undefined) ?? [];
  const count = cells.findIndex((cell) => parseNumber(cell) === null);
  return Array.from({ length: count === -1 ? cells.length : count }, (_, i) => `Video ${i + 1}`);
}

function sizeDistribution(block: NtaSection & { weighting: string | null }, videoCount: number): NtaSizeDistribution | null {
  const headerIndex = block.rows.findIndex((row) => /^bin cent(re|er)\b/.test(normaliseLabel(row.cells[0] ?? '')));
  if (headerIndex === -1) return null;
  const layout = layoutFromHeader(block.rows[headerIndex], videoCount);
  const bins: NtaSizeBin[] = [];
  for (const row of block.rows.slice(headerIndex + 1)) {
    const binCentreNm = parseNumber(row.cells[0]);
    if (binCentreNm === null) break;
    const perVideo = layout.videoColumns.map((column) => parseNumber(row.cells[column]));
    const average = parseNumber(cellAt(row, layout.averageColumn));
    bins.push({
      binCentreNm,
      concentrationPerMl: average ?? (videoCount === 1 ? perVideo[0] : null),
      standardError: parseNumber(cellAt(row, layout.standardErrorColumn)),
      perVideo,
    });
  }
  return { weighting: block.weighting, bins };
}

function softwareVersion(rows: CsvRow[], details: NtaSection | undefined): { softwareVersion: string | null; ntaVersion: string | null } {
  const declared = detailValue(details, 'software version');
  const createdWith = rows.slice(0, 5).map((row) => (row.cells[0] ?? '').trim()).find((cell) => /^created with\b/i.test(cell));
  const described = createdWith?.replace(/^created with\s*/i, '') || null;
  const usable = declared && !/^unknown$/i.test(declared) ? declared : described;
  const majorMinor = /(\d+\.\d+)/.exec(usable ?? '') ?? /(\d+\.\d+)/.exec(described ?? '');
  return { softwareVersion: usable, ntaVersion: majorMinor ? majorMinor[1] : null };
}

function detailValue(details: NtaSection | undefined, label: string): string | null {
  const value = details && findRow(details.rows, [label])?.cells[1]?.trim();
  return value ? value : null;
}

function commonValue(values: (number | null)[]): number | null {
  const first = values[0] ?? null;
  return first !== null && values.every((value) => value === first) ? first : null;
}
