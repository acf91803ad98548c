import { TestApp } from '../support/test-app.js';
import { signIn } from '../support/users.js';
import { cellCultureHarvest, createLot, createProduct, precipitation, serumHarvest, spin } from '../support/fixtures.js';

describe('isolation through HTTP', () => {
  let app: TestApp;
  let tech: string;
  let qa: string;
  let productId: string;
  let mediaLot: string;
  let serumLot: string;
  let expiredLot: string;
  let bufferLot: string;

  const newBatch = async (body?: Record<string, unknown>) => (await app.request('POST', '/batches', { token: tech, body: body ?? cellCultureHarvest(productId) })).body.id as string;
  const countWrites = async () => (await app.query(`SELECT (SELECT count(*) FROM isolation_steps) + (SELECT count(*) FROM batch_events) + (SELECT count(*) FROM audit_events) + (SELECT count(*) FROM outbox) AS n`))[0].n;

  beforeAll(async () => {
    app = await TestApp.start({ worker: false });
    tech = await signIn(app, 'technician');
    qa = await signIn(app, 'qa_manager');
    productId = (await createProduct(app, qa)).id;
    mediaLot = (await createLot(app, tech, { intendedSource: 'cell_culture_media' })).id;
    serumLot = (await createLot(app, tech, { intendedSource: 'serum', name: 'Total Exosome Isolation (from serum)' })).id;
    expiredLot = (await createLot(app, tech, { intendedSource: 'cell_culture_media' }, { expiryDate: '2025-06-30', receivedDate: '2024-06-01' })).id;
    bufferLot = (await createLot(app, tech, { kind: 'buffer', intendedSource: 'any', name: 'PBS' })).id;
  });
  afterAll(() => app?.close());

  it('records ordered steps with reagent lots, completes with the yield, and keeps the full history', async () => {
    const id = await newBatch();
    const first = await app.request('POST', `/batches/${id}/isolation/steps`, { token: tech, body: spin() });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ sequence: 1, stepType: 'pre_clearing_spin', parameters: { gForce: 2000 } });
    const second = await app.request('POST', `/batches/${id}/isolation/steps`, { token: tech, body: precipitation(mediaLot) });
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ sequence: 2, reagentLotId: mediaLot, reagentName: 'Total Exosome Isolation (from cell culture media)' });
    await app.request('POST', `/batches/${id}/isolation/steps`, { token: tech, body: { stepType: 'incubation', performedAt: new Date(Date.now() - 1600_000).toISOString(), parameters: { durationMinutes: 60, temperatureC: 4 } } });
    await app.request('POST', `/batches/${id}/isolation/steps`, { token: tech, body: { stepType: 'pelleting_spin', performedAt: new Date(Date.now() - 1500_000).toISOString(), parameters: { gForce: 10000, durationMinutes: 60, temperatureC: 4 } } });
    const resuspend = await app.request('POST', `/batches/${id}/isolation/steps`, { token: tech, body: { stepType: 'resuspension', reagentLotId: bufferLot, performedAt: new Date(Date.now() - 1400_000).toISOString(), parameters: { resuspensionVolumeMl: 0.5 } } });
    expect(resuspend.status).toBe(201);

    const done = await app.request('POST', `/batches/${id}/isolation/complete`, { token: tech, body: { yieldVolumeMl: 0.5 } });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ state: 'isolated', yieldVolumeMl: 0.5 });
    expect(done.body.isolationSteps.map((s: { sequence: number }) => s.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(done.body.events.map((e: { toState: string }) => e.toState)).toEqual(['harvested', 'isolation_in_progress', 'isolated']);
    expect(done.body.events[1]).toMatchObject({ transition: 'start_isolation', fromState: 'harvested', actorName: expect.any(String), occurredAt: expect.any(String) });

    const late = await app.request('POST', `/batches/${id}/isolation/steps`, { token: tech, body: spin() });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'batch.wrong_state', currentState: 'isolated' });
    const twice = await app.request('POST', `/batches/${id}/isolation/complete`, { token: tech, body: { yieldVolumeMl: 1 } });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('state.transition_not_allowed');
  });

  it('refuses completing isolation without a separation step', async () => {
    const id = await newBatch();
    await app.request('POST', `/batches/${id}/isolation/steps`, { token: tech, body: spin() });
    const res = await app.request('POST', `/batches/${id}/isolation/complete`, { token: tech, body: { yieldVolumeMl: 1 } });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('state.guard_failed');
    expect(res.body.detail).toMatch(/separation step/);
    const [{ state }] = await app.query(`SELECT state FROM batches WHERE id = $1`, [id]);
    expect(state).toBe('isolation_in_progress');
  });

  const stepRefusals: [string, (ids: { batch: string }) => Record<string, unknown>, number, string, string][] = [
    ['the reagent made for serum on a cell-culture batch', () => precipitation(serumLot), 422, 'reagentLotId', 'wrong_source'],
    ['an expired lot', () => precipitation(expiredLot), 422, 'reagentLotId', 'expired'],
    ['an unknown lot', () => precipitation('2b1f7f1e-1111-4111-8111-111111111111'), 422, 'reagentLotId', 'exists'],
    ['a lot id that is not a UUID', () => precipitation('lot-42'), 400, 'reagentLotId', 'isUuid'],
    ['a precipitation without a lot', () => ({ ...precipitation(mediaLot), reagentLotId: undefined }), 400, 'reagentLotId', 'requiredForStepType'],
    ['a g-force of 0', () => spin({ parameters: { gForce: 0, durationMinutes: 30, temperatureC: 4 } }), 400, 'parameters.gForce', 'min'],
    ['a negative volume', () => precipitation(mediaLot, { parameters: { sampleVolumeMl: -1, reagentVolumeMl: 2 } }), 400, 'parameters.sampleVolumeMl', 'min'],
    ['a missing spin duration', () => spin({ parameters: { gForce: 2000, temperatureC: 4 } }), 400, 'parameters.durationMinutes', 'requiredForStepType'],
    ['an unknown step type', () => spin({ stepType: 'shaking' }), 400, 'stepType', 'isIn'],
    ['a temperature as text', () => spin({ parameters: { gForce: 2000, durationMinutes: 30, temperatureC: 'cold' } }), 400, 'parameters.temperatureC', 'isNumber'],
  ];

  it.each(stepRefusals)('refuses %s, names the field and writes nothing', async (_name, body, status, field, rule) => {
    const batch = await newBatch();
    const before = await countWrites();
    const res = await app.request('POST', `/batches/${batch}/isolation/steps`, { token: tech, body: body({ batch }) });
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, rule })]));
    expect(await countWrites()).toBe(before);
    const [{ state }] = await app.query(`SELECT state FROM batches WHERE id = $1`, [batch]);
    expect(state).toBe('harvested');
  });

  it('accepts the serum reagent on a serum batch', async () => {
    const batch = await newBatch(serumHarvest(productId));
    const res = await app.request('POST', `/batches/${batch}/isolation/steps`, { token: tech, body: precipitation(serumLot, { parameters: { sampleVolumeMl: 20, reagentVolumeMl: 4 } }) });
    expect(res.status).toBe(201);
  });

  it('refuses a step on an unknown batch with 404', async () => {
    const res = await app.request('POST', `/batches/2b1f7f1e-1111-4111-8111-111111111111/isolation/steps`, { token: tech, body: spin() });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('batch.not_found');
  });

  it('lists reagent lots with their expiry status', async () => {
    const res = await app.request('GET', '/reagent-lots', { token: tech });
    expect(res.status).toBe(200);
    const statuses = new Map(res.body.map((l: { id: string; status: string }) => [l.id, l.status]));
    expect(statuses.get(expiredLot)).toBe('expired');
    expect(statuses.get(mediaLot)).toBe('valid');
    const expiredOnly = await app.request('GET', '/reagent-lots?status=expired', { token: qa });
    expect(expiredOnly.body.map((l: { id: string }) => l.id)).toEqual([expiredLot]);
  });

  it('refuses a lot whose expiry precedes its receipt, and a duplicate lot number', async () => {
    const reagent = (await app.request('GET', '/reagents', { token: tech })).body[0];
    const bad = await app.request('POST', `/reagents/${reagent.id}/lots`, { token: tech, body: { lotNumber: 'X1', expiryDate: '2026-01-01', receivedDate: '2026-02-01' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'expiryDate' })]);
    await app.request('POST', `/reagents/${reagent.id}/lots`, { token: tech, body: { lotNumber: 'DUP-1', expiryDate: '2027-01-01', receivedDate: '2026-02-01' } });
    const dup = await app.request('POST', `/reagents/${reagent.id}/lots`, { token: tech, body: { lotNumber: 'DUP-1', expiryDate: '2027-01-01', receivedDate: '2026-02-01' } });
    expect(dup.status).toBe(409);
  });

  it('serialises concurrent steps on one batch into distinct sequence numbers', async () => {
    const id = await newBatch();
    const results = await Promise.all(Array.from({ length: 6 }, () => app.request('POST', `/batches/${id}/isolation/steps`, { token: tech, body: spin() })));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(201));
    expect(results.map((r) => r.body.sequence).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    const events = await app.query(`SELECT transition FROM batch_events WHERE batch_id = $1`, [id]);
    expect(events.filter((e) => e.transition === 'start_isolation')).toHaveLength(1);
  });
});
