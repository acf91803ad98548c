import { isolatedBatch, recordPassingResults } from '../support/fixtures.js';
import { eventually, TestApp } from '../support/test-app.js';
import { signInAs, type TestUser } from '../support/users.js';
import { freezerWithBox, labelledProduct, pushReadings, registerLogger, series, store } from './support.js';

type User = TestUser & { token: string };

describe('an excursion on bulk material blocks the release of a batch still in the lab', () => {
  let app: TestApp;
  let qa: User;
  let tech: User;

  beforeAll(async () => {
    app = await TestApp.start();
    qa = await signInAs(app, 'qa_manager');
    tech = await signInAs(app, 'technician');
  });
  afterAll(() => app?.close());

  const state = async (id: string) => (await app.query(`SELECT state, qc_revision FROM batches WHERE id = $1`, [id]))[0];
  const coldChainLine = async (id: string) => {
    const checklist = (await app.request('GET', `/batches/${id}/release-checklist`, { token: qa.token })).body;
    return checklist.lines?.find((l: { key: string }) => l.key === 'cold_chain:no_unresolved_excursion');
  };

  it('fails the checklist line while the excursion has no disposition, and passes again after QA releases the hold', async () => {
    const { productId } = await labelledProduct(app, qa);
    const batchId = await isolatedBatch(app, tech.token, productId);
    const bulk = await app.request('POST', `/batches/${batchId}/bulk-containers`, { token: tech.token, body: { volumeMl: 1.5 } });
    expect(bulk.status).toBe(201);
    expect(bulk.body).toMatchObject({ purpose: 'bulk', batchId, status: 'filled', expiryDate: null });
    expect((await app.request('POST', `/batches/${batchId}/bulk-containers`, { token: tech.token, body: { volumeMl: 1 } })).status).toBe(422);
    expect((await app.request('GET', `/vials/${bulk.body.serial}/label`, { token: tech.token })).status).toBe(422);
    expect((await app.request('POST', `/batches/${batchId}/fills`, { token: tech.token, body: { solutionName: 'HA 1%', solutionLot: 'HA-1', vials: [{ volumeMl: 0.1 }] } })).status).toBe(409);

    const freezer = await freezerWithBox(app, tech.token, { graceSeconds: 30 });
    const logger = await registerLogger(app, tech.token, { kind: 'freezer', freezerId: freezer.freezerId });
    await store(app, tech.token, bulk.body.serial, freezer.boxId, 1, 1);
    await recordPassingResults(app, tech.token, batchId);
    await eventually(async () => (await state(batchId)).state === 'release_pending', 20000);
    expect(await coldChainLine(batchId)).toMatchObject({ status: 'pass', requirement: 'No unresolved cold-chain excursion' });
    const revision = (await state(batchId)).qc_revision;

    const T = Date.now() + 1000;
    await pushReadings(app, logger.key, series(T, 10, [-80, -30, -30, -30, -30, -30, -80]));
    await eventually(async () => (await state(batchId)).state === 'qc_review', 20000);
    expect((await state(batchId)).qc_revision).toBeGreaterThan(revision);
    const line = await eventually(async () => {
      const l = await coldChainLine(batchId);
      return l?.status === 'fail' ? l : undefined;
    });
    const [excursion] = (await app.request('GET', `/excursions?freezerId=${freezer.freezerId}`, { token: qa.token })).body.items;
    expect(line.detail).toContain(excursion.number);
    expect((await app.request('POST', `/batches/${batchId}/release/approve`, { token: qa.token, body: { password: qa.password } })).status).toBe(409);

    const disposed = await app.request('POST', `/excursions/${excursion.id}/disposition`, { token: qa.token, body: { decision: 'release_from_quarantine', justification: 'Bulk stayed below -25 °C; stability data cover it.', password: qa.password } });
    expect(disposed.status).toBe(200);
    await eventually(async () => (await state(batchId)).state === 'release_pending', 20000);
    expect(await coldChainLine(batchId)).toMatchObject({ status: 'pass' });
  });
});
