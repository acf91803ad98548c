import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { canonicalJson } from '#signatures';
import { TestApp } from '../support/test-app.js';
import { signInAs, type TestUser } from '../support/users.js';
import { createProduct, releasedBatch } from '../support/fixtures.js';

describe('public provenance lookup', () => {
  let app: TestApp;
  let qa: TestUser & { token: string };
  let tech: TestUser & { token: string };
  let productId: string;
  let gtin: string;

  const verify = (code: string, headers: Record<string, string> = {}) => app.request('GET', `/verify/${encodeURIComponent(code)}`, { headers });
  async function fill(batchId: string, count = 2): Promise<{ serial: string; expiryDate: string }[]> {
    const res = await app.request('POST', `/batches/${batchId}/fills`, { token: tech.token, body: { solutionName: 'HA 1% reconstitution solution', solutionLot: 'HA-2611-07', vials: Array.from({ length: count }, () => ({ volumeMl: 0.5 })) } });
    if (res.status !== 201) throw new Error(`fill: ${res.status} ${res.raw}`);
    return res.body.vials;
  }

  beforeAll(async () => {
    app = await TestApp.start({ worker: true, env: { VERIFY_RATE_LIMIT_PER_MIN: '1000' } });
    qa = await signInAs(app, 'qa_manager');
    tech = await signInAs(app, 'technician');
    gtin = '09506000134352';
    productId = (await createProduct(app, qa.token, { gtin, name: 'Adipose MSC exosome concentrate' })).id;
    const draft = await app.request('POST', `/products/${productId}/specifications`, { token: qa.token, body: { fromTemplate: 'misev-default' } });
    await app.request('POST', `/specifications/${draft.body.id}/approve`, { token: qa.token, body: { password: qa.password } });
  });
  afterAll(() => app?.close());

  it('verifies a released vial by lot, by serial and by the Digital Link URL from its label, with the facts and a valid signature', async () => {
    const { batchId, lotNumber } = await releasedBatch(app, tech.token, qa, productId);
    const [vial] = await fill(batchId, 1);
    const link = `https://verify.example.org/01/${gtin}/10/${lotNumber}/21/${vial.serial}?17=${vial.expiryDate.slice(2).replace(/-/g, '')}`;
    for (const code of [lotNumber, vial.serial, link, `(01)${gtin}(10)${lotNumber}(21)${vial.serial}`]) {
      const res = await verify(code);
      expect({ code, status: res.status, verdict: res.body.verdict }).toEqual({ code, status: 200, verdict: 'verified' });
    }
    const byLink = await verify(link);
    expect(byLink.body.facts).toMatchObject({
      product: 'Adipose MSC exosome concentrate', lot: lotNumber, serial: vial.serial, humanDerived: true,
      origin: expect.stringMatching(/mesenchymal stem\/stromal cells, from adipose tissue/),
      isolationMethod: 'polymer-based precipitation',
      keyFigures: { ntaModeSizeNm: 104.2, ntaConcentrationPerMl: 3.1e11, cd63: 'present' },
      released: { on: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), by: 'Quality assurance manager (electronic signature)' },
      expiry: vial.expiryDate, intendedUse: expect.stringMatching(/not for injection/i), custody: [expect.objectContaining({ event: 'filled' })],
    });
    expect(byLink.body.facts.characterization).toHaveLength(11);

    const key = await app.request('GET', '/.well-known/exolot-verification-key');
    const { signature, ...signed } = byLink.body;
    const publicKey = createPublicKey({ key: key.body.keys[0], format: 'jwk' });
    expect(signature.keyId).toBe(key.body.keys[0].kid);
    expect(verifySignature(null, Buffer.from(canonicalJson(signed)), publicKey, Buffer.from(signature.value, 'base64'))).toBe(true);
    expect(verifySignature(null, Buffer.from(canonicalJson({ ...signed, verdict: 'not_verified' })), publicKey, Buffer.from(signature.value, 'base64'))).toBe(false);

    const page = await app.request('GET', `/01/${gtin}/10/${lotNumber}/21/${vial.serial}?17=271123`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.raw).toContain(`/01/${gtin}/10/${lotNumber}/21/${vial.serial}`);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'sha256-/);
    const json = await app.request('GET', `/01/${gtin}/10/${lotNumber}/21/${vial.serial}`, { headers: { accept: 'application/json' } });
    expect(json.body.verdict).toBe('verified');
  });

  it('never shows donor or patient data, staff names or investigation notes', async () => {
    const { batchId, lotNumber } = await releasedBatch(app, tech.token, qa, productId, { source: 'serum' });
    const clinic = await signInAs(app, 'clinic');
    const res = await app.request('POST', `/batches/${batchId}/fills`, { token: tech.token, body: { solutionName: 'HA 1%', solutionLot: 'HA-1', vials: [{ volumeMl: 0.5, clinicId: clinic.clinicId, patientRef: 'PT-7F3K2' }] } });
    expect(res.status).toBe(201);
    const answer = await verify(res.body.vials[0].serial);
    expect(answer.body.verdict).toBe('verified');
    const text = JSON.stringify(answer.body);
    for (const secret of ['DNR-7F3K2', 'CONSENT-2026-0042', 'PT-7F3K2', qa.displayName, tech.displayName, qa.email, tech.email, clinic.clinicId!]) expect(text).not.toContain(secret);
    expect(answer.body.facts.origin).toBe('Human serum-derived extracellular vesicles');
    expect(lotNumber).toBeTruthy();
  });

  it('answers every unknown code the same way, with the same shape', async () => {
    const shapes = new Set<string>();
    for (const code of ['L0000-99999', 'ZZZZZZZZZZZZ', `https://x.test/01/${gtin}/10/NOPE/21/ABCDEFGH1234`, "' OR 1=1 --", '../../etc/passwd', 'EXB-2026-00001']) {
      const res = await verify(code);
      expect(res.status).toBe(200);
      const { checkedAt: _c, signature: _s, code: _code, ...rest } = res.body;
      shapes.add(JSON.stringify(rest));
    }
    expect([...shapes]).toEqual([JSON.stringify({ verdict: 'not_verified', reason: 'unknown_code', message: 'This code is not known to the lab.', facts: null })]);
  });

  it('reaches each not-verified reason; a recall flips the verdict at once', async () => {
    const a = await releasedBatch(app, tech.token, qa, productId);
    const [v1, v2, v3] = await fill(a.batchId, 3);
    // expired
    await app.query(`UPDATE vials SET expiry_date = current_date - 1 WHERE serial = $1`, [v1.serial]);
    expect((await verify(v1.serial)).body.reason).toBe('expired');
    // destroyed
    const destroyed = await app.request('POST', '/storage/destroy', { token: tech.token, body: { serial: v2.serial, reason: 'Dropped during handling' } });
    expect(destroyed.status).toBeLessThan(300);
    expect((await verify(v2.serial)).body.reason).toBe('destroyed');
    // recalled: one vial, then the whole lot
    const vialRecall = await app.request('POST', '/recalls', { token: qa.token, body: { lotNumber: a.lotNumber, vialSerials: [v3.serial], reason: 'Label misprint on this vial', password: qa.password } });
    expect(vialRecall.status).toBe(201);
    expect((await verify(v3.serial)).body.reason).toBe('recalled');
    expect((await verify(a.lotNumber)).body.verdict).toBe('verified');
    const wrongPassword = await app.request('POST', '/recalls', { token: qa.token, body: { lotNumber: a.lotNumber, reason: 'x y z', password: 'nope' } });
    expect(wrongPassword.status).toBe(401);
    const lotRecall = await app.request('POST', '/recalls', { token: qa.token, body: { lotNumber: a.lotNumber, reason: 'Supplier notice on the HA solution lot', password: qa.password } });
    expect(lotRecall.status).toBe(201);
    expect(lotRecall.body).toMatchObject({ scope: 'lot', lotNumber: a.lotNumber, number: expect.stringMatching(/^RCL-/) });
    expect((await verify(a.lotNumber)).body.reason).toBe('recalled');
    const sigs = await app.request('GET', `/signatures?recordType=recall&recordId=${lotRecall.body.id}`, { token: qa.token });
    expect(sigs.body.items).toEqual([expect.objectContaining({ meaning: 'recall', valid: true })]);
    await expect(app.query(`UPDATE batches SET recalled_at = NULL WHERE id = $1`, [a.batchId])).rejects.toThrow(/cannot be undone/);

    // quarantined, then not released (lifted to QC review), then rejected
    const b = await releasedBatch(app, tech.token, qa, productId);
    expect((await app.request('POST', `/batches/${b.batchId}/quarantine`, { token: qa.token, body: { reason: 'Customer complaint under investigation' } })).status).toBe(200);
    expect((await verify(b.lotNumber)).body.reason).toBe('quarantined');
    const rejected = await app.request('POST', `/batches/${b.batchId}/release/reject`, { token: qa.token, body: { password: qa.password, reason: 'Complaint confirmed' } });
    expect(rejected.status).toBe(409); // already decided (approved): a rejected release decision is not stored twice
    const c = await releasedBatch(app, tech.token, qa, productId);
    await app.request('POST', `/batches/${c.batchId}/quarantine`, { token: qa.token, body: { reason: 'Deviation in fill room' } });
    await app.query(`UPDATE batches SET released_at = NULL WHERE id = $1`, [c.batchId]);
    const lifted = await app.request('POST', `/batches/${c.batchId}/quarantine/lift`, { token: qa.token, body: { reason: 'Deviation closed; re-evaluate', password: qa.password } });
    expect(lifted.status).toBe(200);
    expect((await verify(c.lotNumber)).body.reason).toBe('not_released');
  });
});
