import { createHash } from 'node:crypto';
import { CertificateService, ReleaseGateJob } from '#release';
import { eventually, TestApp } from '../support/test-app.js';
import { signInAs, type TestUser } from '../support/users.js';
import { isolatedBatch, passingResults, productWithEffectiveSpec, recordPassingResults } from '../support/fixtures.js';

describe('the QC release gate and QA release', () => {
  let app: TestApp;
  let qa: TestUser & { token: string };
  let qa2: TestUser & { token: string };
  let tech: TestUser & { token: string };
  let productId: string;

  const state = async (id: string) => (await app.query(`SELECT state FROM batches WHERE id = $1`, [id]))[0].state as string;
  const waitFor = (id: string, expected: string) => eventually(async () => (await state(id)) === expected, 20000);
  async function pendingBatch(): Promise<string> {
    const id = await isolatedBatch(app, tech.token, productId);
    await recordPassingResults(app, tech.token, id);
    await waitFor(id, 'release_pending');
    return id;
  }

  beforeAll(async () => {
    app = await TestApp.start({ worker: true });
    qa = await signInAs(app, 'qa_manager');
    qa2 = await signInAs(app, 'qa_manager', { displayName: 'Second QA' });
    tech = await signInAs(app, 'technician');
    ({ productId } = await productWithEffectiveSpec(app, qa));
  });
  afterAll(() => app?.close());

  it('a batch whose results all pass becomes release pending without anyone asking; QA signs; it gets a lot number and a CoA', async () => {
    const id = await isolatedBatch(app, tech.token, productId);
    await recordPassingResults(app, tech.token, id);
    await waitFor(id, 'release_pending');
    const checklist = await app.request('GET', `/batches/${id}/release-checklist`, { token: qa.token });
    expect(checklist.body).toMatchObject({ passed: true, stale: false, computed: true, computedAt: expect.any(String) });
    const keys = checklist.body.lines.map((l: { key: string }) => l.key);
    expect(keys).toEqual(expect.arrayContaining(['assay:nta', 'criterion:nta:modeNm', 'criterion:western_blot:calnexin', 'investigations:none_open', 'investigations:no_confirmed_oos', 'reagents:lots_valid']));
    expect(checklist.body.lines.every((l: { status: string; evidence: unknown[] }) => l.status === 'pass')).toBe(true);
    expect(checklist.body.lines.find((l: { key: string }) => l.key === 'criterion:nta:modeNm').evidence[0]).toMatchObject({ resultId: expect.any(String), version: 1, value: 104.2 });
    const events = await app.request('GET', `/batches/${id}`, { token: qa.token });
    expect(events.body.events.slice(-2).map((e: { transition: string; actorName: string }) => `${e.transition}:${e.actorName}`)).toEqual(['submit_for_qc_review:system', 'gate_passed:system']);
    const queue = await app.request('GET', '/release-queue', { token: qa.token });
    expect(queue.body.map((b: { id: string }) => b.id)).toContain(id);

    const approved = await app.request('POST', `/batches/${id}/release/approve`, { token: qa.token, body: { password: qa.password } });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ decision: 'approved', state: 'released', signedBy: qa.displayName, meaning: 'approved_for_release' });
    expect(approved.body.lotNumber).toMatch(/^L\d{4}-\d{5}$/);
    const signatures = await app.request('GET', `/signatures?recordType=batch_release&recordId=${id}`, { token: qa.token });
    expect(signatures.body.items).toEqual([expect.objectContaining({ meaning: 'approved_for_release', valid: true })]);
    const signed = await app.request('GET', `/signatures/${signatures.body.items[0].id}`, { token: qa.token });
    expect(signed.body.signedRecord.results).toHaveLength(11);
    expect(signed.body.signedRecord.checklist.passed).toBe(true);

    const pdf = await eventually(async () => {
      const res = await app.request('GET', `/batches/${id}/certificate`, { token: tech.token });
      return res.status === 200 ? res : undefined;
    });
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const bytes = Buffer.from(pdf.raw, 'latin1');
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    const [{ sha256, content }] = await app.query(`SELECT sha256, content FROM certificates WHERE batch_id = $1`, [id]);
    expect(createHash('sha256').update(content).digest('hex')).toBe(sha256);
    expect(pdf.headers['x-content-sha256']).toBe(sha256);
    expect(await app.app.get(CertificateService).generate(id)).toEqual({ sha256, created: false });
  });

  it('refuses approval before the gate passes, by a technician, with a wrong password, and by a QA manager who recorded results', async () => {
    const id = await isolatedBatch(app, tech.token, productId);
    const notYet = await app.request('POST', `/batches/${id}/release/approve`, { token: qa.token, body: { password: qa.password } });
    expect(notYet.status).toBe(409);
    expect(notYet.body.code).toBe('release.not_pending');
    await recordPassingResults(app, tech.token, id);
    await waitFor(id, 'release_pending');
    expect((await app.request('POST', `/batches/${id}/release/approve`, { token: tech.token, body: { password: tech.password } })).status).toBe(403);
    const wrong = await app.request('POST', `/batches/${id}/release/approve`, { token: qa.token, body: { password: 'not-it' } });
    expect(wrong.status).toBe(401);

    // A QA manager who recorded a result of this batch may not sign its release (four-eyes).
    await app.query(`INSERT INTO users (email, display_name, role, password_hash) SELECT 'dual.' || md5(random()::text) || '@t.test', 'Dual Role', 'qa_manager', password_hash FROM users WHERE id = $1 RETURNING id`, [qa.id]);
    const [dual] = await app.query(`SELECT id, email FROM users WHERE display_name = 'Dual Role' ORDER BY created_at DESC LIMIT 1`);
    await app.query(`UPDATE users SET role = 'technician' WHERE id = $1`, [dual.id]);
    const dualTechToken = (await app.request('POST', '/auth/login', { body: { email: dual.email, password: qa.password } })).body.token;
    const extra = await app.request('POST', `/batches/${id}/results/em`, { token: dualTechToken, body: passingResults().em });
    expect(extra.status).toBe(201);
    await app.query(`UPDATE users SET role = 'qa_manager' WHERE id = $1`, [dual.id]);
    await waitFor(id, 'release_pending');
    await eventually(async () => (await app.request('GET', `/batches/${id}/release-checklist`, { token: qa.token })).body.stale === false);
    const dualQaToken = (await app.request('POST', '/auth/login', { body: { email: dual.email, password: qa.password } })).body.token;
    const fourEyes = await app.request('POST', `/batches/${id}/release/approve`, { token: dualQaToken, body: { password: qa.password } });
    expect(fourEyes.status).toBe(403);
    expect(fourEyes.body.code).toBe('release.four_eyes');
    expect((await app.query(`SELECT count(*)::int AS n FROM release_decisions WHERE batch_id = $1`, [id]))[0].n).toBe(0);
  });

  it('refuses approval on a stale checklist (a newer change not yet evaluated)', async () => {
    const id = await pendingBatch();
    await app.query(`UPDATE batches SET qc_revision = qc_revision + 1 WHERE id = $1`, [id]);
    const res = await app.request('POST', `/batches/${id}/release/approve`, { token: qa.token, body: { password: qa.password } });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('release.checklist_stale');
    await app.app.get(ReleaseGateJob).evaluate(id);
    const ok = await app.request('POST', `/batches/${id}/release/approve`, { token: qa.token, body: { password: qa.password } });
    expect(ok.status).toBe(200);
  });

  it('stores exactly one decision when two QA managers approve at the same moment', async () => {
    const id = await pendingBatch();
    const [a, b] = await Promise.all([
      app.request('POST', `/batches/${id}/release/approve`, { token: qa.token, body: { password: qa.password } }),
      app.request('POST', `/batches/${id}/release/approve`, { token: qa2.token, body: { password: qa2.password } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect((await app.query(`SELECT count(*)::int AS n FROM release_decisions WHERE batch_id = $1`, [id]))[0].n).toBe(1);
    expect((await app.query(`SELECT count(*)::int AS n FROM batch_events WHERE batch_id = $1 AND transition = 'approve_release'`, [id]))[0].n).toBe(1);
    const again = await app.request('POST', `/batches/${id}/release/reject`, { token: qa2.token, body: { password: qa2.password, reason: 'changed my mind' } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('release.already_decided');
  });

  it('rejects with a reason and a signature; a rejected batch can never be released', async () => {
    const id = await pendingBatch();
    const noReason = await app.request('POST', `/batches/${id}/release/reject`, { token: qa.token, body: { password: qa.password } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'reason' })]));
    const rejected = await app.request('POST', `/batches/${id}/release/reject`, { token: qa.token, body: { password: qa.password, reason: 'Particle concentration trend below historical range' } });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ decision: 'rejected', state: 'rejected', reason: expect.stringMatching(/trend/), meaning: 'rejected' });
    const approve = await app.request('POST', `/batches/${id}/release/approve`, { token: qa2.token, body: { password: qa2.password } });
    expect(approve.status).toBe(409);
    await expect(app.query(`UPDATE batches SET state = 'released' WHERE id = $1`, [id])).rejects.toThrow(/rejected/);
  });

  it('moves a release-pending batch back when a line later fails (correction, lot recall)', async () => {
    const id = await pendingBatch();
    const nta = (await app.request('GET', `/batches/${id}/results`, { token: tech.token })).body.find((r: { assay: string }) => r.assay === 'nta');
    await app.request('POST', `/batches/${id}/results/${nta.id}/corrections`, { token: tech.token, body: { data: { ...nta.data, d90Nm: 320 }, reason: 'D90 re-read from the instrument report' } });
    await waitFor(id, 'qc_review');
    const checklist = (await app.request('GET', `/batches/${id}/release-checklist`, { token: qa.token })).body;
    expect(checklist.passed).toBe(false);
    expect(checklist.lines.filter((l: { status: string }) => l.status === 'fail').map((l: { key: string }) => l.key)).toEqual(['criterion:nta:d90Nm', 'investigations:none_open']);
    const events = (await app.request('GET', `/batches/${id}`, { token: qa.token })).body.events;
    expect(events.at(-1)).toMatchObject({ transition: 'gate_failed', toState: 'qc_review', reason: expect.stringMatching(/D90/) });

    const other = await pendingBatch();
    const [{ reagent_lot_id: lotId }] = await app.query(`SELECT reagent_lot_id FROM isolation_steps WHERE batch_id = $1 AND reagent_lot_id IS NOT NULL LIMIT 1`, [other]);
    const recall = await app.request('POST', `/reagent-lots/${lotId}/recall`, { token: qa.token, body: { password: qa.password, reason: 'Supplier notice: contamination' } });
    expect(recall.status).toBe(200);
    expect(recall.body.status).toBe('recalled');
    await waitFor(other, 'qc_review');
    const line = (await app.request('GET', `/batches/${other}/release-checklist`, { token: qa.token })).body.lines.find((l: { key: string }) => l.key === 'reagents:lots_valid');
    expect(line).toMatchObject({ status: 'fail', detail: expect.stringMatching(/recalled/) });
  });

  it('gives the same outcome when the same gate job is delivered twice', async () => {
    const id = await pendingBatch();
    const count = async () => (await app.query(`SELECT (SELECT count(*) FROM release_checklists WHERE batch_id = $1)::int AS c, (SELECT count(*) FROM batch_events WHERE batch_id = $1)::int AS e`, [id]))[0];
    const before = await count();
    const gate = app.app.get(ReleaseGateJob);
    const first = await gate.evaluate(id, 'duplicate-1');
    const second = await gate.evaluate(id, 'duplicate-1');
    expect(first).toEqual({ state: 'release_pending', passed: true });
    expect(second).toEqual(first);
    expect(await count()).toEqual(before);
  });
});

