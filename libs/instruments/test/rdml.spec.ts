import { gzipSync } from 'node:zlib';
import { parseRdml } from '../src/index.js';
import { captureInstrumentError, fixture, makeZip } from './helpers.js';
import { STEPONE_CQ } from './verified-values.js';


const PLAIN_RDML = `<?xml version="1.0" encoding="UTF-8"?>
<!-- exported by hand -->
<rdml:rdml xmlns:rdml="http://www.rdml.org" version="1.2">
  <rdml:sample id="S&amp;1"><rdml:type>unkn</rdml:type></rdml:sample>
  <rdml:target id="CD63"><rdml:type>toi</rdml:type><rdml:dyeId id="SYBR"/></rdml:target>
  <rdml:target id="GAPDH"><rdml:type>ref</rdml:type></rdml:target>
  <rdml:experiment id="E"><rdml:run id="R">
    <rdml:react id="1"><rdml:sample id="S&amp;1"/>
      <rdml:data><rdml:tar id="CD63"/><rdml:cq>24.5</rdml:cq><rdml:adp><rdml:cyc>1</rdml:cyc><rdml:fluor>0.1</rdml:fluor></rdml:adp></rdml:data>
      <rdml:data><rdml:tar id="GAPDH"/><rdml:cq>-1</rdml:cq></rdml:data>
      <rdml:data><rdml:tar id="CD63"/></rdml:data>
    </rdml:react>
  </rdml:run></rdml:experiment>
</rdml:rdml>`;

describe('RDML', () => {
  it('reads the StepOne RDML 1.0 archive (ZIP with data descriptors)', () => {
    const file = parseRdml(fixture('stepone_std.rdml'));
    expect(file).toMatchObject({ version: '1.0', container: 'zip', zipEntry: 'rdml_data.xml' });
    expect(file.targets).toEqual([{ id: 'RNase P', type: 'toi', description: 'NFQ-MGB', dyeId: 'FAM' }]);
    expect(file.samples).toHaveLength(8);
    expect(file.samples.find((s) => s.id === 'STD_RNase P_625.0')).toEqual({ id: 'STD_RNase P_625.0', type: 'std', quantity: { value: 625, unit: 'other' } });
    expect(file.cqValues.map((row) => [row.reactId, row.sampleId, row.cq])).toEqual(STEPONE_CQ);
    expect(file.cqValues.every((row) => row.targetId === 'RNase P' && row.runId === 'Run001' && row.experimentId === 'Standard Curve Example')).toBe(true);
  });

  it('reads the RDML 1.3 melting-curve archive (no Cq values)', () => {
    const file = parseRdml(fixture('test_mca_1_raw_data.rdml'));
    expect(file.version).toBe('1.3');
    expect(file.targets.map((t) => [t.id, t.dyeId])).toEqual([['CRE', 'dye 1']]);
    expect(file.samples).toHaveLength(50);
    expect(file.cqValues).toHaveLength(50);
    expect(file.cqValues[0]).toMatchObject({ reactId: '156', sampleId: 'Sample 1', targetId: 'CRE', cq: null, cqRaw: null });
  });

  it('reads plain (and gzipped) XML with namespace prefixes, entities and missing/negative Cq', () => {
    for (const bytes of [Buffer.from(PLAIN_RDML), gzipSync(PLAIN_RDML)]) {
      const file = parseRdml(bytes);
      expect(file).toMatchObject({ version: '1.2', container: 'xml', zipEntry: null });
      expect(file.targets.map((t) => [t.id, t.type, t.dyeId])).toEqual([['CD63', 'toi', 'SYBR'], ['GAPDH', 'ref', null]]);
      expect(file.cqValues.map((row) => [row.sampleId, row.targetId, row.cq, row.cqRaw])).toEqual([
        ['S&1', 'CD63', 24.5, '24.5'], ['S&1', 'GAPDH', null, '-1'], ['S&1', 'CD63', null, null],
      ]);
    }
  });

  it('takes the single XML entry of an archive without rdml_data.xml (stored, in a folder)', () => {
    const zip = makeZip([{ name: 'readme.txt', content: 'hi' }, { name: 'export/run.xml', content: PLAIN_RDML, store: true }]);
    const file = parseRdml(zip);
    expect(file.zipEntry).toBe('export/run.xml');
    expect(file.cqValues).toHaveLength(3);
  });

  it('refuses a ZIP without an XML document', () => {
    const error = captureInstrumentError(() => parseRdml(makeZip([{ name: 'notes.txt', content: 'no xml here' }])));
    expect(error.code).toBe('instrument.missing_content');
    expect(error.message).toMatch(/no XML document.*notes\.txt/);
    expect(error.format).toBe('rdml');
  });

  it('refuses a zip bomb by its declared size and by an understated size', () => {
    const big = Buffer.alloc(5_000_000, 0x20);
    const declared = captureInstrumentError(() => parseRdml(makeZip([{ name: 'rdml_data.xml', content: big }]), { maxDecompressedBytes: 1_000_000 }));
    expect(declared).toMatchObject({ code: 'instrument.too_large', where: { zipEntry: 'rdml_data.xml' } });
    const lying = captureInstrumentError(() => parseRdml(makeZip([{ name: 'rdml_data.xml', content: big, declaredSize: 1000 }])));
    expect(lying.code).toBe('instrument.corrupt');
    expect(lying.message).toMatch(/beyond its declared size/);
  });

  it('detects damaged archives: CRC mismatch, truncation, not XML', () => {
    const zip = makeZip([{ name: 'rdml_data.xml', content: PLAIN_RDML, store: true }]);
    const flipped = Buffer.from(zip);
    flipped[200] ^= 0x01;
    expect(captureInstrumentError(() => parseRdml(flipped)).message).toMatch(/CRC-32|XML|entity|tag/);
    expect(captureInstrumentError(() => parseRdml(zip.subarray(0, zip.length - 30))).code).toBe('instrument.truncated');
    const notXml = captureInstrumentError(() => parseRdml(makeZip([{ name: 'rdml_data.xml', content: 'hello' }])));
    expect(notXml).toMatchObject({ code: 'instrument.corrupt', where: { zipEntry: 'rdml_data.xml', line: 1 } });
  });

  it('refuses DTD entity declarations (billion laughs) and undefined entities', () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><rdml version="1.3">&lol2;</rdml>`;
    const error = captureInstrumentError(() => parseRdml(Buffer.from(laughs)));
    expect(error.code).toBe('instrument.unsupported');
    expect(error.message).toMatch(/entity/i);
    const undefinedEntity = captureInstrumentError(() => parseRdml(Buffer.from('<rdml version="1.3"><sample id="&x;"/></rdml>')));
    expect(undefinedEntity.code).toBe('instrument.corrupt');
  });

  it('reports malformed XML with line and column', () => {
    const error = captureInstrumentError(() => parseRdml(Buffer.from('<rdml version="1.3">\n  <sample id="a">\n  </target>\n</rdml>')));
    expect(error).toMatchObject({ code: 'instrument.corrupt', where: { line: 3, column: 3 } });
    expect(captureInstrumentError(() => parseRdml(Buffer.from('<rdml version="1.3"><sample>'))).code).toBe('instrument.truncated');
    expect(captureInstrumentError(() => parseRdml(Buffer.from('<other/>'))).code).toBe('instrument.unrecognised_format');
  });
});
