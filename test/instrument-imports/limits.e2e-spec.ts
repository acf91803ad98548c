import { hoursAgo, isolatedBatch, productWithEffectiveSpec } from '../support/fixtures.js';
import { postForm } from '../support/multipart.js';
import { TestApp } from '../support/test-app.js';
import { signInAs } from '../support/users.js';
import { sample } from './expected-values.js';

const LIMIT = 16 * 1024;
/** A two-video NTA 3.4-style summary (as in libs/instruments/test/nta.spec.ts), well under the limit. */
const SMALL_NTA = [
  'NTA Experiment Summary File', 'Created with NTA 3.4 Build 3.4.4', '[Experiment Details]', 'Filename:,vid_a,vid_b',
  '[Results],,,Average,Standard Error', 'Concentration (Particles / ml),2.0E+09,4.0E+09,3.0E+09,1.0E+09', 'Dilution factor,100,100,100,',
  '[Size Data]', 'Weighting,Number', 'Filename,vid_a,vid_b,Average,Standard Error', 'D90,140,150,145,5', 'Mode,95,105,100,5', 'Mean,110,120,115,5', '',
].join('\r\n');

describe('upload size limit (INSTRUMENT_MAX_BYTES)', () => {
  let app: TestApp;
  let tech: string;
  let batchId: string;

  const stored = async () => (await app.query(`SELECT (SELECT count(*) FROM instrument_files)::int AS files, (SELECT count(*) FROM assay_results)::int AS results, (SELECT count(*) FROM audit_events)::int AS audit`))[0];

  beforeAll(async () => {
    app = await TestApp.start({ worker: false, env: { INSTRUMENT_MAX_BYTES: String(LIMIT) } });
    const qa = await signInAs(app, 'qa_manager');
    tech = (await signInAs(app, 'technician')).token;
    batchId = await isolatedBatch(app, tech, (await productWithEffectiveSpec(app, qa)).productId);
  });
  afterAll(() => app?.close());

  it('is read from the environment', () => {
    expect(app.config.instrumentMaxBytes).toBe(LIMIT);
  });

  it('refuses a file one byte over the limit with 422 instrument.too_large, and accepts one at the limit', async () => {
    const atLimit = await postForm(app, '/instrument-files/parse', tech, {}, { filename: 'x.bin', content: Buffer.alloc(LIMIT, 0x41) });
    expect(atLimit.status).toBe(422);
    expect(atLimit.body.code).toBe('instrument.unrecognised_format'); // read in full, then not recognised

    const over = await postForm(app, '/instrument-files/parse', tech, {}, { filename: 'x.bin', content: Buffer.alloc(LIMIT + 1, 0x41) });
    expect(over.status).toBe(422);
    expect(over.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(over.body).toMatchObject({ code: 'instrument.too_large', limitBytes: LIMIT, where: { byteOffset: LIMIT } });
  });

  it('refuses oversize instrument files and images on every upload route, storing nothing', async () => {
    const before = await stored();
    const fcs = await postForm(app, '/instrument-files/parse', tech, { channel: 'FSC-A', threshold: 1000 }, { filename: 'fortessa.fcs', content: sample('fortessa_fcs3.0.fcs') });
    expect(fcs.status).toBe(422);
    expect(fcs.body.code).toBe('instrument.too_large');

    const nta = await postForm(app, `/batches/${batchId}/results/import`, tech, { assay: 'nta', performedAt: hoursAgo(1) }, { filename: 'nta.csv', content: sample('nanosight_beads_nta3.2.csv') });
    expect(nta.status).toBe(422);
    expect(nta.body.code).toBe('instrument.too_large');

    // A file within the limit goes through; compressed content counts at its expanded size.
    const zipped = await postForm(app, `/batches/${batchId}/results/import`, tech, { assay: 'qpcr', performedAt: hoursAgo(1), sample: 'pop1_RNase P' }, { filename: 'stepone_std.rdml', content: sample('stepone_std.rdml') });
    expect(zipped.status).toBe(422);
    expect(zipped.body).toMatchObject({ code: 'instrument.too_large', format: 'rdml' });
    const small = await postForm(app, `/batches/${batchId}/results/import`, tech, { assay: 'nta', performedAt: hoursAgo(1) }, { filename: 'two-videos.csv', content: Buffer.from(SMALL_NTA) });
    expect(small.status).toBe(201);
    expect(small.body.data).toMatchObject({ meanNm: 115, modeNm: 100, d90Nm: 145, concentrationPerMl: 3e9, dilutionFactor: 100, videoCount: 2 });
    const after = await stored();

    // ... and an image over the limit is refused the same way.
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(LIMIT)]);
    const image = await postForm(app, `/batches/${batchId}/files`, tech, {}, { filename: 'em.png', content: png });
    expect(image.status).toBe(422);
    expect(image.body.code).toBe('instrument.too_large');

    expect(after).toMatchObject({ files: before.files + 1, results: before.results + 1 });
    expect(await stored()).toEqual(after);
  });
});
