import { parseElementString } from '#storage';
import { getBytes } from '../support/multipart.js';
import { TestApp } from '../support/test-app.js';
import { createClinic, signInAs, type TestUser } from '../support/users.js';
import { decodeDataMatrix } from './datamatrix.js';
import { fillVials, freezerWithBox, labelledProduct, releasedBatch, store } from './support.js';

type User = TestUser & { token: string };

describe('fill, label, store, move, ship and receive vials', () => {
  let app: TestApp;
  let qa: User;
  let tech: User;
  let clinicUser: User;
  let otherClinicUser: User;
  let clinicId: string;
  let batchId: string;
  let lotNumber: string;
  let gtin: string;

  beforeAll(async () => {
    app = await TestApp.start();
    qa = await signInAs(app, 'qa_manager');
    tech = await signInAs(app, 'technician');
    clinicId = (await createClinic(app, { name: 'Skin Clinic Utrecht' })).id;
    clinicUser = await signInAs(app, 'clinic', { clinicId });
    otherClinicUser = await signInAs(app, 'clinic');
    const product = await labelledProduct(app, qa);
    gtin = product.gtin!;
    ({ batchId, lotNumber } = await releasedBatch(app, tech.token, qa, product.productId));
  });
  afterAll(() => app?.close());

  it('takes a released batch to the clinic: fill, label, store, move, ship, receive, with a full custody history', async () => {
    const fill = await app.request('POST', `/batches/${batchId}/fills`, {
      token: tech.token,
      body: { solutionName: 'HA 1% reconstitution solution', solutionLot: 'HA-2611-07', vials: [{ volumeMl: 0.5, clinicId, patientRef: 'PT-7F3K2' }, { volumeMl: 0.5 }, { volumeMl: 0.5 }] },
    });
    expect(fill.status).toBe(201);
    expect(fill.body).toMatchObject({ batchId, lotNumber, solutionLot: 'HA-2611-07' });
    expect(fill.body.vials).toHaveLength(3);
    const [a, b, c] = fill.body.vials.map((v: { serial: string }) => v.serial);
    expect(a).toMatch(/^[2-9A-HJ-NP-Z]{12}$/);
    const expiry = new Date(Date.now() + 180 * 86400_000).toISOString().slice(0, 10);
    expect(fill.body.vials[0]).toMatchObject({ volumeMl: 0.5, clinicId, patientRef: 'PT-7F3K2', status: 'filled', expiryDate: expiry });

    const label = await app.request('GET', `/vials/${a}/label`, { token: tech.token });
    expect(label.status).toBe(200);
    const yymmdd = expiry.slice(2).replace(/-/g, '');
    expect(label.body).toMatchObject({ gtin, lot: lotNumber, serial: a, humanReadable: `(01)${gtin}(17)${yymmdd}(10)${lotNumber}(21)${a}` });
    expect(label.body.digitalLink).toBe(`http://127.0.0.1:3000/01/${gtin}/10/${encodeURIComponent(lotNumber)}/21/${a}?17=${yymmdd}`);
    expect(label.body.lines).toEqual(expect.arrayContaining([`LOT ${lotNumber}`, `EXP ${expiry}`, `SN ${a}`, 'Ref PT-7F3K2']));

    const png = await getBytes(app, `/vials/${a}/label.png`, tech.token);
    expect(png.status).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    const decoded = decodeDataMatrix(png.bytes);
    expect(decoded.charCodeAt(0)).toBe(0x1d); // FNC1 first: a GS1 DataMatrix
    expect(parseElementString(decoded)).toEqual({ '01': gtin, '17': yymmdd, '10': lotNumber, '21': a });

    const sheet = await getBytes(app, `/fills/${fill.body.id}/labels.pdf`, tech.token);
    expect(sheet.status).toBe(200);
    expect(sheet.bytes.subarray(0, 5).toString()).toBe('%PDF-');
    const zpl = await app.request('GET', `/vials/${a}/label.zpl`, { token: tech.token });
    expect(zpl.raw).toContain(`^FD_101${gtin}17${yymmdd}10${lotNumber}_121${a}^FS`);

    const { boxId, boxCode } = await freezerWithBox(app, tech.token);
    const stored = await app.request('POST', '/storage/store', { token: tech.token, body: { serial: a.toLowerCase(), boxId, row: 1, col: 1 } });
    expect(stored.status).toBe(201);
    expect(stored.body).toMatchObject({ serial: a, event: 'stored', position: 'A1' });
    await store(app, tech.token, b, boxId, 1, 2);

    const clash = await app.request('POST', '/storage/store', { token: tech.token, body: { serial: c, boxId, row: 1, col: 1 } });
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({ code: 'storage.position_occupied', occupant: { serial: a }, boxCode, position: 'A1' });
    expect(clash.body.detail).toContain(a);
    const outside = await app.request('POST', '/storage/store', { token: tech.token, body: { serial: c, boxId, row: 10, col: 1 } });
    expect(outside.status).toBe(422);
    await store(app, tech.token, c, boxId, 1, 3);

    const moved = await app.request('POST', '/storage/move', { token: tech.token, body: { serial: a, boxId, row: 2, col: 1 } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ event: 'moved', position: 'B1' });
    const swap = await app.request('POST', '/storage/move-bulk', { token: tech.token, body: { moves: [{ serial: b, boxId, row: 1, col: 3 }, { serial: c, boxId, row: 1, col: 2 }] } });
    expect(swap.status).toBe(200);
    const map = await app.request('GET', `/storage/boxes/${boxId}`, { token: qa.token });
    expect(map.body).toMatchObject({ code: boxCode, rows: 9, cols: 9, occupied: 3, free: 78 });
    expect(map.body.grid[0][1]).toMatchObject({ serial: c, position: 'A2', lotNumber });
    expect(map.body.grid[0][2]).toMatchObject({ serial: b, position: 'A3' });
    expect(map.body.grid[1][0]).toMatchObject({ serial: a, position: 'B1' });
    expect(map.body.grid[0][0]).toBeNull();

    // Out and back in: one freeze–thaw cycle.
    expect((await app.request('POST', '/storage/retrieve', { token: tech.token, body: { serial: b, reason: 'visual inspection' } })).body).toMatchObject({ status: 'removed' });
    await store(app, tech.token, b, boxId, 1, 3);

    const shipment = await app.request('POST', '/shipments', { token: tech.token, body: { clinicId } });
    expect(shipment.status).toBe(201);
    const packed = await app.request('POST', `/shipments/${shipment.body.id}/vials`, { token: tech.token, body: { serials: [a, b] } });
    expect(packed.status).toBe(200);
    expect(packed.body).toMatchObject({ status: 'packing', vialCount: 2 });
    const shipped = await app.request('POST', `/shipments/${shipment.body.id}/ship`, { token: tech.token });
    expect(shipped.status).toBe(200);
    expect(shipped.body).toMatchObject({ status: 'shipped', shippedAt: expect.any(String) });
    expect((await app.request('GET', `/storage/boxes/${boxId}`, { token: tech.token })).body.occupied).toBe(1);

    expect((await app.request('GET', '/shipments', { token: otherClinicUser.token })).body.total).toBe(0);
    expect((await app.request('GET', `/shipments/${shipment.body.id}`, { token: otherClinicUser.token })).status).toBe(404);
    const stolen = await app.request('POST', `/shipments/${shipment.body.id}/receive`, { token: otherClinicUser.token, body: {} });
    expect(stolen.status).toBe(404);
    expect((await app.request('POST', `/shipments/${shipment.body.id}/receive`, { token: tech.token, body: {} })).status).toBe(403);
    const mine = await app.request('GET', '/shipments', { token: clinicUser.token });
    expect(mine.body.items.map((s: { id: string }) => s.id)).toEqual([shipment.body.id]);

    const received = await app.request('POST', `/shipments/${shipment.body.id}/receive`, { token: clinicUser.token, body: { notes: 'Dry ice present' } });
    expect(received.status).toBe(200);
    expect(received.body).toMatchObject({ status: 'received', arrivalStatus: 'unknown', receiptNotes: 'Dry ice present' });
    expect(received.body.vials.map((v: { status: string }) => v.status)).toEqual(['received', 'received']);
    const again = await app.request('POST', `/shipments/${shipment.body.id}/receive`, { token: clinicUser.token, body: {} });
    expect(again.status).toBe(409);

    const vialA = await app.request('GET', `/vials/${a}`, { token: qa.token });
    expect(vialA.body).toMatchObject({ serial: a, status: 'received', location: null, freezeThawCycles: 0, shipment: { id: shipment.body.id, status: 'received' } });
    expect(vialA.body.custody.map((e: { kind: string }) => e.kind)).toEqual(['filled', 'stored', 'moved', 'packed', 'shipped', 'received']);
    expect(vialA.body.custody[1]).toMatchObject({ boxCode, row: 1, col: 1, actorName: tech.displayName });
    expect(vialA.body.custody[5]).toMatchObject({ shipmentNumber: shipment.body.number, actorName: clinicUser.displayName });
    const vialB = await app.request('GET', `/vials/${b}`, { token: qa.token });
    expect(vialB.body.freezeThawCycles).toBe(1);
    expect(vialB.body.custody.map((e: { kind: string }) => e.kind)).toEqual(['filled', 'stored', 'moved', 'removed', 'stored', 'packed', 'shipped', 'received']);

    const used = await app.request('POST', `/clinic/vials/${a}/use`, { token: clinicUser.token });
    expect(used.status).toBe(200);
    expect((await app.request('POST', `/clinic/vials/${b}/use`, { token: otherClinicUser.token })).status).toBe(404);

    // The custody trail is append-only, and every step is in the audit trail.
    await expect(app.query(`UPDATE custody_events SET kind = 'stored' WHERE vial_id = (SELECT id FROM vials WHERE serial = $1)`, [a])).rejects.toThrow(/append-only/);
    const audited = await app.query(`SELECT action FROM audit_events WHERE entity_type = 'vial' AND entity_id = $1 ORDER BY seq`, [vialA.body.id]);
    expect(audited.map((r) => r.action)).toEqual(['vial.filled', 'vial.stored', 'vial.moved', 'vial.packed', 'vial.shipped', 'vial.received', 'vial.used']);
  });

  it('keeps the vials within the yield and makes patient references pseudonyms', async () => {
    const over = await app.request('POST', `/batches/${batchId}/fills`, { token: tech.token, body: { solutionName: 'HA 1%', solutionLot: 'HA-1', vials: [{ volumeMl: 0.3 }, { volumeMl: 0.3 }] } });
    expect(over.status).toBe(422);
    expect(over.body).toMatchObject({ code: 'fill.exceeds_yield', yieldVolumeMl: 2, alreadyFilledMl: 1.5, requestedMl: 0.6 });
    const name = await app.request('POST', `/batches/${batchId}/fills`, { token: tech.token, body: { solutionName: 'HA 1%', solutionLot: 'HA-1', vials: [{ volumeMl: 0.1, clinicId, patientRef: 'Jane Doe' }] } });
    expect(name.status).toBe(400);
    expect(name.body.errors).toEqual([expect.objectContaining({ field: 'vials[0].patientRef' })]);
    const noClinic = await app.request('POST', `/batches/${batchId}/fills`, { token: tech.token, body: { solutionName: 'HA 1%', solutionLot: 'HA-1', vials: [{ volumeMl: 0.1, patientRef: 'PT-0001' }] } });
    expect(noClinic.status).toBe(400);
    const unreleased = await app.query(`SELECT id FROM batches WHERE state <> 'released' LIMIT 1`);
    if (unreleased.length) expect((await app.request('POST', `/batches/${unreleased[0].id}/fills`, { token: tech.token, body: { solutionName: 'HA 1%', solutionLot: 'HA-1', vials: [{ volumeMl: 0.1 }] } })).status).toBe(409);
    expect((await app.request('POST', `/batches/${batchId}/fills`, { token: qa.token, body: { solutionName: 'HA 1%', solutionLot: 'HA-1', vials: [{ volumeMl: 0.1 }] } })).status).toBe(403);
  });

  it('refuses to pack an ineligible vial with 409 and the reason: quarantined, expired, recalled, unreleased', async () => {
    const { serials } = await fillVials(app, tech.token, batchId, [0.1, 0.1, 0.1, 0.1]);
    const { boxId } = await freezerWithBox(app, tech.token);
    for (const [i, s] of serials.entries()) await store(app, tech.token, s, boxId, 1, i + 1);
    const [quarantined, expired, recalled, fine] = serials;
    await app.query(`UPDATE vials SET quarantined = true WHERE serial = $1`, [quarantined]);
    await app.query(`UPDATE vials SET expiry_date = current_date - 1 WHERE serial = $1`, [expired]);
    await app.query(`UPDATE vials SET recalled_at = now() WHERE serial = $1`, [recalled]);
    const shipment = (await app.request('POST', '/shipments', { token: tech.token, body: { clinicId } })).body;
    for (const [serial, rule] of [[quarantined, 'quarantined'], [expired, 'expired'], [recalled, 'recalled']]) {
      const res = await app.request('POST', `/shipments/${shipment.id}/vials`, { token: tech.token, body: { serials: [fine, serial] } });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'shipment.vial_ineligible', refused: [{ serial, rule, message: expect.stringContaining(serial) }] });
    }
    await app.query(`UPDATE batches SET state = 'quarantined' WHERE id = $1`, [batchId]);
    const unreleased = await app.request('POST', `/shipments/${shipment.id}/vials`, { token: tech.token, body: { serials: [fine] } });
    await app.query(`UPDATE batches SET state = 'released' WHERE id = $1`, [batchId]);
    expect(unreleased.status).toBe(409);
    expect(unreleased.body.refused).toEqual([expect.objectContaining({ serial: fine, rule: 'unreleased' })]);
    expect((await app.request('GET', `/shipments/${shipment.id}`, { token: tech.token })).body.vialCount).toBe(0);
    expect((await app.request('POST', `/shipments/${shipment.id}/ship`, { token: tech.token })).status).toBe(422);
  });

  it('refuses a label for a product without a GTIN with a clear 422', async () => {
    const product = await labelledProduct(app, qa, { gtin: null });
    const other = await releasedBatch(app, tech.token, qa, product.productId);
    const { serials } = await fillVials(app, tech.token, other.batchId, [0.5]);
    const res = await app.request('GET', `/vials/${serials[0]}/label.png`, { token: tech.token });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'label.gtin_missing', detail: expect.stringMatching(/no GTIN/) });
    expect((await app.request('GET', `/vials/${serials[0]}/label`, { token: tech.token })).status).toBe(422);
  });
});
