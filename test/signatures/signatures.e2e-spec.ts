import { randomUUID } from 'node:crypto';
import type { Actor, CommandContext } from '#platform';
import { TransactionRunner } from '#platform';
import { canonicalJson, ESignatures, sha256Hex, SignedRecords } from '#signatures';
import { TestApp } from '../support/test-app.js';
import { createUser, signIn, type TestUser } from '../support/users.js';

describe('electronic signatures', () => {
  let app: TestApp;
  let signatures: ESignatures;
  let tx: TransactionRunner;
  let qa: TestUser;
  let reader: string;

  const ctxOf = (user: TestUser): CommandContext => ({ actor: { userId: user.id, displayName: user.displayName, role: user.role, clinicId: user.clinicId, sessionId: '' } satisfies Actor, requestId: `test-${randomUUID()}` });
  const newRecord = async (payload: Record<string, unknown>) => (await app.query(`INSERT INTO test_signed_records (payload) VALUES ($1) RETURNING id`, [payload]))[0].id as string;
  const counts = async () => (await app.query(`SELECT (SELECT count(*) FROM signatures)::int AS signatures, (SELECT count(*) FROM audit_events)::int AS audit`))[0];
  const list = async (recordId: string) => app.request('GET', `/signatures?recordType=test_record&recordId=${recordId}`, { token: reader });

  /** Re-authenticate outside, sign inside the command's transaction: the intended use. */
  async function sign(user: TestUser, password: string, recordId: string, reason?: string) {
    const signer = await signatures.reauthenticate(ctxOf(user), password);
    return tx.run((t) => signatures.sign(t, signer, { meaning: 'reviewed', recordType: 'test_record', recordId, reason }));
  }

  beforeAll(async () => {
    app = await TestApp.start({ worker: false });
    await app.query(`CREATE TABLE test_signed_records (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), payload jsonb NOT NULL)`);
    app.app.get(SignedRecords).register('test_record', async (em, id) => {
      const [row] = await em.query(`SELECT id, payload FROM test_signed_records WHERE id = $1`, [id]);
      return row ?? null;
    });
    signatures = app.app.get(ESignatures);
    tx = app.app.get(TransactionRunner);
    qa = await createUser(app, { role: 'qa_manager', displayName: 'Quentin Approver' });
    reader = await signIn(app, 'technician');
  });
  afterAll(() => app?.close());

  it('shows the printed name, time and meaning, binds the exact record by its hash, and verifies', async () => {
    const recordId = await newRecord({ lot: 'L-1', results: [{ assay: 'nta', value: 1.2e10 }], approved: true });
    const before = Date.now();
    const signed = await sign(qa, qa.password, recordId, 'all criteria met');
    expect(signed).toMatchObject({ printedName: 'Quentin Approver', signerRole: 'qa_manager', meaning: 'reviewed', meaningText: 'Reviewed', reason: 'all criteria met' });
    expect(signed.manifestation).toMatch(/^Quentin Approver \(qa_manager\), \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: Reviewed$/);

    const res = await list(recordId);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([expect.objectContaining({ id: signed.id, signerId: qa.id, printedName: 'Quentin Approver', meaning: 'reviewed', valid: true, check: 'matches' })]);
    const signedAt = new Date(res.body.items[0].signedAt).getTime();
    expect(signedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(signedAt).toBeLessThanOrEqual(Date.now() + 1000);

    const stored = { id: recordId, payload: { approved: true, lot: 'L-1', results: [{ assay: 'nta', value: 1.2e10 }] } };
    const [row] = await app.query(`SELECT record_json, record_hash FROM signatures WHERE id = $1`, [signed.id]);
    expect(row.record_json).toBe(canonicalJson(stored));
    expect(row.record_hash).toBe(sha256Hex(canonicalJson(stored)));
    const one = await app.request('GET', `/signatures/${signed.id}`, { token: reader });
    expect(one.body).toMatchObject({ signedRecord: stored, valid: true, recordHash: row.record_hash });

    const audit = await app.query(`SELECT actor_id, actor_name, after, reason FROM audit_events WHERE action = 'signature.signed' AND entity_id = $1`, [recordId]);
    expect(audit).toEqual([{ actor_id: qa.id, actor_name: 'Quentin Approver', reason: 'all criteria met', after: expect.objectContaining({ signatureId: signed.id, meaning: 'reviewed', recordHash: row.record_hash }) }]);
  });

  it('shows the signature invalid once the signed record changes, and keeps the printed name of the time of signing', async () => {
    const recordId = await newRecord({ lot: 'L-2', volumeMl: 5 });
    const signed = await sign(qa, qa.password, recordId);
    expect((await list(recordId)).body.items[0]).toMatchObject({ id: signed.id, valid: true });

    await app.query(`UPDATE test_signed_records SET payload = jsonb_set(payload, '{volumeMl}', '6') WHERE id = $1`, [recordId]);
    await app.query(`UPDATE users SET display_name = 'Quentin Renamed' WHERE id = $1`, [qa.id]);
    const after = (await list(recordId)).body.items[0];
    expect(after).toMatchObject({ id: signed.id, valid: false, check: 'record_changed', recordHash: signed.recordHash, printedName: 'Quentin Approver' });
    expect(after.currentRecordHash).not.toBe(signed.recordHash);

    await app.query(`DELETE FROM test_signed_records WHERE id = $1`, [recordId]);
    expect((await list(recordId)).body.items[0]).toMatchObject({ valid: false, check: 'record_not_found' });
    await app.query(`UPDATE users SET display_name = 'Quentin Approver' WHERE id = $1`, [qa.id]);
  });

  it('refuses a wrong password with 401, counts it towards lockout, audits the rejected attempt and signs nothing', async () => {
    const signer = await createUser(app, { role: 'qa_manager' });
    const recordId = await newRecord({ lot: 'L-3' });
    const start = await counts();
    await expect(sign(signer, 'not-my-password', recordId)).rejects.toMatchObject({ code: 'auth.invalid_credentials' });
    expect(await counts()).toEqual({ signatures: start.signatures, audit: start.audit + 1 });
    const [event] = await app.query(`SELECT action, after, reason FROM audit_events WHERE entity_id = $1 ORDER BY seq DESC LIMIT 1`, [signer.id]);
    expect(event).toEqual({ action: 'user.password_rejected', after: { purpose: 'signature', attempt: 1, limit: app.config.lockout.maxFailures }, reason: 'wrong password at signature' });
    expect(JSON.stringify(event)).not.toContain('not-my-password');
    const [{ failed_attempts }] = await app.query(`SELECT failed_attempts FROM users WHERE id = $1`, [signer.id]);
    expect(failed_attempts).toBe(1);
  });

  it('locks the account after repeated failed signature passwords: then even the right password is refused (423)', async () => {
    const signer = await createUser(app, { role: 'qa_manager' });
    const recordId = await newRecord({ lot: 'L-4' });
    for (let i = 1; i < app.config.lockout.maxFailures; i++) await expect(sign(signer, 'wrong', recordId)).rejects.toMatchObject({ code: 'auth.invalid_credentials' });
    await expect(sign(signer, 'wrong', recordId)).rejects.toMatchObject({ code: 'auth.locked', details: { lockedUntil: expect.any(String) } });
    const start = await counts();
    await expect(sign(signer, signer.password, recordId)).rejects.toMatchObject({ code: 'auth.locked' });
    expect(await counts()).toEqual(start);
    const login = await app.request('POST', '/auth/login', { body: { email: signer.email, password: signer.password } });
    expect(login.status).toBe(423);
  });

  it('refuses a direct SQL UPDATE, DELETE or TRUNCATE of signatures', async () => {
    const signed = await sign(qa, qa.password, await newRecord({ lot: 'L-5' }));
    await expect(app.query(`UPDATE signatures SET printed_name = 'Someone Else' WHERE id = $1`, [signed.id])).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(app.query(`UPDATE signatures SET record_id = $2 WHERE id = $1`, [signed.id, randomUUID()])).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(app.query(`DELETE FROM signatures WHERE id = $1`, [signed.id])).rejects.toThrow(/append-only: DELETE refused/);
    await expect(app.query(`TRUNCATE signatures CASCADE`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    const [row] = await app.query(`SELECT printed_name FROM signatures WHERE id = $1`, [signed.id]);
    expect(row.printed_name).toBe('Quentin Approver');
  });

  it('takes the signing time from the database and refuses a hash that does not match the stored record', async () => {
    const [row] = await app.query(
      `INSERT INTO signatures (signer_id, printed_name, signer_role, meaning, signed_at, record_type, record_id, record_hash, record_json)
       VALUES ($1, 'Q', 'qa_manager', 'reviewed', '2000-01-01T00:00:00Z', 'test_record', 'x', $2, '{"a":1}') RETURNING signed_at`,
      [qa.id, sha256Hex('{"a":1}')],
    );
    expect(Math.abs(row.signed_at.getTime() - Date.now())).toBeLessThan(60_000);
    await expect(
      app.query(`INSERT INTO signatures (signer_id, printed_name, signer_role, meaning, signed_at, record_type, record_id, record_hash, record_json) VALUES ($1, 'Q', 'qa_manager', 'reviewed', now(), 'test_record', 'x', $2, '{"a":2}')`, [qa.id, sha256Hex('{"a":1}')]),
    ).rejects.toThrow(/signatures_hash_matches_record/);
  });

  it('accepts only a signer made by reauthenticate, and only records its loader returns', async () => {
    const recordId = await newRecord({ lot: 'L-6' });
    const forged = { userId: qa.id, printedName: 'Q', role: 'qa_manager', clinicId: null, sessionId: '', requestId: 'r', authenticatedAt: Date.now() } as const;
    await expect(tx.run((t) => signatures.sign(t, forged, { meaning: 'reviewed', recordType: 'test_record', recordId }))).rejects.toThrow(/reauthenticate/);
    const signer = await signatures.reauthenticate(ctxOf(qa), qa.password);
    await expect(tx.run((t) => signatures.sign(t, signer, { meaning: 'reviewed', recordType: 'test_record', recordId, record: { id: recordId, payload: { lot: 'other' } } }))).rejects.toThrow(/differs/);
    await expect(tx.run((t) => signatures.sign(t, signer, { meaning: 'reviewed', recordType: 'test_record', recordId: randomUUID() }))).rejects.toMatchObject({ code: 'test_record.not_found' });
  });

  it('lets clinic users and anonymous callers see no signatures', async () => {
    expect((await app.request('GET', '/signatures?recordType=test_record', { token: await signIn(app, 'clinic') })).status).toBe(403);
    expect((await app.request('GET', '/signatures?recordType=test_record')).status).toBe(401);
  });
});
