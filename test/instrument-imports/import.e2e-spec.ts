import { createHash, randomUUID } from 'node:crypto';
import { cellCultureHarvest, hoursAgo, isolatedBatch, productWithEffectiveSpec } from '../support/fixtures.js';
import { getBytes, postForm } from '../support/multipart.js';
import { TestApp } from '../support/test-app.js';
import { signInAs } from '../support/users.js';
import { FORTESSA, NTA, sample, STEPONE_CQ, TAPESTATION } from './expected-values.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('importing instrument files as results', () => {
  let app: TestApp;
  let tech: string;
  let qa: string;
  let productId: string;
  let batchId: string;

  const importFile = (batch: string, file: Buffer, filename: string, fields: Record<string, string | number | undefined>, token = tech) =>
    postForm(app, `/batches/${batch}/results/import`, token, { performedAt: hoursAgo(1), ...fields }, { filename, content: file });
  const stored = async () =>
    (await app.query(`SELECT (SELECT count(*) FROM instrument_files)::int AS files, (SELECT count(*) FROM assay_results)::int AS results, (SELECT count(*) FROM audit_events)::int AS audit`))[0];
  const fileRow = async (id: string) => (await app.query(`SELECT batch_id, file_name, media_type, format, size_bytes, sha256, content, parsed, uploaded_by FROM instrument_files WHERE id = $1`, [id]))[0];

  beforeAll(async () => {
    app = await TestApp.start({ worker: false });
    const qaUser = await signInAs(app, 'qa_manager');
    qa = qaUser.token;
    tech = (await signInAs(app, 'technician')).token;
    productId = (await productWithEffectiveSpec(app, qaUser)).productId;
    batchId = await isolatedBatch(app, tech, productId);
  });
  afterAll(() => app?.close());

  it('stores an NTA summary and records its result, linked to the file, in one go', async () => {
    const bytes = sample('nanosight_beads_nta3.2.csv');
    const res = await importFile(batchId, bytes, 'nanosight_beads_nta3.2.csv', { assay: 'nta', instrument: 'NanoSight NS300 #2' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      batchId, assay: 'nta', version: 1, instrument: 'NanoSight NS300 #2', outcome: 'pass',
      data: { meanNm: NTA.average.meanNm, modeNm: NTA.average.modeNm, d90Nm: NTA.average.d90Nm, concentrationPerMl: NTA.average.concentrationPerMl, dilutionFactor: 1, videoCount: NTA.videoCount },
      file: { sha256: sha256(bytes), fileName: 'nanosight_beads_nta3.2.csv' },
    });
    expect(res.body.instrumentFileId).toBe(res.body.file.id);
    expect(res.body.data.sizeDistribution).toHaveLength(NTA.binCount);

    const row = await fileRow(res.body.file.id);
    expect(row).toMatchObject({ batch_id: batchId, format: 'nanosight-nta', media_type: 'text/csv', size_bytes: bytes.length, sha256: sha256(bytes) });
    expect(Buffer.compare(row.content, bytes)).toBe(0);
    expect(sha256(row.content)).toBe(row.sha256);
    expect(row.parsed).toMatchObject({ videoCount: NTA.videoCount, average: NTA.average });

    const audit = await app.query(`SELECT action, after FROM audit_events WHERE entity_id = $1`, [res.body.file.id]);
    expect(audit).toEqual([expect.objectContaining({ action: 'instrument_file.stored', after: expect.objectContaining({ batchId, sha256: sha256(bytes), format: 'nanosight-nta', sizeBytes: bytes.length }) })]);
    const batch = await app.request('GET', `/batches/${batchId}`, { token: tech });
    expect(batch.body.state).toBe('characterization');
  });

  it('records a FACS result from an FCS file with the gate from the form', async () => {
    const bytes = sample('fortessa_fcs3.0.fcs');
    const res = await importFile(batchId, bytes, 'fortessa_fcs3.0.fcs', { assay: 'facs', channel: 'FSC-A', threshold: 1000, isotypeControlPercent: 1.5, marker: 'CD63' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ assay: 'facs', data: { marker: 'CD63', isotypeControlPercent: 1.5, eventCount: FORTESSA.eventCount }, file: { sha256: sha256(bytes) } });
    expect(res.body.data.percentPositive).toBeCloseTo(FORTESSA.percent.FSC_A_above_1000, 10);
    expect(res.body.derived.percentAboveIsotype).toBeCloseTo(FORTESSA.percent.FSC_A_above_1000 - 1.5, 3);
    // 42.8 % - 1.5 % is below the default 50 % criterion: evaluated at entry like any result.
    expect(res.body.outcome).toBe('fail');
    expect((await fileRow(res.body.file.id)).sha256).toBe(sha256(bytes));
  });

  it('records the chosen RDML sample as a qPCR result, with the reference targets from the form', async () => {
    const bytes = sample('stepone_std.rdml');
    const res = await importFile(batchId, bytes, 'stepone_std.rdml', { assay: 'qpcr', sample: 'pop1_RNase P', referenceTargets: 'RNase P' });
    expect(res.status).toBe(201);
    const cqs = STEPONE_CQ.filter(([, s]) => s === 'pop1_RNase P').map(([, , cq]) => cq);
    expect(res.body).toMatchObject({
      assay: 'qpcr', outcome: 'pass', data: { sampleName: 'pop1_RNase P', targets: cqs.map((cq) => ({ target: 'RNase P', cq, isReference: true })) },
      derived: { referenceCqMax: Math.max(...cqs) }, file: { sha256: sha256(bytes) },
    });
    const row = await fileRow(res.body.file.id);
    expect(row).toMatchObject({ format: 'rdml', media_type: 'application/zip', sha256: sha256(bytes) });
  });

  it('records the chosen Agilent well as a bioanalyzer result', async () => {
    const [well, name, ngPerUl, rine] = TAPESTATION[1];
    const res = await importFile(batchId, sample('tapestation_eukaryotic_rna.xml.gz'), 'tapestation.xml.gz', { assay: 'bioanalyzer', sample: well });
    expect(res.status).toBe(201);
    expect(res.body.data).toEqual({ instrumentType: 'tapestation', concentrationPgPerUl: ngPerUl * 1000, rin: rine, smallRnaProfile: 'present', sampleName: name });
  });

  it('serves the stored file byte for byte, and its metadata without the content', async () => {
    const bytes = sample('stepone_std.rdml');
    const imported = await importFile(batchId, bytes, 'stepone run №1.rdml', { assay: 'qpcr', sample: 'NTC_RNase P' });
    expect(imported.status).toBe(201);
    const id = imported.body.file.id;
    for (const token of [tech, qa]) {
      const download = await getBytes(app, `/instrument-files/${id}/content`, token);
      expect(download.status).toBe(200);
      expect(Buffer.compare(download.bytes, bytes)).toBe(0);
      expect(download.headers).toMatchObject({ 'content-type': 'application/zip', 'x-content-sha256': sha256(bytes), 'x-content-type-options': 'nosniff' });
      expect(String(download.headers['content-disposition'])).toBe(`attachment; filename="stepone run _1.rdml"; filename*=UTF-8''stepone%20run%20%E2%84%961.rdml`);
    }
    const meta = await app.request('GET', `/instrument-files/${id}`, { token: qa });
    expect(meta.status).toBe(200);
    expect(meta.body).toMatchObject({ id, batchId, fileName: 'stepone run №1.rdml', format: 'rdml', sizeBytes: bytes.length, sha256: sha256(bytes), resultIds: [imported.body.id] });
    expect(meta.body).not.toHaveProperty('content');
    expect((await app.request('GET', `/instrument-files/${randomUUID()}`, { token: tech })).status).toBe(404);
  });

  it('refuses without storing anything: damaged file, wrong assay, missing or bad fields, unknown sample or batch', async () => {
    const harvested = await newHarvest();
    const before = await stored();
    const corrupted = await importFile(batchId, sample('corrupted.fcs'), 'corrupted.fcs', { assay: 'facs', channel: 'FL1', threshold: 1, isotypeControlPercent: 0 });
    expect(corrupted.status).toBe(422);
    expect(corrupted.body).toMatchObject({ code: 'instrument.unrecognised_format', where: { byteOffset: 0 } });

    const mismatch = await importFile(batchId, sample('nanosight_beads_nta3.2.csv'), 'nta.csv', { assay: 'qpcr' });
    expect(mismatch.status).toBe(422);
    expect(mismatch.body).toMatchObject({ code: 'instrument.assay_mismatch', errors: [expect.objectContaining({ field: 'assay' })] });

    const missing = await postForm(app, `/batches/${batchId}/results/import`, tech, { assay: 'nta' }, { filename: 'nta.csv', content: sample('nanosight_beads_nta3.2.csv') });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([expect.objectContaining({ field: 'performedAt', rule: 'isDefined' })]);

    const facsFields = await importFile(batchId, sample('fortessa_fcs3.0.fcs'), 'f.fcs', { assay: 'facs', channel: 'FSC-A', threshold: 1000 });
    expect(facsFields.status).toBe(400);
    expect(facsFields.body.errors).toEqual([expect.objectContaining({ field: 'isotypeControlPercent', rule: 'required' })]);

    const strict = await importFile(batchId, sample('nanosight_beads_nta3.2.csv'), 'nta.csv', { assay: 'elisa', performedAt: 'yesterday', retestOfId: 'r1' });
    expect(strict.status).toBe(400);
    expect(strict.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['assay', 'performedAt', 'retestOfId']);

    const whichSample = await importFile(batchId, sample('stepone_std.rdml'), 'stepone_std.rdml', { assay: 'qpcr' });
    expect(whichSample.status).toBe(400);
    expect(whichSample.body.errors[0]).toMatchObject({ field: 'sample', rule: 'required' });
    expect(whichSample.body.errors[0].message).toMatch(/pop1_RNase P/);
    const noSuchSample = await importFile(batchId, sample('stepone_std.rdml'), 'stepone_std.rdml', { assay: 'qpcr', sample: 'pop9' });
    expect(noSuchSample.status).toBe(422);
    expect(noSuchSample.body).toMatchObject({ code: 'instrument.sample_not_found', errors: [expect.objectContaining({ field: 'sample' })] });
    const ambiguous = await importFile(batchId, sample('tapestation_eukaryotic_rna.xml.gz'), 't.xml.gz', { assay: 'bioanalyzer', sample: 'rat kidney 5min 94°C' });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body.errors[0]).toMatchObject({ field: 'sample', rule: 'unique' });

    const noBatch = await importFile(randomUUID(), sample('nanosight_beads_nta3.2.csv'), 'nta.csv', { assay: 'nta' });
    expect(noBatch.status).toBe(404);
    const notYet = await importFile(harvested, sample('nanosight_beads_nta3.2.csv'), 'nta.csv', { assay: 'nta' });
    expect(notYet.status).toBe(409);
    expect(notYet.body.code).toBe('batch.wrong_state');
    expect(await stored()).toEqual(before);

    const asQa = await importFile(batchId, sample('nanosight_beads_nta3.2.csv'), 'nta.csv', { assay: 'nta' }, qa);
    expect(asQa.status).toBe(403);
  });

  it('stores batch images recognised by their bytes, and refuses anything else', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('IHDR fake png body')]);
    const res = await postForm(app, `/batches/${batchId}/files`, tech, {}, { filename: 'em-widefield.png', content: png, contentType: 'image/png' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: expect.any(String), sha256: sha256(png), mediaType: 'image/png' });
    expect(await fileRow(res.body.id)).toMatchObject({ format: 'image', media_type: 'image/png', batch_id: batchId, sha256: sha256(png) });
    const tiff = await postForm(app, `/batches/${batchId}/files`, tech, {}, { filename: 'blot.tif', content: Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]) });
    expect(tiff.body.mediaType).toBe('image/tiff');
    const download = await getBytes(app, `/instrument-files/${res.body.id}/content`, qa);
    expect(Buffer.compare(download.bytes, png)).toBe(0);
    expect(download.headers['content-type']).toBe('image/png');

    const before = await stored();
    const pdf = await postForm(app, `/batches/${batchId}/files`, tech, {}, { filename: 'em.png', content: Buffer.from('%PDF-1.7 pretending'), contentType: 'image/png' });
    expect(pdf.status).toBe(422);
    expect(pdf.body.code).toBe('instrument.unrecognised_format');
    const extra = await postForm(app, `/batches/${batchId}/files`, tech, { caption: 'x' }, { filename: 'em.png', content: png });
    expect(extra.status).toBe(400);
    expect(extra.body.errors[0]).toMatchObject({ field: 'caption', rule: 'unknownField' });
    expect(await stored()).toEqual(before);
  });

  async function newHarvest(): Promise<string> {
    return (await app.request('POST', '/batches', { token: tech, body: cellCultureHarvest(productId) })).body.id;
  }
});
