import { TestApp } from '../support/test-app.js';
import { signInAs, type TestUser } from '../support/users.js';
import { hoursAgo, isolatedBatch, passingResults, productWithEffectiveSpec } from '../support/fixtures.js';

describe('characterization and RNA profiling results through HTTP', () => {
  let app: TestApp;
  let qa: TestUser & { token: string };
  let tech: TestUser & { token: string };
  let productId: string;
  let specificationId: string;

  beforeAll(async () => {
    app = await TestApp.start({ worker: false });
    qa = await signInAs(app, 'qa_manager');
    tech = await signInAs(app, 'technician');
    ({ productId, specificationId } = await productWithEffectiveSpec(app, qa));
  });
  afterAll(() => app?.close());

  it('records every assay, binding the effective specification at the first result, with per-parameter verdicts', async () => {
    const batchId = await isolatedBatch(app, tech.token, productId);
    const bodies = passingResults();
    for (const [route, body] of Object.entries(bodies)) {
      const res = await app.request('POST', `/batches/${batchId}/results/${route}`, { token: tech.token, body });
      expect({ route, status: res.status, outcome: res.body.outcome }).toEqual({ route, status: 201, outcome: 'pass' });
      expect(res.body.verdicts.length).toBeGreaterThan(0);
      expect(res.body).toMatchObject({ specificationId, version: 1, recordedBy: tech.id, recordedByName: tech.displayName });
    }
    const batch = await app.request('GET', `/batches/${batchId}`, { token: qa.token });
    expect(batch.body).toMatchObject({ state: 'characterization', specificationId });
    expect(batch.body.events.map((e: { transition: string }) => e.transition)).toContain('start_characterization');
    expect(batch.body.results).toHaveLength(Object.keys(bodies).length);

    const protein = (await app.request('GET', `/batches/${batchId}/results`, { token: tech.token })).body.find((r: { assay: string }) => r.assay === 'protein');
    // 3.1e11 particles/mL ÷ 120 µg/mL, computed here independently of the service.
    expect(protein.derived.purityParticlesPerUg).toBeCloseTo(3.1e11 / 120, -3);
    expect(protein.derived.highPurity).toBe(false);
    const facs = (await app.request('GET', `/batches/${batchId}/results`, { token: tech.token })).body.find((r: { assay: string }) => r.assay === 'facs');
    expect(facs.derived.percentAboveIsotype).toBeCloseTo(76.4, 6);
    expect((await app.query(`SELECT count(*)::int AS n FROM investigations WHERE batch_id = $1`, [batchId]))[0].n).toBe(0);
  });

  it('refuses results before isolation is complete and when no specification is effective', async () => {
    const early = (await app.request('POST', '/batches', { token: tech.token, body: (await import('../support/fixtures.js')).cellCultureHarvest(productId) })).body.id;
    const res = await app.request('POST', `/batches/${early}/results/nta`, { token: tech.token, body: passingResults().nta });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('batch.wrong_state');

    const bare = (await app.request('POST', '/products', { token: qa.token, body: { code: 'NO-SPEC-1', name: 'No spec yet', shelfLifeDays: 30 } })).body.id;
    const unbound = await isolatedBatch(app, tech.token, bare);
    const none = await app.request('POST', `/batches/${unbound}/results/nta`, { token: tech.token, body: passingResults().nta });
    expect(none.status).toBe(409);
    expect(none.body.detail).toMatch(/specification/);
    expect((await app.query(`SELECT count(*)::int AS n FROM assay_results WHERE batch_id = $1`, [unbound]))[0].n).toBe(0);
  });

  it('validates each assay field by field', async () => {
    const batchId = await isolatedBatch(app, tech.token, productId);
    const res = await app.request('POST', `/batches/${batchId}/results/nta`, { token: tech.token, body: { performedAt: hoursAgo(1), data: { meanNm: -3, modeNm: 'big', d90Nm: 200, concentrationPerMl: 1e10, dilutionFactor: 0, videoCount: 2.5 } } });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string; rule: string }) => `${e.field}:${e.rule}`).sort()).toEqual(['data.dilutionFactor:min', 'data.meanNm:min', 'data.modeNm:isNumber', 'data.modeNm:max', 'data.modeNm:min', 'data.videoCount:isInt']);
    const wb = await app.request('POST', `/batches/${batchId}/results/western-blot`, { token: tech.token, body: { performedAt: hoursAgo(1), data: { markers: [{ marker: 'CD63', result: 'maybe' }] } } });
    expect(wb.status).toBe(400);
    expect(wb.body.errors).toEqual([expect.objectContaining({ field: 'data.markers[0].result', rule: 'isIn' })]);
  });

  it('keeps a correction as a new version with its reason; both versions stay visible', async () => {
    const batchId = await isolatedBatch(app, tech.token, productId);
    const first = (await app.request('POST', `/batches/${batchId}/results/nta`, { token: tech.token, body: passingResults().nta })).body;
    const noReason = await app.request('POST', `/batches/${batchId}/results/${first.id}/corrections`, { token: tech.token, body: { data: { ...first.data, modeNm: 98 } } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors.map((e: { field: string }) => e.field)).toEqual(['reason', 'reason']);
    const badData = await app.request('POST', `/batches/${batchId}/results/${first.id}/corrections`, { token: tech.token, body: { data: { ...first.data, modeNm: -1 }, reason: 'typo' } });
    expect(badData.status).toBe(400);
    expect(badData.body.errors).toEqual([expect.objectContaining({ field: 'data.modeNm', rule: 'min' })]);

    const corrected = await app.request('POST', `/batches/${batchId}/results/${first.id}/corrections`, { token: tech.token, body: { data: { ...first.data, modeNm: 98 }, reason: 'Transcription error: mode read from the wrong video' } });
    expect(corrected.status).toBe(201);
    expect(corrected.body).toMatchObject({ version: 2, supersedesId: first.id, lineageId: first.lineageId, correctionReason: expect.stringMatching(/Transcription/) });
    const versions = await app.request('GET', `/batches/${batchId}/results/${first.id}/versions`, { token: qa.token });
    expect(versions.body.map((v: { version: number; data: { modeNm: number } }) => [v.version, v.data.modeNm])).toEqual([[1, 104.2], [2, 98]]);
    const current = await app.request('GET', `/batches/${batchId}/results`, { token: qa.token });
    expect(current.body.filter((r: { assay: string }) => r.assay === 'nta').map((r: { version: number }) => r.version)).toEqual([2]);
    const history = await app.request('GET', `/batches/${batchId}/results?history=true`, { token: qa.token });
    expect(history.body.filter((r: { assay: string }) => r.assay === 'nta')).toHaveLength(2);

    const stale = await app.request('POST', `/batches/${batchId}/results/${first.id}/corrections`, { token: tech.token, body: { data: first.data, reason: 'again' } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'result.stale', currentVersionId: corrected.body.id });
    await expect(app.query(`UPDATE assay_results SET outcome = 'pass' WHERE id = $1`, [first.id])).rejects.toThrow(/append-only/);
    const audit = await app.query(`SELECT action, reason FROM audit_events WHERE entity_type = 'assay_result' AND entity_id = $1`, [corrected.body.id]);
    expect(audit).toEqual([{ action: 'result.corrected', reason: 'Transcription error: mode read from the wrong video' }]);
  });

  it('applies the serum rules (ApoA1, albumin) to a serum batch', async () => {
    const batchId = await isolatedBatch(app, tech.token, productId, { source: 'serum' });
    const res = await app.request('POST', `/batches/${batchId}/results/western-blot`, {
      token: tech.token,
      body: { performedAt: hoursAgo(1), data: { markers: [{ marker: 'CD63', result: 'present' }, { marker: 'ALIX', result: 'present' }, { marker: 'ApoA1', result: 'depleted' }, { marker: 'Albumin', result: 'present' }] } },
    });
    expect(res.status).toBe(201);
    expect(res.body.verdicts.map((v: { parameter: string; verdict: string }) => `${v.parameter}:${v.verdict}`)).toEqual(['CD63:pass', 'cytosolic:pass', 'ApoA1:pass', 'albumin:fail']);
    expect(res.body.outcome).toBe('fail');
  });
});