describe('queue operations for admins', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start({ worker: true });
  });
  afterAll(() => app?.close());

  it('shows failed jobs with their error and re-runs one', async () => {
    const admin = await signInAs(app, 'admin');
    const ghost = '2b1f7f1e-1111-4111-8111-111111111111';
    await app.query(`INSERT INTO outbox (job_name, queue_name, dedupe_key, payload) VALUES ('release.gate.evaluate', 'release-gate', $1, jsonb_build_object('batchId', $1::text))`, [ghost]);
    await app.drainOutbox();
    const overview = await app.request('GET', '/admin/queues', { token: admin.token });
    expect(overview.status).toBe(200);
    expect(overview.body.map((q: { name: string }) => q.name)).toEqual(expect.arrayContaining(['batch-derived', 'release-gate', 'documents']));
    expect(overview.body[0].counts).toEqual(expect.objectContaining({ failed: expect.any(Number), waiting: expect.any(Number) }));
    const failed = await eventually(async () => {
      const res = await app.request('GET', '/admin/queues/release-gate/jobs?state=failed', { token: admin.token });
      return res.body.find((j: { data: { batchId: string } }) => j.data.batchId === ghost);
    });
    expect(failed.failedReason).toMatch(/does not exist/);
    const retried = await app.request('POST', `/admin/queues/release-gate/jobs/${failed.id}/retry`, { token: admin.token });
    expect(retried.status).toBe(200);
    const unknown = await app.request('GET', '/admin/queues/nope/jobs', { token: admin.token });
    expect(unknown.status).toBe(404);
    const techTries = await app.request('GET', '/admin/queues', { token: (await signInAs(app, 'technician')).token });
    expect(techTries.status).toBe(403);
  });
});
