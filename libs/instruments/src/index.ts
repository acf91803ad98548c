// Instrument-file parsers: pure functions from bytes to typed data, or an InstrumentFileError.
export { InstrumentFileError, type InstrumentErrorCode, type InstrumentErrorLocation, type InstrumentFormat } from './errors.js';
export { DEFAULT_MAX_BYTES, type ParseLimits } from './input.js';

export { detectInstrumentFormat, parseInstrumentFile, INSTRUMENT_FORMATS, type ParsedInstrumentFile, type ParseInstrumentOptions } from './detect.js';

export {
  parseNtaExperimentSummary,
  type NtaExperimentSummary, type NtaMeasurement, type NtaVideo, type NtaSizeStatistics, type NtaSizeBin,
  type NtaSizeDistribution, type NtaWarningRow,
} from './nta.js';

export {
  parseFcs, fcsPercentAbove,
  type FcsFile, type FcsChannelOptions, type FcsParameter, type FcsDataType, type FcsByteOrder, type FcsSegment,
} from './fcs.js';
export { buildFcs, type FcsBuildInput, type FcsBuildParameter } from './fcs-build.js';
export { seededRandom } from './seeded-random.js';

export { parseRdml, type RdmlFile, type RdmlCq, type RdmlSample, type RdmlTarget } from './rdml.js';
export { parseAgilentXml, type AgilentXmlFile, type AgilentSample, type AgilentIntegrity } from './agilent.js';
