import { InstrumentFileError, guardParser } from './errors.js';
import { prepareInput, type ParseLimits } from './input.js';
import { childElement, childElements, childText, decodeXml, descendants, parseXml, type XmlElement } from './xml.js';

export interface AgilentIntegrity {
  /** The element name the score came from: RINe (TapeStation RNA), RIN (Bioanalyzer), DIN, RQN ... */
  metric: string;
  /** null when the instrument wrote a placeholder ("-", "N/A") instead of a score. */
  value: number | null;
}

export interface AgilentSample {
  well: string | null;
  /** Sample name (TapeStation keeps it in <Comment>, Bioanalyzer in <Name>). */
  name: string | null;
  integrity: AgilentIntegrity | null;
  concentration: number | null;
  concentrationUnit: string | null;
  observations: string | null;
  isLadder: boolean;
}

export interface AgilentXmlFile {
  instrument: 'tapestation' | 'bioanalyzer' | 'unknown';
  assay: string | null;
  /** Document-wide concentration unit (e.g. "ng/µl"), if declared. */
  concentrationUnit: string | null;
  samples: AgilentSample[];
}

/** Integrity scores in order of preference, matched by element name anywhere inside a sample. */
const INTEGRITY_METRICS = ['RINe', 'RIN', 'eRIN', 'DIN', 'RQN', 'GQN'];
const SAMPLE_CONCENTRATION_NAMES = ['Concentration', 'RNAConcentration', 'TotalConcentration', 'SampleConcentration'];
/** Per-peak / per-region / raw-signal subtrees: their Concentration elements are not the sample's. */
const NOT_SAMPLE_LEVEL = new Set([
  'Peaks', 'Peak', 'Regions', 'Region', 'PeaksMolecular', 'PeakMolecular', 'FragmentsMolecular', 'FragmentMolecular',
  'RegionsMolecular', 'RegionMolecular', 'DASignals', 'SignalData',
]);
const SKIPPED_ELEMENTS = new Set(['DASignals', 'SignalData']);

/** TapeStation or 2100 Bioanalyzer XML export, gzipped or plain. */
export function parseAgilentXml(input: Uint8Array, limits?: ParseLimits): AgilentXmlFile {
  return guardParser('agilent-xml', () => {
    const bytes = prepareInput(input, limits, 'agilent-xml');
    const root = parseXml(decodeXml(bytes), { format: 'agilent-xml', skipElements: SKIPPED_ELEMENTS });
    const instrument = instrumentOf(root);
    const documentUnit = firstText(root, 'ConcentrationUnit');
    const sampleElements = descendants(root, 'Samples', NOT_SAMPLE_LEVEL).flatMap((list) => childElements(list, 'Sample'));
    const samples = sampleElements
      .filter((sample) => childText(sample, 'HasData')?.toLowerCase() !== 'false')
      .map((sample) => readSample(sample, documentUnit));
    if (samples.length === 0) {
      throw new InstrumentFileError('instrument.missing_content', 'The XML export contains no <Samples>/<Sample> entries.', { section: 'Samples' }, 'agilent-xml');
    }
    return {
      instrument,
      assay: childText(childElement(root, 'FileInformation'), 'Assay') ?? firstText(root, 'Title') ?? firstText(root, 'Assay'),
      concentrationUnit: documentUnit,
      samples,
    };
  });
}

function readSample(sample: XmlElement, documentUnit: string | null): AgilentSample {
  const name = childText(sample, 'Name') ?? childText(sample, 'SampleName') ?? childText(sample, 'Comment');
  const observations = childText(sample, 'Observations') ?? childText(sample, 'ResultFlagCommonLabel');
  const category = childText(sample, 'Category');
  const concentrationElement = findSampleLevel(sample, SAMPLE_CONCENTRATION_NAMES);
  return {
    well: childText(sample, 'WellNumber') ?? childText(sample, 'Well') ?? childText(sample, 'WellId'),
    name,
    integrity: readIntegrity(sample),
    concentration: concentrationElement ? toNumber(concentrationElement.text) : null,
    concentrationUnit: concentrationElement?.attributes.unit ?? childText(sample, 'ConcentrationUnit') ?? documentUnit,
    observations,
    isLadder: category?.toLowerCase() === 'ladder' || (/\bladder\b/i.test(observations ?? '') && !/ladder run as sample/i.test(observations ?? '')),
  };
}

function readIntegrity(sample: XmlElement): AgilentIntegrity | null {
  let placeholder: AgilentIntegrity | null = null;
  for (const metric of INTEGRITY_METRICS) {
    for (const element of sampleLevel(sample, metric)) {
      const value = toNumber(element.text);
      if (value !== null) return { metric, value };
      placeholder ??= { metric, value: null };
    }
  }
  return placeholder;
}

/** Direct child first (the sample's own value), then deeper results, never inside peaks/regions. */
function findSampleLevel(sample: XmlElement, names: string[]): XmlElement | undefined {
  for (const name of names) {
    const direct = childElement(sample, name);
    if (direct && direct.text.trim() !== '') return direct;
  }
  for (const name of names) {
    const nested = sampleLevel(sample, name).find((element) => element.text.trim() !== '');
    if (nested) return nested;
  }
  return undefined;
}

/** Elements with this name anywhere in the sample outside per-peak/per-region subtrees. */
function sampleLevel(sample: XmlElement, name: string): XmlElement[] {
  return descendants(sample, name, NOT_SAMPLE_LEVEL);
}

/** 2100 Bioanalyzer exports have a <Chipset> root; TapeStation exports a <File> with <ScreenTapes>. */
function instrumentOf(root: XmlElement): AgilentXmlFile['instrument'] {
  if (root.localName === 'Chipset') return 'bioanalyzer';
  if (root.localName === 'File' || childElement(root, 'ScreenTapes')) return 'tapestation';
  return 'unknown';
}

function firstText(root: XmlElement, name: string): string | null {
  const text = descendants(root, name, NOT_SAMPLE_LEVEL)[0]?.text.trim();
  return text ? text : null;
}

function toNumber(text: string): number | null {
  const trimmed = text.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) return null;
  return Number(trimmed);
}
