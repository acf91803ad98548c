import { gzipSync } from 'node:zlib';
import { parseRdml } from '../src/index.js';
import { captureInstrumentError, fixture, makeZip } from './helpers.js';

// Expected values extracted independently with Python (zipfile + xml.etree.ElementTree, the
// http://www.rdml.org namespace): version attribute, <target>/<sample> ids, and for every
// <react> the <sample id>, each <data>'s <tar id> and <cq> text.
const STEPONE_CQ: [string, string, number][] = [
  ['A1', 'NTC_RNase P', 40.0], ['A2', 'NTC_RNase P', 40.0], ['A3', 'NTC_RNase P', 40.0],
  ['A4', 'pop1_RNase P', 28.96287], ['A5', 'pop1_RNase P', 28.838797], ['A6', 'pop1_RNase P', 28.96972],
  ['A7', 'pop2_RNase P', 27.976233], ['A8', 'pop2_RNase P', 27.968481], ['B1', 'pop2_RNase P', 27.931858],
  ['B2', 'STD_RNase P_10000.0', 26.874498], ['B3', 'STD_RNase P_10000.0', 26.834158], ['B4', 'STD_RNase P_10000.0', 26.867296],
  ['B5', 'STD_RNase P_5000.0', 27.843782], ['B6', 'STD_RNase P_5000.0', 27.907658], ['B7', 'STD_RNase P_5000.0', 27.931719],
  ['B8', 'STD_RNase P_2500.0', 28.973732], ['C1', 'STD_RNase P_2500.0', 29.005375], ['C2', 'STD_RNase P_2500.0', 28.965023],
  ['C3', 'STD_RNase P_1250.0', 29.93595], ['C4', 'STD_RNase P_1250.0', 29.9701], ['C5', 'STD_RNase P_1250.0', 30.050293],
  ['C6', 'STD_RNase P_625.0', 31.05255], ['C7', 'STD_RNase P_625.0', 31.052055], ['C8', 'STD_RNase P_625.0', 31.035166],
];

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
