import { parseAgilentXml, type AgilentXmlFile } from './agilent.js';
import { InstrumentFileError, guardParser, type InstrumentFormat } from './errors.js';
import { parseFcs, type FcsFile } from './fcs.js';
import { asBytes, asciiAt, checkSize, decodeText, gunzipLimited, isGzip, peekGunzip, resolveLimits, type ParseLimits } from './input.js';
import { parseNtaExperimentSummary, type NtaExperimentSummary } from './nta.js';
import { parseRdml, type RdmlFile } from './rdml.js';
import { isZip, listZipEntries, peekZipEntry } from './zip.js';

export const INSTRUMENT_FORMATS: readonly InstrumentFormat[] = ['nanosight-nta', 'fcs', 'rdml', 'agilent-xml'];

export type ParsedInstrumentFile =
  | { format: 'nanosight-nta'; data: NtaExperimentSummary }
  | { format: 'fcs'; data: FcsFile }
  | { format: 'rdml'; data: RdmlFile }
  | { format: 'agilent-xml'; data: AgilentXmlFile };

export interface ParseInstrumentOptions extends ParseLimits {
  /** Original file name; only consulted when the content itself is not recognised. */
  filename?: string;
  /** Expected format; only consulted when the content itself is not recognised. */
  formatHint?: InstrumentFormat;
}

/** How much text is inspected to recognise a text format. */
const SNIFF_BYTES = 64 * 1024;

/**
 * Recognises the format from the bytes (magic numbers, the NTA signature line, the XML root
 * element, looking inside gzip and ZIP containers). Hints are used only when the content is
 * not conclusive, e.g. a file truncated before its signature. Never throws; null if unknown.
 */
export function detectInstrumentFormat(input: Uint8Array, filenameHint?: string, formatHint?: InstrumentFormat): InstrumentFormat | null {
  try {
    return detectFromContent(asBytes(input), 0) ?? formatFromHints(filenameHint, formatHint);
  } catch {
    return formatFromHints(filenameHint, formatHint);
  }
}

/** Detects, then parses with the matching parser; every failure is an InstrumentFileError. */
export function parseInstrumentFile(input: Uint8Array, options: ParseInstrumentOptions = {}): ParsedInstrumentFile {
  return guardParser(undefined, () => {
    const bytes = asBytes(input);
    checkSize(bytes, resolveLimits(options));
    const format = detectInstrumentFormat(bytes, options.filename, options.formatHint);
    switch (format) {
      case 'nanosight-nta':
        return { format, data: parseNtaExperimentSummary(bytes, options) };
      case 'fcs':
        return { format, data: parseFcs(bytes, options) };
      case 'rdml':
        return { format, data: parseRdml(bytes, options) };
      case 'agilent-xml':
        return { format, data: parseAgilentXml(bytes, options) };
      default:
        explainDamagedContainer(bytes, options);
        throw new InstrumentFileError(
          'instrument.unrecognised_format',
          `Unrecognised instrument file: expected a NanoSight NTA summary CSV, an FCS file, an RDML file or an Agilent TapeStation/Bioanalyzer XML export.`,
          { byteOffset: 0 },
        );
    }
  });
}

/**
 * A damaged gzip or ZIP container hides its content from detection; surfacing the container's
 * own error (truncated, CRC mismatch ...) says more than "unrecognised format".
 */
function explainDamagedContainer(bytes: Uint8Array, limits: ParseLimits): void {
  if (isGzip(bytes)) gunzipLimited(bytes, resolveLimits(limits));
  else if (isZip(bytes)) listZipEntries(bytes);
}

function detectFromContent(bytes: Uint8Array, depth: number): InstrumentFormat | null {
  if (/^FCS\d\.\d/.test(asciiAt(bytes, 0, 6))) return 'fcs';
  if (isGzip(bytes)) {
    const inner = depth === 0 ? peekGunzip(bytes) : null;
    return inner ? detectFromContent(inner, depth + 1) : null;
  }
  if (isZip(bytes)) return detectZip(bytes);
  const text = decodeText(bytes.subarray(0, SNIFF_BYTES)).replace(/^\uFEFF/, '').trimStart();
  if (/^"?NTA Experiment Summary File\b/i.test(text)) return 'nanosight-nta';
  return formatOfXmlRoot(text);
}

/** An RDML archive is the only ZIP-based format here; it must hold rdml_data.xml or an <rdml> document. */
function detectZip(bytes: Uint8Array): InstrumentFormat | null {
  const entries = listZipEntries(bytes).filter((entry) => !entry.name.endsWith('/'));
  if (entries.some((entry) => /(^|\/)rdml_data\.xml$/i.test(entry.name))) return 'rdml';
  for (const entry of entries.filter((e) => /\.xml$/i.test(e.name))) {
    const prefix = peekZipEntry(bytes, entry);
    if (prefix && formatOfXmlRoot(decodeText(prefix).trimStart()) === 'rdml') return 'rdml';
  }
  return null;
}

function formatOfXmlRoot(text: string): InstrumentFormat | null {
  if (!text.startsWith('<')) return null;
  // Skip the prolog (declaration, comments, DOCTYPE) to reach the root element's name.
  const prolog = /^(\s*(<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>[]*(\[[\s\S]*?\])?\s*>))*\s*/i.exec(text);
  const root = /^<([A-Za-z_][\w:.-]*)/.exec(text.slice(prolog?.[0].length ?? 0))?.[1];
  if (!root) return null;
  const localName = root.slice(root.indexOf(':') + 1);
  if (localName === 'rdml') return 'rdml';
  if (localName === 'Chipset') return 'agilent-xml';
  if (localName === 'File' && /<(ScreenTapes|FileInformation|Samples)\b/.test(text)) return 'agilent-xml';
  return null;
}

function formatFromHints(filename?: string, formatHint?: InstrumentFormat): InstrumentFormat | null {
  if (formatHint && INSTRUMENT_FORMATS.includes(formatHint)) return formatHint;
  const name = (filename ?? '').toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.fcs') || name.endsWith('.lmd')) return 'fcs';
  if (name.endsWith('.rdml')) return 'rdml';
  if (name.endsWith('.xml')) return 'agilent-xml';
  if (name.endsWith('.csv')) return 'nanosight-nta';
  return null;
}
