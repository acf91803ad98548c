import { ColdChainJobs } from '#cold-chain';
import { eventually, TestApp } from '../support/test-app.js';
import { signInAs, type TestUser } from '../support/users.js';
import { fillVials, freezerWithBox, labelledProduct, pushReadings, registerLogger, releasedBatch, series, store } from './support.js';

type User = TestUser & { token: string };

describe('cold chain: readings, excursions, quarantine and signed dispositions', () => {
  let app: TestApp;
  let qa: User;
  let tech: User;
  let productId: string;
  let batchId: string;

  beforeAll(async () => {
    app = await TestApp.start({ env: { COLD_CHAIN_SCAN_MS: '500' } });
    qa = await signInAs(app, 'qa_manager');
    tech = await signInAs(app, 'technician');
    ({ productId } = await labelledProduct(app, qa));
    ({ batchId } = await releasedBatch(app, tech.token, qa, productId));
  });
  afterAll(() => app?.close());

  const excursionsOf = async (freezerId: string) => (await app.request('GET', `/excursions?freezerId=${freezerId}`, { token: qa.token })).body.items;

  it('authenticates loggers by key, refuses impossible readings one by one and never counts a reading twice', async () => {
    const { freezerId } = await freezerWithBox(app, tech.token);
    const logger = await registerLogger(app, tech.token, { kind: 'freezer', freezerId });
    expect(logger.key).toMatch(/^lgk_/);
    const [row] = await app.query(`SELECT key_hash FROM temperature_loggers WHERE id = $1`, [logger.id]);
    expect(row.key_hash).not.toContain(logger.key.slice(4, 20));
    expect(JSON.stringify(await app.query(`SELECT after FROM audit_events WHERE entity_id = $1`, [logger.id]))).not.toContain(logger.key);

    const t = Date.now() - 600_000;
    const good = series(t, 60, [-80.1, -80.2, -80.3, -79.9]);
    const res = await pushReadings(app, logger.key, [...good, { recordedAt: new Date(t).toISOString(), temperatureC: 'NaN' }, { recordedAt: new Date(t + 1000).toISOString(), temperatureC: -300 }, { recordedAt: new Date(Date.now() + 86400_000).toISOString(), temperatureC: -80 }]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ loggerCode: logger.code, received: 7, stored: 4, duplicates: 0 });
    expect(res.body.refused).toEqual([
      expect.objectContaining({ index: 4, reason: 'not_a_number' }),
      expect.objectContaining({ index: 5, reason: 'below_absolute_zero', message: expect.stringMatching(/absolute zero/) }),
      expect.objectContaining({ index: 6, reason: 'in_future' }),
    ]);
    // The same batch again, and an overlapping out-of-order one: only new times are stored.
    expect((await pushReadings(app, logger.key, good)).body).toMatchObject({ stored: 0, duplicates: 4 });
    const late = series(t - 120_000, 60, [-80, -80, -80.1]).reverse();
    expect((await pushReadings(app, logger.key, [...late, good[1]])).body).toMatchObject({ stored: 2, duplicates: 2 });
    expect((await app.query(`SELECT count(*)::int AS n FROM temperature_readings WHERE logger_id = $1`, [logger.id]))[0].n).toBe(6);
    const readings = await app.request('GET', `/loggers/${logger.id}/readings`, { token: qa.token });
    expect(readings.body.readings.map((r: { recordedAt: string }) => r.recordedAt)).toEqual([...readings.body.readings.map((r: { recordedAt: string }) => r.recordedAt)].sort());

    for (const authorization of [undefined, 'Logger lgk_' + 'x'.repeat(43), `Bearer ${tech.token}`]) {
      const refused = await app.request('POST', '/temperature-readings', { headers: authorization ? { authorization } : {}, body: { readings: good } });
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ code: 'auth.logger_key_invalid' });
      // The key is checked before the body: without one, a malformed body tells nothing either.
      const malformed = await app.request('POST', '/temperature-readings', { headers: authorization ? { authorization } : {}, body: { readings: 'lots' } });
      expect([malformed.status, malformed.body.code]).toEqual([401, 'auth.logger_key_invalid']);
    }
    const rotated = await app.request('POST', `/loggers/${logger.id}/key`, { token: tech.token });
    expect((await pushReadings(app, logger.key, good)).status).toBe(401);
    expect((await pushReadings(app, rotated.body.key, good)).status).toBe(200);
    expect((await app.request('POST', '/temperature-readings', { headers: { authorization: `Logger ${rotated.body.key}` }, body: { readings: 'lots' } })).status).toBe(400);
  });

  it('quarantines exactly the vials that were in the failed freezer, and QA releases them with a signed disposition', async () => {
    const a = await freezerWithBox(app, tech.token, { graceSeconds: 60 });
    const b = await freezerWithBox(app, tech.token, { graceSeconds: 60 });
    const loggerA = await registerLogger(app, tech.token, { kind: 'freezer', freezerId: a.freezerId });
    const loggerB = await registerLogger(app, tech.token, { kind: 'freezer', freezerId: b.freezerId });
    const { serials } = await fillVials(app, tech.token, batchId, [0.2, 0.2, 0.2, 0.2]);
    const [v1, v2, v3, v4] = serials;
    await store(app, tech.token, v1, a.boxId, 1, 1);
    await store(app, tech.token, v2, a.boxId, 1, 2);
    await store(app, tech.token, v3, b.boxId, 1, 1);
    await store(app, tech.token, v4, a.boxId, 1, 3);
    await app.request('POST', '/storage/move', { token: tech.token, body: { serial: v4, boxId: b.boxId, row: 1, col: 2 } });

    // Freezer A fails: from T+10 s it reads -40 °C for 100 s (grace 60 s), then recovers. B stays cold.
    const T = Date.now() + 1000;
    await pushReadings(app, loggerA.key, series(T, 10, [-80, ...Array(10).fill(-40), -45, -79]));
    await pushReadings(app, loggerB.key, series(T, 10, Array(13).fill(-80)));
    const [excursion] = await eventually(async () => ((await excursionsOf(a.freezerId)).length ? excursionsOf(a.freezerId) : undefined));
    expect(excursion).toMatchObject({ kind: 'temperature', loggerCode: loggerA.code, peakC: -40, limitC: -60, disposition: null, vialCount: 2 });
    expect(new Date(excursion.startedAt).getTime()).toBe(T + 10_000);
    expect(new Date(excursion.endedAt).getTime()).toBe(T + 120_000);
    expect(await excursionsOf(b.freezerId)).toEqual([]);
    const held = await app.query(`SELECT serial FROM vials WHERE quarantined ORDER BY serial`);
    expect(held.map((r) => r.serial)).toEqual([v1, v2].sort());
    const v1View = (await app.request('GET', `/vials/${v1}`, { token: qa.token })).body;
    expect(v1View.custody.at(-1)).toMatchObject({ kind: 'quarantined', excursionNumber: excursion.number, boxId: a.boxId, actorName: 'system' });

    // Re-running detection and re-sending the readings changes nothing.
    await app.app.get(ColdChainJobs).detect(loggerA.id);
    expect((await pushReadings(app, loggerA.key, series(T, 10, [-80, ...Array(10).fill(-40)]))).body.stored).toBe(0);
    expect(await app.query(`SELECT count(*)::int AS n FROM excursions WHERE logger_id = $1`, [loggerA.id])).toEqual([{ n: 1 }]);
    expect(await app.query(`SELECT count(*)::int AS n FROM custody_events WHERE kind = 'quarantined'`)).toEqual([{ n: 2 }]);

    const shipment = (await app.request('POST', '/shipments', { token: tech.token, body: { clinicId: (await app.query(`INSERT INTO clinics (code, name) VALUES ('CL-CC', 'Cold clinic') RETURNING id`))[0].id } })).body;
    const blocked = await app.request('POST', `/shipments/${shipment.id}/vials`, { token: tech.token, body: { serials: [v1] } });
    expect(blocked.status).toBe(409);
    expect(blocked.body.refused).toEqual([expect.objectContaining({ rule: 'quarantined' })]);

    const body = { decision: 'release_from_quarantine', justification: 'Stability data cover 2 h at -40 °C; exposure was 110 s.', password: qa.password };
    expect((await app.request('POST', `/excursions/${excursion.id}/disposition`, { token: tech.token, body: { ...body, password: tech.password } })).status).toBe(403);
    const wrong = await app.request('POST', `/excursions/${excursion.id}/disposition`, { token: qa.token, body: { ...body, password: 'not-my-password' } });
    expect(wrong.status).toBe(401);
    expect((await app.query(`SELECT disposition, signature_id FROM excursions WHERE id = $1`, [excursion.id]))[0]).toEqual({ disposition: null, signature_id: null });
    expect((await app.query(`SELECT count(*)::int AS n FROM signatures WHERE record_type = 'excursion'`))[0].n).toBe(0);
    expect(await app.query(`SELECT action FROM audit_events WHERE entity_id = $1`, [excursion.id])).toEqual([{ action: 'excursion.detected' }]);

    const done = await app.request('POST', `/excursions/${excursion.id}/disposition`, { token: qa.token, body });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ disposition: 'release_from_quarantine', disposedBy: qa.id, signatureId: expect.any(String), affected: [v1, v2].sort() });
    expect(done.body.signature.manifestation).toMatch(/Excursion disposition/);
    expect(await app.query(`SELECT count(*)::int AS n FROM vials WHERE quarantined`)).toEqual([{ n: 0 }]);
    const signatures = await app.request('GET', `/signatures?recordType=excursion&recordId=${excursion.id}`, { token: qa.token });
    expect(signatures.body.items).toEqual([expect.objectContaining({ meaning: 'excursion_disposition', valid: true, printedName: qa.displayName })]);
    expect((await app.request('GET', `/vials/${v1}`, { token: qa.token })).body.custody.at(-1)).toMatchObject({ kind: 'quarantine_lifted', actorName: qa.displayName });
    expect((await app.request('POST', `/excursions/${excursion.id}/disposition`, { token: qa.token, body })).status).toBe(409);
    await expect(app.query(`UPDATE excursions SET disposition = 'destroy' WHERE id = $1`, [excursion.id])).rejects.toThrow(/can no longer change/);
    expect((await app.request('POST', `/shipments/${shipment.id}/vials`, { token: tech.token, body: { serials: [v1] } })).status).toBe(200);
  });

  it('destroys the vials when QA decides so', async () => {
    const c = await freezerWithBox(app, tech.token, { graceSeconds: 30 });
    const logger = await registerLogger(app, tech.token, { kind: 'freezer', freezerId: c.freezerId });
    const { serials } = await fillVials(app, tech.token, batchId, [0.1]);
    await store(app, tech.token, serials[0], c.boxId, 2, 2);
    const T = Date.now() + 1000;
    await pushReadings(app, logger.key, series(T, 10, [-80, -20, -20, -20, -20, -20, -80]));
    const [excursion] = await eventually(async () => ((await excursionsOf(c.freezerId)).length ? excursionsOf(c.freezerId) : undefined));
    const res = await app.request('POST', `/excursions/${excursion.id}/disposition`, { token: qa.token, body: { decision: 'destroy', justification: 'Warm for a minute at -20 °C: outside stability data.', password: qa.password } });
    expect(res.status).toBe(200);
    const vial = (await app.request('GET', `/vials/${serials[0]}`, { token: qa.token })).body;
    expect(vial).toMatchObject({ status: 'destroyed', location: null });
    expect(vial.custody.map((e: { kind: string }) => e.kind)).toEqual(['filled', 'stored', 'quarantined', 'destroyed']);
    expect((await app.request('GET', `/storage/boxes/${c.boxId}`, { token: tech.token })).body.occupied).toBe(0);
  });

  it('catches a silent logger with the scheduled scan', async () => {
    const d = await freezerWithBox(app, tech.token, { maxGapSeconds: 2 });
    const logger = await registerLogger(app, tech.token, { kind: 'freezer', freezerId: d.freezerId });
    const { serials } = await fillVials(app, tech.token, batchId, [0.1]);
    await store(app, tech.token, serials[0], d.boxId, 1, 1);
    expect((await pushReadings(app, logger.key, series(Date.now(), 1, [-80]))).body.stored).toBe(1);
    const [gap] = await eventually(async () => ((await excursionsOf(d.freezerId)).length ? excursionsOf(d.freezerId) : undefined), 20000);
    expect(gap).toMatchObject({ kind: 'data_gap', endedAt: null, vialCount: 1 });
    expect((await app.query(`SELECT quarantined FROM vials WHERE serial = $1`, [serials[0]]))[0].quarantined).toBe(true);
    const ongoing = await app.request('POST', `/excursions/${gap.id}/disposition`, { token: qa.token, body: { decision: 'release_from_quarantine', justification: 'Logger battery replaced; freezer log shows -80.', password: qa.password } });
    expect(ongoing.status).toBe(409);
    // The logger speaks again: the gap ends where its next reading is.
    await pushReadings(app, logger.key, series(Date.now(), 1, [-80]));
    await eventually(async () => (await excursionsOf(d.freezerId))[0].endedAt !== null);
  });

  it('refuses temperature limits PostgreSQL real cannot hold with a 400 naming the field, and stores a 1e-186 °C reading as 0 °C', async () => {
    // Found by the hostile-input suite: 1.78e-186 passed the range check, then `real` refused it (500).
    const clinic = await signInAs(app, 'clinic');
    const tiny = 1.7836752010880516e-186;
    const shipment = await app.request('POST', '/shipments', { token: tech.token, body: { clinicId: clinic.clinicId, alarmHighC: tiny } });
    expect(shipment.status).toBe(400);
    expect(shipment.body.errors).toEqual([expect.objectContaining({ field: 'alarmHighC', message: expect.stringMatching(/at most 4 decimals/) })]);
    const site = (await app.request('POST', '/storage/sites', { token: tech.token, body: { code: 'S-TINY', name: 'Tiny site' } })).body;
    const freezer = await app.request('POST', '/storage/freezers', { token: tech.token, body: { siteId: site.id, code: 'ULT-TINY', name: 'Freezer', setPointC: -80.00001, alarmHighC: -60 } });
    expect([freezer.status, freezer.body.errors?.map((e: { field: string }) => e.field)]).toEqual([400, ['setPointC']]);
    expect((await app.query(`SELECT count(*)::int AS n FROM shipments WHERE alarm_high_c = 0`))[0].n).toBe(0);
    expect((await app.query(`SELECT count(*)::int AS n FROM freezers WHERE code = 'ULT-TINY'`))[0].n).toBe(0);

    const { freezerId } = await freezerWithBox(app, tech.token);
    const logger = await registerLogger(app, tech.token, { kind: 'freezer', freezerId });
    const pushed = await pushReadings(app, logger.key, [{ recordedAt: new Date(Date.now() - 60_000).toISOString(), temperatureC: tiny }]);
    expect(pushed.status).toBe(200);
    expect(pushed.body).toMatchObject({ stored: 1, refused: [] });
    expect((await app.query(`SELECT temperature_c FROM temperature_readings WHERE logger_id = $1`, [logger.id]))[0].temperature_c).toBe(0);
  });

  it('flags a warm shipment at receipt and quarantines its vials; a cold one arrives ok', async () => {
    const clinic = await signInAs(app, 'clinic');
    const { serials } = await fillVials(app, tech.token, batchId, [0.1, 0.1]);
    const { boxId } = await freezerWithBox(app, tech.token);
    await store(app, tech.token, serials[0], boxId, 1, 1);
    await store(app, tech.token, serials[1], boxId, 1, 2);
    const arrival = async (serial: string, temps: number[]) => {
      const logger = await registerLogger(app, tech.token, { kind: 'shipping' });
      const s = (await app.request('POST', '/shipments', { token: tech.token, body: { clinicId: clinic.clinicId, loggerId: logger.id, graceSeconds: 0 } })).body;
      await app.request('POST', `/shipments/${s.id}/vials`, { token: tech.token, body: { serials: [serial] } });
      const shipped = (await app.request('POST', `/shipments/${s.id}/ship`, { token: tech.token })).body;
      await new Promise((r) => setTimeout(r, 1000));
      await pushReadings(app, logger.key, series(new Date(shipped.shippedAt).getTime() + 100, 0.3, temps));
      return (await app.request('POST', `/shipments/${s.id}/receive`, { token: clinic.token, body: {} })).body;
    };
    const warm = await arrival(serials[0], [-30, -25, -30]);
    expect(warm).toMatchObject({ status: 'received', arrivalStatus: 'excursion', vials: [expect.objectContaining({ serial: serials[0], quarantined: true, status: 'received' })] });
    const cold = await arrival(serials[1], [-75, -76, -75]);
    expect(cold).toMatchObject({ arrivalStatus: 'ok', vials: [expect.objectContaining({ quarantined: false })] });
  });
});
