import { TestApp } from '../support/test-app.js';
import { signIn } from '../support/users.js';
import { cellCultureHarvest, createProduct, serumHarvest } from '../support/fixtures.js';

describe('harvest through HTTP', () => {
  let app: TestApp;
  let tech: string;
  let qa: string;
  let productId: string;

  beforeAll(async () => {
    app = await TestApp.start({ worker: false });
    tech = await signIn(app, 'technician');
    qa = await signIn(app, 'qa_manager');
    productId = (await createProduct(app, qa)).id;
  });
  afterAll(() => app?.close());

  it('records a cell-culture harvest, which opens a batch with its first event and audit', async () => {
    const res = await app.request('POST', '/batches', { token: tech, body: cellCultureHarvest(productId) });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ state: 'harvested', sourceType: 'cell_culture_media', originClass: 'human_cell_derived', nextTransitions: expect.arrayContaining(['start_isolation']) });
    expect(res.body.batchNumber).toMatch(/^EXB-\d{4}-\d{5}$/);
    expect(res.body.harvest.details).toMatchObject({ producingCellType: 'msc', sourceTissue: 'adipose', passageNumber: 4, evDepletedMedia: true });
    expect(res.body.events).toEqual([expect.objectContaining({ transition: 'record_harvest', fromState: null, toState: 'harvested', actorName: expect.any(String) })]);
    const audit = await app.query(`SELECT action FROM audit_events WHERE entity_id = $1 OR entity_id = $2 ORDER BY seq`, [res.body.id, res.body.harvest.id]);
    expect(audit.map((a) => a.action)).toEqual(['batch.record_harvest', 'batch.created', 'harvest.recorded']);

    const read = await app.request('GET', `/batches/${res.body.id}`, { token: qa });
    expect(read.status).toBe(200);
    expect(read.body.harvest.id).toBe(res.body.harvest.id);
  });

  it('records a serum harvest with a donor pseudonym and a given batch number', async () => {
    const res = await app.request('POST', '/batches', { token: tech, body: serumHarvest(productId, { batchNumber: 'SER-0001' }) });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ batchNumber: 'SER-0001', sourceType: 'serum', originClass: 'human_serum' });
    expect(res.body.harvest.details).toMatchObject({ donorPseudonym: 'DNR-7F3K2', haemolysisCheck: 'passed' });
    const again = await app.request('POST', '/batches', { token: tech, body: serumHarvest(productId, { batchNumber: 'SER-0001' }) });
    expect(again.status).toBe(409);
    expect(again.body.errors).toEqual([expect.objectContaining({ field: 'batchNumber', rule: 'unique' })]);
  });

  const refusals: [string, () => Record<string, unknown>, number, string, string][] = [
    ['serum fields missing', () => serumHarvest(productId, { serum: undefined }), 400, 'serum', 'isObject'],
    ['a donor name instead of a pseudonym', () => serumHarvest(productId, { serum: { donorPseudonym: 'Jane Doe', consentReference: 'C-1', collectionDate: '2026-11-01', volumeMl: 5, haemolysisCheck: 'passed' } }), 400, 'serum.donorPseudonym', 'matches'],
    ['a negative media volume', () => cellCultureHarvest(productId, { cellCulture: { producingCellType: 'hela', passageNumber: 3, cellCount: 1e7, cultureDays: 2, mediaVolumeMl: -5, evDepletedMedia: true } }), 400, 'cellCulture.mediaVolumeMl', 'min'],
    ['an MSC without source tissue', () => cellCultureHarvest(productId, { cellCulture: { producingCellType: 'msc', passageNumber: 3, cellCount: 1e7, cultureDays: 2, mediaVolumeMl: 50, evDepletedMedia: true } }), 400, 'cellCulture.sourceTissue', 'isIn'],
    ['neither cell count nor confluence', () => cellCultureHarvest(productId, { cellCulture: { producingCellType: 'hela', passageNumber: 3, cultureDays: 2, mediaVolumeMl: 50, evDepletedMedia: true } }), 400, 'cellCulture.cellCount', 'isNumber'],
    ['an origin the source cannot give', () => cellCultureHarvest(productId, { originClass: 'human_serum' }), 400, 'originClass', 'matchesSourceType'],
    ['an unknown field', () => cellCultureHarvest(productId, { donorName: 'x' }), 400, 'donorName', 'unknownField'],
    ['a harvest in the future', () => cellCultureHarvest(productId, { harvestedAt: '2099-01-01T00:00:00Z' }), 400, 'harvestedAt', 'notInFuture'],
    ['an unknown product', () => cellCultureHarvest('2b1f7f1e-1111-4111-8111-111111111111'), 422, 'productId', 'exists'],
  ];

  it.each(refusals)('refuses %s with problem+json naming the field, and writes nothing', async (_name, body, status, field, rule) => {
    const [{ n: before }] = await app.query(`SELECT (SELECT count(*) FROM batches) + (SELECT count(*) FROM harvests) + (SELECT count(*) FROM audit_events) AS n`);
    const res = await app.request('POST', '/batches', { token: tech, body: body() });
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status, requestId: expect.any(String), type: expect.stringMatching(/^urn:exolot:problem:/) });
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, rule })]));
    const [{ n: after }] = await app.query(`SELECT (SELECT count(*) FROM batches) + (SELECT count(*) FROM harvests) + (SELECT count(*) FROM audit_events) AS n`);
    expect(after).toBe(before);
  });

  it('refuses malformed JSON with a 400 problem, not a 500', async () => {
    const res = await app.request('POST', '/batches', { token: tech, payload: '{"productId": ', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('lists batches with filters and pagination', async () => {
    for (let i = 0; i < 3; i++) await app.request('POST', '/batches', { token: tech, body: cellCultureHarvest(productId) });
    const page = await app.request('GET', `/batches?state=harvested&productId=${productId}&limit=2&offset=0`, { token: tech });
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(2);
    expect(page.body.total).toBeGreaterThanOrEqual(5);
    expect(page.body.items.every((b: { state: string }) => b.state === 'harvested')).toBe(true);
    const none = await app.request('GET', `/batches?createdFrom=2099-01-01T00:00:00Z`, { token: tech });
    expect(none.body).toMatchObject({ items: [], total: 0 });
    const bad = await app.request('GET', `/batches?state=frozen&limit=0`, { token: tech });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['limit', 'state']);
    const missing = await app.request('GET', `/batches/2b1f7f1e-1111-4111-8111-111111111111`, { token: tech });
    expect(missing.status).toBe(404);
    const notUuid = await app.request('GET', `/batches/not-a-uuid`, { token: tech });
    expect(notUuid.status).toBe(400);
    expect(notUuid.body.errors).toEqual([expect.objectContaining({ field: 'id', rule: 'isUuid' })]);
  });

  it('rejects harvest and batch rows changed through SQL (append-only)', async () => {
    const [harvest] = await app.query(`SELECT id FROM harvests LIMIT 1`);
    await expect(app.query(`UPDATE harvests SET origin_class = 'synthetic' WHERE id = $1`, [harvest.id])).rejects.toThrow(/append-only/);
    await expect(app.query(`DELETE FROM batch_events`)).rejects.toThrow(/append-only/);
  });
});
