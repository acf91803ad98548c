import { createHash } from 'node:crypto';
import { makeZip } from '../../libs/instruments/test/helpers.js';
import { multipartBody, postForm } from '../support/multipart.js';
import { TestApp } from '../support/test-app.js';
import { signIn } from '../support/users.js';
import { CYFLOW, FORTESSA, NTA, sample, STEPONE_CQ, TAPESTATION, VARIABLE_INT } from './expected-values.js';

describe('POST /instrument-files/parse', () => {
  let app: TestApp;
  let tech: string;
  let qa: string;

  const parse = (file: Buffer, filename: string, fields: Record<string, string | number | undefined> = {}, token = tech) =>
    postForm(app, '/instrument-files/parse', token, fields, { filename, content: file });
  const stored = async () => (await app.query(`SELECT (SELECT count(*) FROM instrument_files)::int AS files, (SELECT count(*) FROM assay_results)::int AS results`))[0];

  beforeAll(async () => {
    app = await TestApp.start({ worker: false });
    tech = await signIn(app, 'technician');
    qa = await signIn(app, 'qa_manager');
  });
  afterAll(() => app?.close());

  it('reads the NanoSight summary into one NTA candidate with the averages, videos and size distribution', async () => {
    const bytes = sample('nanosight_beads_nta3.2.csv');
    const res = await parse(bytes, 'nanosight_beads_nta3.2.csv');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      fileName: 'nanosight_beads_nta3.2.csv', sizeBytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), format: 'nanosight-nta', mediaType: 'text/csv',
    });
    expect(res.body.summary).toMatchObject({ softwareVersion: NTA.softwareVersion, videoCount: NTA.videoCount, average: NTA.average, warnings: [] });
    expect(res.body.summary.videos).toHaveLength(NTA.videoCount);
    expect(res.body.summary.sizeDistribution.bins).toHaveLength(NTA.binCount);
    expect(res.body.candidates).toHaveLength(1);
    const [candidate] = res.body.candidates;
    const { sdNm: _sd, dilutionFactor: _df, ...stats } = NTA.average;
    expect(candidate).toMatchObject({ assay: 'nta', sample: null, data: { ...stats, dilutionFactor: 1, videoCount: NTA.videoCount, warnings: [] } });
    expect(candidate.data.sizeDistribution).toHaveLength(NTA.binCount);
    expect(candidate.data.sizeDistribution[99]).toEqual({ sizeNm: NTA.bin100.binCentreNm, concentration: NTA.bin100.concentrationPerMl });
    // The file says "Not recorded": the preview says what was assumed.
    expect(res.body.notes.join(' ')).toMatch(/no dilution factor/);
  });

  it('computes the FACS candidate from an FCS file, channel and threshold (float and integer data)', async () => {
    const fortessa = await parse(sample('fortessa_fcs3.0.fcs'), 'fortessa.fcs', { channel: 'FSC-A', threshold: 1000, isotypeControlPercent: 1.5 }, qa);
    expect(fortessa.status).toBe(200);
    expect(fortessa.body).toMatchObject({ format: 'fcs', mediaType: 'application/vnd.isac.fcs', summary: { eventCount: FORTESSA.eventCount, dataType: 'F', byteOrder: 'big' } });
    expect(fortessa.body.summary.parameters).toHaveLength(FORTESSA.parameters);
    expect(fortessa.body.summary.keywords.CREATOR).toBe('BD FACSDiva Software Version 6.2');
    expect(fortessa.body.summary).not.toHaveProperty('events');
    expect(fortessa.body.gate).toMatchObject({ channel: 'FSC-A', threshold: 1000, eventCount: FORTESSA.eventCount, eventsAbove: 4962 });
    expect(fortessa.body.candidates).toHaveLength(1);
    const [facs] = fortessa.body.candidates;
    expect(facs).toMatchObject({ assay: 'facs', data: { marker: 'CD63', isotypeControlPercent: 1.5, eventCount: FORTESSA.eventCount } });
    expect(facs.data.percentPositive).toBeCloseTo(FORTESSA.percent.FSC_A_above_1000, 10);

    const byStain = await parse(sample('fortessa_fcs3.0.fcs'), 'fortessa.fcs', { channel: 'PE-Texas Red-A', threshold: 100, isotypeControlPercent: 0, marker: 'CD81' });
    expect(byStain.body.candidates[0].data.marker).toBe('CD81');
    expect(byStain.body.candidates[0].data.percentPositive).toBeCloseTo(FORTESSA.percent.PE_TexasRed_A_above_100, 10);

    const cyflow = await parse(sample('cyflow_cube_8_fcs3.0.fcs'), 'cyflow.fcs', { channel: 'FL1', threshold: '100', isotypeControlPercent: '0.5' });
    expect(cyflow.status).toBe(200);
    expect(cyflow.body.summary.eventCount).toBe(CYFLOW.eventCount);
    expect(cyflow.body.candidates[0].data.percentPositive).toBeCloseTo(CYFLOW.percent.FL1_above_100, 10);

    // Without the isotype control the gate is still shown (to read it off an isotype file), but no result is proposed.
    const isotype = await parse(sample('cyflow_cube_8_fcs3.0.fcs'), 'cyflow.fcs', { channel: 'TIME', threshold: 1000 });
    expect(isotype.body.candidates).toEqual([]);
    expect(isotype.body.gate.percentAbove).toBeCloseTo(CYFLOW.percent.TIME_above_1000, 10);

    const plain = await parse(sample('variable_int_example.fcs'), 'variable_int_example.fcs');
    expect(plain.status).toBe(200);
    expect(plain.body.summary).toMatchObject({ eventCount: VARIABLE_INT.eventCount, dataType: 'I' });
    expect(plain.body.summary.parameters).toHaveLength(VARIABLE_INT.parameters);
    expect(plain.body.candidates).toEqual([]);
  });

  it('turns every RDML sample into a qPCR candidate with its Cq values; reference targets come from the field', async () => {
    const res = await parse(sample('stepone_std.rdml'), 'stepone_std.rdml', { referenceTargets: 'RNase P' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ format: 'rdml', mediaType: 'application/zip', summary: { version: '1.0', container: 'zip', zipEntry: 'rdml_data.xml' } });
    const samples = [...new Set(STEPONE_CQ.map(([, s]) => s))];
    expect(res.body.candidates.map((c: { sample: string }) => c.sample)).toEqual(samples);
    for (const candidate of res.body.candidates) {
      const expected = STEPONE_CQ.filter(([, s]) => s === candidate.sample).map(([, , cq]) => ({ target: 'RNase P', cq, isReference: true }));
      expect(candidate).toMatchObject({ assay: 'qpcr', data: { sampleName: candidate.sample, targets: expected } });
    }
    const noReference = await parse(sample('stepone_std.rdml'), 'stepone_std.rdml');
    expect(noReference.body.candidates[0].data.targets[0].isReference).toBe(false);
    expect(noReference.body.notes.join(' ')).toMatch(/referenceTargets/);

    const melt = await parse(sample('test_mca_1_raw_data.rdml'), 'test_mca_1_raw_data.rdml');
    expect(melt.status).toBe(200);
    expect(melt.body.summary.version).toBe('1.3');
    expect(melt.body.candidates).toEqual([]);
    expect(melt.body.notes[0]).toMatch(/no Cq values/);

    const unknownTarget = await parse(sample('stepone_std.rdml'), 'stepone_std.rdml', { referenceTargets: 'RNase P, miR-16' });
    expect(unknownTarget.status).toBe(422);
    expect(unknownTarget.body.errors).toEqual([expect.objectContaining({ field: 'referenceTargets', rule: 'inFile' })]);
  });

  it('turns every Agilent sample except the ladder into a bioanalyzer candidate, in pg/µL', async () => {
    const res = await parse(sample('tapestation_eukaryotic_rna.xml.gz'), 'tapestation.xml.gz');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ format: 'agilent-xml', mediaType: 'application/gzip', summary: { instrument: 'tapestation', assay: 'RNA', concentrationUnit: 'ng/µl' } });
    const rows = TAPESTATION.filter(([well]) => well !== 'A1');
    expect(res.body.candidates.map((c: { sample: string; data: unknown }) => [c.sample, c.data])).toEqual(
      rows.map(([well, name, ngPerUl, rine]) => [well, { instrumentType: 'tapestation', concentrationPgPerUl: ngPerUl * 1000, rin: rine, smallRnaProfile: 'present', sampleName: name }]),
    );
    expect(res.body.notes.join(' ')).toMatch(/A1: the ladder/);
  });

  it('refuses corrupted, truncated and unrecognised files with the parser code and where, storing nothing', async () => {
    const before = await stored();
    const corrupted = await parse(sample('corrupted.fcs'), 'corrupted.fcs', { channel: 'FL1', threshold: 1 });
    expect(corrupted.status).toBe(422);
    expect(corrupted.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(corrupted.body).toMatchObject({ code: 'instrument.unrecognised_format', format: 'fcs', where: { byteOffset: 0 } });
    expect(corrupted.body.detail).toMatch(/does not start with "FCS"/);

    const unnamed = await parse(sample('corrupted.fcs'), 'data.bin');
    expect(unnamed.body).toMatchObject({ status: 422, code: 'instrument.unrecognised_format', where: { byteOffset: 0 } });

    const noXml = await parse(makeZip([{ name: 'notes.txt', content: 'no xml here' }]), 'run.rdml');
    expect(noXml.status).toBe(422);
    expect(noXml.body).toMatchObject({ code: 'instrument.missing_content', format: 'rdml', where: { section: 'zip central directory' } });
    expect(noXml.body.detail).toMatch(/no XML document.*notes\.txt/);

    const truncated = await parse(sample('tapestation_eukaryotic_rna.xml.gz').subarray(0, 2000), 'tapestation.xml.gz');
    expect(truncated.status).toBe(422);
    expect(truncated.body.code).toBe('instrument.truncated');
    expect(truncated.body.where).toBeDefined();

    const channel = await parse(sample('fortessa_fcs3.0.fcs'), 'fortessa.fcs', { channel: 'CD63-APC', threshold: 10 });
    expect(channel.status).toBe(422);
    expect(channel.body).toMatchObject({ code: 'instrument.unknown_channel', where: { section: 'TEXT' } });
    expect(await stored()).toEqual(before);
  });

  it('checks the form: a file is required, fields are strict, the body must be multipart', async () => {
    const noFile = await postForm(app, '/instrument-files/parse', tech, { format: 'fcs' });
    expect(noFile.status).toBe(400);
    expect(noFile.body.errors).toEqual([expect.objectContaining({ field: 'file', rule: 'required' })]);

    const asText = await postForm(app, '/instrument-files/parse', tech, { file: 'FCS3.0 pasted as text' });
    expect(asText.status).toBe(400);
    expect(asText.body.errors).toEqual([expect.objectContaining({ field: 'file', rule: 'isFile' })]);

    const bad = await parse(sample('fortessa_fcs3.0.fcs'), 'f.fcs', { format: 'pdf', threshold: '12abc', isotypeControlPercent: 140, colour: 'red' });
    expect(bad.status).toBe(400);
    const fields = bad.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['format', 'threshold', 'channel', 'isotypeControlPercent', 'colour']));

    const json = await app.request('POST', '/instrument-files/parse', { token: tech, body: { file: 'abc' } });
    expect(json.status).toBe(415);
    expect(json.body.code).toBe('request.unsupported_media_type');
    expect(json.headers['content-type']).toMatch(/application\/problem\+json/);

    const twoFiles = await app.request('POST', '/instrument-files/parse', {
      token: tech,
      ...multipartBody({}, [{ filename: 'a.fcs', content: sample('fortessa_fcs3.0.fcs') }, { filename: 'b.fcs', content: sample('fortessa_fcs3.0.fcs') }]),
    });
    expect(twoFiles.status).toBe(400);
    expect(twoFiles.body.errors[0]).toMatchObject({ field: 'file', rule: 'maxFiles' });

    // Routes that take JSON still refuse a multipart body cleanly now that the parser is registered.
    const formToJsonRoute = await postForm(app, '/batches', tech, { productId: 'x' });
    expect(formToJsonRoute.status).toBe(400);
    expect(formToJsonRoute.headers['content-type']).toMatch(/application\/problem\+json/);

    const hint = await parse(sample('nanosight_beads_nta3.2.csv'), 'x.txt', { format: 'fcs' });
    expect(hint.body.format).toBe('nanosight-nta'); // the content decides; the hint is only a fallback
  });

  it('is for lab staff only', async () => {
    const clinic = await signIn(app, 'clinic');
    expect((await parse(sample('fortessa_fcs3.0.fcs'), 'f.fcs', {}, clinic)).status).toBe(403);
  });
});
