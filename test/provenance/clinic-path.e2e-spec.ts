import { eventually, TestApp } from '../support/test-app.js';
import { signInAs, type TestUser } from '../support/users.js';
import { releasedBatch } from '../support/fixtures.js';
import { fillVials, freezerWithBox, labelledProduct, pushReadings, registerLogger, series, store } from '../storage/support.js';

describe('a clinic receives, verifies and uses vials; the lookup follows', () => {
  let app: TestApp;
  let qa: TestUser & { token: string };
  let tech: TestUser & { token: string };
  let clinic: TestUser & { token: string };
  let productId: string;

  const verify = (code: string) => app.request('GET', `/verify/${encodeURIComponent(code)}`);

  beforeAll(async () => {
    app = await TestApp.start({ worker: true });
    qa = await signInAs(app, 'qa_manager');
    tech = await signInAs(app, 'technician');
    clinic = await signInAs(app, 'clinic');
    ({ productId } = await labelledProduct(app, qa));
  });
  afterAll(() => app?.close());

  it('shows the coarse journey, then "already used" and "destroyed" after the clinic records them', async () => {
    const { batchId } = await releasedBatch(app, tech.token, qa, productId);
    const { serials } = await fillVials(app, tech.token, batchId, [0.5, 0.5]);
    const { boxId } = await freezerWithBox(app, tech.token);
    await store(app, tech.token, serials[0], boxId, 1, 1);
    await store(app, tech.token, serials[1], boxId, 1, 2);
    const shipment = await app.request('POST', '/shipments', { token: tech.token, body: { clinicId: clinic.clinicId } });
    expect(shipment.status).toBe(201);
    const packed = await app.request('POST', `/shipments/${shipment.body.id}/vials`, { token: tech.token, body: { serials } });
    expect({ status: packed.status, body: packed.status < 300 ? 'ok' : packed.body }).toEqual({ status: 200, body: 'ok' });
    expect((await app.request('POST', `/shipments/${shipment.body.id}/ship`, { token: tech.token, body: {} })).status).toBeLessThan(300);
    const mine = await app.request('GET', '/shipments', { token: clinic.token });
    expect(mine.body.items.map((s: { id: string }) => s.id)).toContain(shipment.body.id);
    expect((await app.request('POST', `/shipments/${shipment.body.id}/receive`, { token: clinic.token, body: { notes: 'Dry ice present' } })).status).toBeLessThan(300);

    const received = await verify(serials[0]);
    expect(received.body.verdict).toBe('verified');
    expect(received.body.facts.custody.map((c: { event: string }) => c.event)).toEqual(['filled', 'shipped', 'received']);
    expect(JSON.stringify(received.body)).not.toMatch(/BOX-|ULT-|freezer/i);

    const noReason = await app.request('POST', `/clinic/vials/${serials[1]}/use`, { token: clinic.token, body: { outcome: 'destroyed' } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'reason' })]));
    expect((await app.request('POST', `/clinic/vials/${serials[0]}/use`, { token: clinic.token, body: { outcome: 'administered' } })).status).toBe(200);
    expect((await app.request('POST', `/clinic/vials/${serials[1]}/use`, { token: clinic.token, body: { outcome: 'destroyed', reason: 'Seal broken on arrival' } })).status).toBe(200);
    expect((await verify(serials[0])).body).toMatchObject({ verdict: 'not_verified', reason: 'already_used' });
    expect((await verify(serials[1])).body).toMatchObject({ verdict: 'not_verified', reason: 'destroyed' });
    const other = await signInAs(app, 'clinic');
    expect((await app.request('POST', `/clinic/vials/${serials[0]}/use`, { token: other.token, body: {} })).status).toBe(404);
  });

  it('says "cold-chain excursion" for a vial in a freezer that failed, until QA disposes', async () => {
    const { batchId } = await releasedBatch(app, tech.token, qa, productId);
    const { serials } = await fillVials(app, tech.token, batchId, [0.5]);
    const { freezerId, boxId } = await freezerWithBox(app, tech.token, { graceSeconds: 60 });
    await store(app, tech.token, serials[0], boxId, 1, 1);
    const logger = await registerLogger(app, tech.token, { kind: 'freezer', freezerId });
    // From just after the vial was stored: 100 s at -40 °C (alarm limit -60 °C, grace 60 s), then back to -80 °C.
    const start = Date.now() + 1000;
    expect((await pushReadings(app, logger.key, series(start, 10, [-80, ...Array(10).fill(-40), -80]))).status).toBeLessThan(300);
    const answer = await eventually(async () => {
      const res = await verify(serials[0]);
      return res.body.reason === 'cold_chain_excursion' ? res.body : undefined;
    }, 20000);
    expect(answer.verdict).toBe('not_verified');
    expect((await verify(serials[0])).body.facts.custody.map((c: { event: string }) => c.event)).toEqual(['filled']);
  });
});
