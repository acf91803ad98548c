import { TestApp } from '../support/test-app.js';
import { signInAs, type TestUser } from '../support/users.js';
import { createProduct } from '../support/fixtures.js';

describe('versioned specifications through HTTP', () => {
  let app: TestApp;
  let qa: TestUser & { token: string };
  let tech: TestUser & { token: string };

  beforeAll(async () => {
    app = await TestApp.start({ worker: false });
    qa = await signInAs(app, 'qa_manager');
    tech = await signInAs(app, 'technician');
  });
  afterAll(() => app?.close());

  it('drafts from the shipped MISEV default, and QA signs it effective', async () => {
    const product = await createProduct(app, qa.token);
    const draft = await app.request('POST', `/products/${product.id}/specifications`, { token: qa.token, body: { fromTemplate: 'misev-default' } });
    expect(draft.status).toBe(201);
    expect(draft.body).toMatchObject({ version: 1, status: 'draft' });
    const byKey = new Map(draft.body.criteria.map((c: { assay: string; parameter: string; appliesToSource: string | null; expected: string }) => [`${c.assay}.${c.parameter}.${c.appliesToSource}`, c.expected]));
    expect(byKey.get('nta.modeNm.null')).toBe('50–150 nm');
    expect(byKey.get('western_blot.calnexin.cell_culture_media')).toBe('calnexin absent');
    expect(byKey.get('western_blot.ApoA1.serum')).toBe('ApoA1 absent or depleted');
    expect(byKey.get('endotoxin.euPerMl.null')).toBe('< 0.5 EU/mL');

    const wrong = await app.request('POST', `/specifications/${draft.body.id}/approve`, { token: qa.token, body: { password: 'not-my-password' } });
    expect(wrong.status).toBe(401);
    const techTries = await app.request('POST', `/specifications/${draft.body.id}/approve`, { token: tech.token, body: { password: tech.password } });
    expect(techTries.status).toBe(403);

    const approved = await app.request('POST', `/specifications/${draft.body.id}/approve`, { token: qa.token, body: { password: qa.password, reason: 'Initial release specification' } });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'effective', approvalSignatureId: expect.any(String), effectiveAt: expect.any(String) });
    const signatures = await app.request('GET', `/signatures?recordType=specification&recordId=${draft.body.id}`, { token: qa.token });
    expect(signatures.status).toBe(200);
    expect(signatures.body.items).toEqual([expect.objectContaining({ meaning: 'approved_specification', valid: true, printedName: qa.displayName })]);
  });

  it('never edits an effective version: a change is a new version that supersedes it', async () => {
    const product = await createProduct(app, qa.token);
    const v1 = (await app.request('POST', `/products/${product.id}/specifications`, { token: qa.token, body: { fromTemplate: 'misev-default' } })).body;
    await app.request('POST', `/specifications/${v1.id}/approve`, { token: qa.token, body: { password: qa.password } });

    const edit = await app.request('PUT', `/specifications/${v1.id}/criteria`, { token: qa.token, body: { criteria: [{ assay: 'nta', parameter: 'modeNm', label: 'x', criterion: { kind: 'range', min: 1, max: 2, unit: 'nm' } }] } });
    expect(edit.status).toBe(409);
    expect(edit.body.code).toBe('specification.not_draft');
    await expect(app.query(`UPDATE specification_criteria SET criterion = '{"kind":"recorded"}' WHERE specification_id = $1`, [v1.id])).rejects.toThrow(/cannot change/);
    await expect(app.query(`UPDATE specifications SET title = 'x' WHERE id = $1`, [v1.id])).rejects.toThrow(/cannot change/);

    const v2 = await app.request('POST', `/products/${product.id}/specifications`, { token: qa.token, body: { title: 'Tighter endotoxin' } });
    expect(v2.status).toBe(201);
    expect(v2.body).toMatchObject({ version: 2, status: 'draft', basedOnId: v1.id });
    const criteria = v2.body.criteria.map(({ id: _id, expected: _e, ...c }: Record<string, unknown>) => (c.assay === 'endotoxin' ? { ...c, criterion: { kind: 'range', max: 0.25, maxExclusive: true, unit: 'EU/mL' } } : c));
    const replaced = await app.request('PUT', `/specifications/${v2.body.id}/criteria`, { token: qa.token, body: { criteria } });
    expect(replaced.status).toBe(200);
    const compare = await app.request('GET', `/specifications/${v2.body.id}/compare`, { token: tech.token });
    expect(compare.body.changes).toEqual([expect.objectContaining({ change: 'changed', assay: 'endotoxin', from: '< 0.5 EU/mL', to: '< 0.25 EU/mL' })]);
    await app.request('POST', `/specifications/${v2.body.id}/approve`, { token: qa.token, body: { password: qa.password } });
    const versions = await app.request('GET', `/products/${product.id}/specifications`, { token: tech.token });
    expect(versions.body.map((s: { version: number; status: string }) => `${s.version}:${s.status}`)).toEqual(['2:effective', '1:superseded']);
  });

  it('refuses malformed criteria field by field, and writes nothing', async () => {
    const product = await createProduct(app, qa.token);
    const before = (await app.query(`SELECT count(*)::int AS n FROM specifications`))[0].n;
    const res = await app.request('POST', `/products/${product.id}/specifications`, {
      token: qa.token,
      body: { criteria: [{ assay: 'nta', parameter: 'modeNm', label: 'Mode', criterion: { kind: 'range', min: 200, max: 100, unit: 'nm' } }, { assay: 'qpcr', parameter: 'x', label: 'x', criterion: { kind: 'bogus' } }, { assay: 'magic', parameter: 'x', label: 'x', criterion: { kind: 'recorded' } }] },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['criteria[2].assay']);
    const res2 = await app.request('POST', `/products/${product.id}/specifications`, {
      token: qa.token,
      body: { criteria: [{ assay: 'nta', parameter: 'modeNm', label: 'Mode', criterion: { kind: 'range', min: 200, max: 100, unit: 'nm' } }, { assay: 'qpcr', parameter: 'x', label: 'x', criterion: { kind: 'bogus' } }] },
    });
    expect(res2.status).toBe(400);
    expect(res2.body.errors.map((e: { field: string; rule: string }) => `${e.field}:${e.rule}`)).toEqual(['criteria[0].criterion.min:minNotAboveMax', 'criteria[1].criterion.kind:isIn']);
    expect((await app.query(`SELECT count(*)::int AS n FROM specifications`))[0].n).toBe(before);
  });
});
