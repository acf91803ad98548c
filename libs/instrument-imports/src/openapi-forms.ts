import type { ApiBodyOptions } from '@nestjs/swagger';
import { INSTRUMENT_FORMATS } from '#instruments';
import { IMPORT_ASSAYS } from './result-candidates.js';

type Property = Record<string, unknown>;

const FILE: Property = { type: 'string', format: 'binary', description: 'The file, in a multipart field named "file"' };

const MAPPING: Record<string, Property> = {
  format: { type: 'string', enum: [...INSTRUMENT_FORMATS], description: 'A hint, used only when the content is not conclusive' },
  channel: { type: 'string', description: 'FCS: the channel to gate ($PnN or $PnS)' },
  threshold: { type: 'number', description: 'FCS: events strictly above this value are positive' },
  isotypeControlPercent: { type: 'number', minimum: 0, maximum: 100, description: 'FCS: % positive in the isotype control' },
  marker: { type: 'string', default: 'CD63', description: 'FCS: the marker stained' },
  referenceTargets: { type: 'string', description: 'RDML: comma-separated reference targets (default: targets of type "ref")' },
};

function form(properties: Record<string, Property>, required: string[], description: string): ApiBodyOptions {
  return { description, schema: { type: 'object', required, properties } as never };
}

export const PARSE_FORM = form({ file: FILE, ...MAPPING }, ['file'], 'An instrument export; nothing is stored.');

export const IMPORT_FORM = form(
  {
    file: FILE,
    assay: { type: 'string', enum: [...IMPORT_ASSAYS] },
    performedAt: { type: 'string', format: 'date-time' },
    instrument: { type: 'string', maxLength: 120 },
    retestOfId: { type: 'string', format: 'uuid' },
    sample: { type: 'string', description: 'RDML sample id, or Agilent well / sample name, when the file holds several' },
    ...MAPPING,
  },
  ['file', 'assay', 'performedAt'],
  'An instrument export and how to read it; the file and the result are stored together.',
);

export const IMAGE_FORM = form({ file: { ...FILE, description: 'A PNG, JPEG or TIFF image (at most 20 MiB)' } }, ['file'], 'An EM micrograph or blot image.');
