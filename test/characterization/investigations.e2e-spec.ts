import { TestApp } from '../support/test-app.js';
import { signInAs, type TestUser } from '../support/users.js';
import { isolatedBatch, passingResults, productWithEffectiveSpec } from '../support/fixtures.js';

describe('OOS results open investigations that QA closes with a signature', () => {
  let app: TestApp;
  let qa: TestUser & { token: string };
  let tech: TestUser & { token: string };
  let productId: string;

  beforeAll(async () => {
    app = await TestApp.start({ worker: false });
    qa = await signInAs(app, 'qa_manager');
    tech = await signInAs(app, 'technician');
    ({ productId } = await productWithEffectiveSpec(app, qa));
  });
  afterAll(() => app?.close());

  async function oosNta(batchId: string) {
    const body = passingResults().nta;
    const res = await app.request('POST', `/batches/${batchId}/results/nta`, { token: tech.token, body: { ...body, data: { ...(body.data as object), modeNm: 182 } } });
    expect(res.status).toBe(201);
    expect(res.body.outcome).toBe('fail');
    return res.body;
  }

  it('opens an investigation automatically, and closes it as invalidated with a passing retest', async () => {
    const batchId = await isolatedBatch(app, tech.token, productId);
    const failed = await oosNta(batchId);
    const list = await app.request('GET', `/investigations?batchId=${batchId}&status=open`, { token: qa.token });
    expect(list.body).toEqual([expect.objectContaining({ resultId: failed.id, status: 'open', assay: 'nta', failedParameters: [expect.objectContaining({ parameter: 'modeNm', value: 182, expected: '50–150 nm' })] })]);
    const inv = list.body[0];
    expect(inv.number).toMatch(/^OOS-\d{4}-\d{4}$/);

    const update = await app.request('PATCH', `/investigations/${inv.id}`, { token: tech.token, body: { assigneeId: tech.id, findings: 'Sample was not vortexed before dilution; aggregates.' } });
    expect(update.status).toBe(200);
    expect(update.body).toMatchObject({ assigneeId: tech.id, findings: expect.stringMatching(/vortexed/) });

    const noRetest = await app.request('POST', `/investigations/${inv.id}/close`, { token: qa.token, body: { conclusion: 'invalidated_retest', password: qa.password, rootCause: 'Sample preparation error' } });
    expect(noRetest.status).toBe(400);
    expect(noRetest.body.errors).toEqual([expect.objectContaining({ field: 'retestResultId' })]);

    const retest = await app.request('POST', `/batches/${batchId}/results/nta`, { token: tech.token, body: { ...passingResults().nta, retestOfId: failed.id } });
    expect(retest.status).toBe(201);
    expect(retest.body).toMatchObject({ retestOfId: failed.id, outcome: 'pass' });

    const techCloses = await app.request('POST', `/investigations/${inv.id}/close`, { token: tech.token, body: { conclusion: 'invalidated_retest', password: tech.password, rootCause: 'x y z', retestResultId: retest.body.id } });
    expect(techCloses.status).toBe(403);
    const wrongPassword = await app.request('POST', `/investigations/${inv.id}/close`, { token: qa.token, body: { conclusion: 'invalidated_retest', password: 'wrong-password', rootCause: 'x y z', retestResultId: retest.body.id } });
    expect(wrongPassword.status).toBe(401);
    expect((await app.query(`SELECT status FROM investigations WHERE id = $1`, [inv.id]))[0].status).toBe('open');

    const closed = await app.request('POST', `/investigations/${inv.id}/close`, { token: qa.token, body: { conclusion: 'invalidated_retest', password: qa.password, rootCause: 'Sample preparation error', retestResultId: retest.body.id } });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: 'closed', conclusion: 'invalidated_retest', retestResultId: retest.body.id, closureSignatureId: expect.any(String), closedAt: expect.any(String) });
    const signatures = await app.request('GET', `/signatures?recordType=investigation&recordId=${inv.id}`, { token: qa.token });
    expect(signatures.body.items).toEqual([expect.objectContaining({ meaning: 'oos_investigation_closed', valid: true, printedName: qa.displayName })]);

    const again = await app.request('POST', `/investigations/${inv.id}/close`, { token: qa.token, body: { conclusion: 'confirmed_oos', password: qa.password, rootCause: 'x y z' } });
    expect(again.status).toBe(409);
    await expect(app.query(`UPDATE investigations SET conclusion = 'confirmed_oos' WHERE id = $1`, [inv.id])).rejects.toThrow(/closed/);
  });

  it('confirms an OOS, and opens only one investigation per result lineage', async () => {
    const batchId = await isolatedBatch(app, tech.token, productId);
    const failed = await oosNta(batchId);
    await app.request('POST', `/batches/${batchId}/results/${failed.id}/corrections`, { token: tech.token, body: { data: { ...failed.data, d90Nm: 400 }, reason: 'D90 re-read from the report' } });
    const open = await app.request('GET', `/investigations?batchId=${batchId}`, { token: qa.token });
    expect(open.body).toHaveLength(1);
    const closed = await app.request('POST', `/investigations/${open.body[0].id}/close`, { token: qa.token, body: { conclusion: 'confirmed_oos', password: qa.password, rootCause: 'Aggregated preparation; batch out of specification' } });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: 'closed', conclusion: 'confirmed_oos' });
  });

  it('refuses a retest that does not pass or belongs to another assay', async () => {
    const batchId = await isolatedBatch(app, tech.token, productId);
    const failed = await oosNta(batchId);
    const inv = (await app.request('GET', `/investigations?batchId=${batchId}`, { token: qa.token })).body[0];
    const otherAssay = await app.request('POST', `/batches/${batchId}/results/facs`, { token: tech.token, body: passingResults().facs });
    const res = await app.request('POST', `/investigations/${inv.id}/close`, { token: qa.token, body: { conclusion: 'invalidated_retest', password: qa.password, rootCause: 'x y z', retestResultId: otherAssay.body.id } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'retestResultId', rule: 'sameBatchAndAssay' })]);
    const wrongBatchRetest = await app.request('POST', `/batches/${batchId}/results/nta`, { token: tech.token, body: { ...passingResults().nta, retestOfId: '2b1f7f1e-1111-4111-8111-111111111111' } });
    expect(wrongBatchRetest.status).toBe(422);
    expect(failed.id).toBeTruthy();
  });
});
