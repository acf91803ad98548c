import { InstrumentFileError, guardParser } from './errors.js';
import { prepareInput, resolveLimits, type ParseLimits } from './input.js';
import { childElement, childElements, childText, decodeXml, parseXml, type XmlElement } from './xml.js';
import { isZip, listZipEntries, readZipEntry, type ZipEntry } from './zip.js';

export interface RdmlTarget {
  id: string;
  type: string | null;
  description: string | null;
  dyeId: string | null;
}

export interface RdmlSample {
  id: string;
  /** unkn, std, ntc, nac, ... */
  type: string | null;
  quantity: { value: number | null; unit: string | null } | null;
}

export interface RdmlCq {
  experimentId: string | null;
  runId: string | null;
  reactId: string;
  sampleId: string | null;
  targetId: string | null;
  /** Quantification cycle; null when absent, not a number, or negative (RDML's "not available"). */
  cq: number | null;
  /** The <cq> text as written, for audit. */
  cqRaw: string | null;
}

export interface RdmlFile {
  /** The rdml element's version attribute ("1.0" … "1.4"). */
  version: string | null;
  container: 'zip' | 'xml';
  /** The ZIP entry the document was read from. */
  zipEntry: string | null;
  targets: RdmlTarget[];
  samples: RdmlSample[];
  /** One row per react × data (target) element, in document order. */
  cqValues: RdmlCq[];
}

/** Amplification and melting curve points are the bulk of an RDML file and not needed here. */
const SKIPPED_ELEMENTS = new Set(['adp', 'mdp']);
const PREFERRED_ENTRY = 'rdml_data.xml';

export function parseRdml(input: Uint8Array, limits?: ParseLimits): RdmlFile {
  return guardParser('rdml', () => {
    const bytes = prepareInput(input, limits, 'rdml');
    let xmlBytes = bytes;
    let zipEntry: string | null = null;
    if (isZip(bytes)) {
      const entry = chooseXmlEntry(listZipEntries(bytes, 'rdml'));
      zipEntry = entry.name;
      xmlBytes = readZipEntry(bytes, entry, { maxEntryBytes: resolveLimits(limits).maxDecompressedBytes }, 'rdml');
    }
    const root = parseXml(decodeXml(xmlBytes), { format: 'rdml', zipEntry: zipEntry ?? undefined, skipElements: SKIPPED_ELEMENTS });
    if (root.localName !== 'rdml') {
      throw new InstrumentFileError('instrument.unrecognised_format', `The XML root is <${root.name}>, not <rdml>.`, { line: 1, ...(zipEntry ? { zipEntry } : {}) }, 'rdml');
    }
    return {
      version: root.attributes.version ?? null,
      container: zipEntry ? 'zip' : 'xml',
      zipEntry,
      targets: childElements(root, 'target').map(readTarget),
      samples: childElements(root, 'sample').map(readSample),
      cqValues: readCqValues(root),
    };
  });
}

/** rdml_data.xml by convention; otherwise the archive's only XML document. */
function chooseXmlEntry(entries: ZipEntry[]): ZipEntry {
  const files = entries.filter((e) => !e.name.endsWith('/') && !e.name.startsWith('__MACOSX/') && !/(^|\/)\._/.test(e.name));
  const preferred = files.find((e) => e.name.toLowerCase() === PREFERRED_ENTRY) ?? files.find((e) => e.name.toLowerCase().endsWith(`/${PREFERRED_ENTRY}`));
  if (preferred) return preferred;
  const xml = files.filter((e) => e.name.toLowerCase().endsWith('.xml'));
  if (xml.length === 1) return xml[0];
  const listing = files.map((e) => e.name).slice(0, 10).join(', ') || 'nothing';
  throw new InstrumentFileError(
    'instrument.missing_content',
    xml.length === 0
      ? `The ZIP archive holds no XML document (it contains: ${listing}).`
      : `The ZIP archive holds ${xml.length} XML documents and none is named ${PREFERRED_ENTRY}.`,
    { section: 'zip central directory' }, 'rdml',
  );
}

function readTarget(element: XmlElement): RdmlTarget {
  const dye = childElement(element, 'dyeId');
  return {
    id: element.attributes.id ?? '',
    type: childText(element, 'type'),
    description: childText(element, 'description'),
    // RDML 1.0 writes the dye as text, 1.1+ as an id attribute.
    dyeId: dye ? dye.attributes.id ?? (dye.text.trim() || null) : null,
  };
}

function readSample(element: XmlElement): RdmlSample {
  const quantity = childElement(element, 'quantity');
  return {
    id: element.attributes.id ?? '',
    type: childText(element, 'type'),
    quantity: quantity ? { value: toNumber(childText(quantity, 'value')), unit: childText(quantity, 'unit') } : null,
  };
}

function readCqValues(root: XmlElement): RdmlCq[] {
  const rows: RdmlCq[] = [];
  for (const experiment of childElements(root, 'experiment')) {
    for (const run of childElements(experiment, 'run')) {
      for (const react of childElements(run, 'react')) {
        const sampleId = childElement(react, 'sample')?.attributes.id ?? null;
        for (const data of childElements(react, 'data')) {
          const cqRaw = childText(data, 'cq');
          const cq = toNumber(cqRaw);
          rows.push({
            experimentId: experiment.attributes.id ?? null,
            runId: run.attributes.id ?? null,
            reactId: react.attributes.id ?? '',
            sampleId,
            targetId: childElement(data, 'tar')?.attributes.id ?? null,
            cq: cq !== null && cq >= 0 ? cq : null,
            cqRaw,
          });
        }
      }
    }
  }
  return rows;
}

function toNumber(text: string | null): number | null {
  if (text === null) return null;
  const value = Number(text);
  return text.trim() !== '' && Number.isFinite(value) ? value : null;
}
