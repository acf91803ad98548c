import { gunzipSync } from 'node:zlib';
import { parseAgilentXml } from '../src/index.js';
import { captureInstrumentError, fixture } from './helpers.js';
import { TAPESTATION } from './verified-values.js';


describe('Agilent TapeStation / Bioanalyzer XML', () => {
  it('reads every sample of the gzipped TapeStation RNA export', () => {
    const file = parseAgilentXml(fixture('tapestation_eukaryotic_rna.xml.gz'));
    expect(file).toMatchObject({ instrument: 'tapestation', assay: 'RNA', concentrationUnit: 'ng/µl' });
    expect(file.samples.map((s) => [s.well, s.name, s.concentration, s.integrity?.value ?? null])).toEqual(TAPESTATION);
    expect(file.samples.every((s) => s.concentrationUnit === 'ng/µl')).toBe(true);
    expect(file.samples[1].integrity).toEqual({ metric: 'RINe', value: 8.6 });
    // Peak-level <Concentration>/<Observations> must not leak into the sample.
    expect(file.samples[0]).toMatchObject({ isLadder: true, observations: 'Ladder' });
    expect(file.samples[6].observations).toBe('The upper ribosomal fragment has degraded');
  });

  it('accepts the same export uncompressed', () => {
    const plain = gunzipSync(fixture('tapestation_eukaryotic_rna.xml.gz'));
    expect(parseAgilentXml(plain).samples).toHaveLength(16);
  });

  it('reads a Bioanalyzer-style export (Chipset root, Name, RIN inside results, peak concentrations ignored)', () => {
    const xml = `<?xml version="1.0" encoding="utf-8"?>
<Chipset><Chips><Chip><AssayHeader><Title>Eukaryote Total RNA Nano</Title></AssayHeader>
<AssayBody><DAAssaySetpoints><DAMAssayInfoMolecular><ConcentrationUnit>ng/µl</ConcentrationUnit></DAMAssayInfoMolecular></DAAssaySetpoints></AssayBody>
<Files><File><Samples>
  <Sample><WellNumber>1</WellNumber><Name>EV-RNA 1</Name><Category>Sample</Category><HasData>true</HasData>
    <DAResultStructures>
      <DARRIN><Channel><RIN>7.4</RIN></Channel></DARRIN>
      <DARIntegrator><Channel><PeaksMolecular><PeakMolecular><Concentration>12.5</Concentration></PeakMolecular></PeaksMolecular>
        <RNAConcentration>215</RNAConcentration></Channel></DARIntegrator>
    </DAResultStructures></Sample>
  <Sample><WellNumber>2</WellNumber><Name>Ladder</Name><Category>Ladder</Category><HasData>true</HasData>
    <DAResultStructures><DARRIN><Channel><RIN>N/A</RIN></Channel></DARRIN></DAResultStructures></Sample>
  <Sample><WellNumber>3</WellNumber><Name>Sample 3</Name><HasData>false</HasData></Sample>
</Samples></File></Files></Chip></Chips></Chipset>`;
    const file = parseAgilentXml(Buffer.from(xml));
    expect(file.instrument).toBe('bioanalyzer');
    expect(file.assay).toBe('Eukaryote Total RNA Nano');
    expect(file.samples).toEqual([
      { well: '1', name: 'EV-RNA 1', integrity: { metric: 'RIN', value: 7.4 }, concentration: 215, concentrationUnit: 'ng/µl', observations: null, isLadder: false },
      { well: '2', name: 'Ladder', integrity: { metric: 'RIN', value: null }, concentration: null, concentrationUnit: 'ng/µl', observations: null, isLadder: true },
    ]);
  });

  it('refuses XML without samples and non-XML input', () => {
    expect(captureInstrumentError(() => parseAgilentXml(Buffer.from('<File><FileInformation/></File>'))).code).toBe('instrument.missing_content');
    expect(captureInstrumentError(() => parseAgilentXml(Buffer.from('just text'))).code).toBe('instrument.corrupt');
    const cut = fixture('tapestation_eukaryotic_rna.xml.gz').subarray(0, 2000);
    expect(captureInstrumentError(() => parseAgilentXml(cut)).code).toBe('instrument.truncated');
  });
});
