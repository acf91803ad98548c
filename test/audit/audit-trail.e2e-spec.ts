import { TestApp } from '../support/test-app.js';
import { createUser, signIn } from '../support/users.js';

/** A small RFC 4180 reader, to check the export round-trips. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += c;
  }
  return rows;
}

describe('audit trail: append-only, reviewable, exportable, tamper-evident', () => {
  let app: TestApp;
  let admin: string;
  let qa: string;
  let userId: string;

  beforeAll(async () => {
    app = await TestApp.start({ worker: false });
    const adminUser = await createUser(app, { role: 'admin', displayName: '=Evil, "Admin"' });
    admin = await signIn(app, adminUser);
    qa = await signIn(app, 'qa_manager');
    userId = (await createUser(app, { role: 'technician', displayName: 'Tess Tech' })).id;
    for (const [displayName, reason] of [['Tess T.', '=1+2, "quoted"\nsecond line'], ['Tess Technician', '@SUM(A1)']]) {
      const res = await app.request('PATCH', `/users/${userId}`, { token: admin, body: { displayName, reason } });
      if (res.status !== 200) throw new Error(res.raw);
    }
  });
  afterAll(() => app?.close());

  it('refuses a direct SQL UPDATE, DELETE or TRUNCATE of audit events, even by the table owner', async () => {
    const [{ seq }] = await app.query(`SELECT max(seq) AS seq FROM audit_events`);
    await expect(app.query(`UPDATE audit_events SET reason = 'rewritten' WHERE seq = $1`, [seq])).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(app.query(`DELETE FROM audit_events WHERE seq = $1`, [seq])).rejects.toThrow(/append-only: DELETE refused/);
    await expect(app.query(`TRUNCATE audit_events`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    const [{ reason }] = await app.query(`SELECT reason FROM audit_events WHERE seq = $1`, [seq]);
    expect(reason).toBe('@SUM(A1)');
  });

  it('gives the application role (exolot_app) read and append rights only', async () => {
    const client = await app.sql.connect();
    try {
      await client.query('SET ROLE exolot_app');
      await expect(client.query(`UPDATE audit_events SET reason = 'x' WHERE false`)).rejects.toThrow(/permission denied for table audit_events/);
      await expect(client.query(`DELETE FROM signatures WHERE false`)).rejects.toThrow(/permission denied for table signatures/);
      await client.query(`INSERT INTO audit_events (actor_name, action, entity_type, entity_id, prev_hash, hash) VALUES ('probe', 'probe.appended', 'probe', '1', '', '')`);
      expect((await client.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'probe.appended'`)).rows[0].n).toBe(1);
    } finally {
      await client.query('RESET ROLE');
      client.release();
    }
  });

  it('shows every change with its prior value, filtered and paginated', async () => {
    const res = await app.request('GET', `/audit?entityType=user&entityId=${userId}&limit=1&offset=1`, { token: qa });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 2, limit: 1, offset: 1 });
    expect(res.body.items).toEqual([
      expect.objectContaining({ action: 'user.updated', before: { displayName: 'Tess T.' }, after: { displayName: 'Tess Technician' }, reason: '@SUM(A1)', actorName: '=Evil, "Admin"', seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) }),
    ]);
    const byAction = await app.request('GET', `/audit?action=user.updated&order=desc&from=${new Date(Date.now() - 600_000).toISOString()}`, { token: admin });
    expect(byAction.body.items.map((e: { before: unknown; after: unknown }) => [e.before, e.after])).toEqual([
      [{ displayName: 'Tess T.' }, { displayName: 'Tess Technician' }],
      [{ displayName: 'Tess Tech' }, { displayName: 'Tess T.' }],
    ]);
    const future = await app.request('GET', `/audit?from=${new Date(Date.now() + 600_000).toISOString()}`, { token: admin });
    expect(future.body).toMatchObject({ total: 0, items: [] });
    expect((await app.request('GET', '/audit?from=yesterday', { token: qa })).status).toBe(400);
  });

  it('exports the filtered trail as CSV with escaping and formula cells neutralised', async () => {
    const res = await app.request('GET', `/audit/export.csv?entityId=${userId}`, { token: qa });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="audit-.*\.csv"$/);
    const rows = parseCsv(res.raw);
    expect(rows[0]).toEqual(['seq', 'occurred_at', 'actor_id', 'actor_name', 'actor_role', 'action', 'entity_type', 'entity_id', 'before', 'after', 'reason', 'request_id', 'prev_hash', 'hash']);
    expect(rows).toHaveLength(3);
    expect(rows[1]).toEqual(expect.arrayContaining(["'=Evil, \"Admin\"", 'user.updated', "'=1+2, \"quoted\"\nsecond line", '{"displayName":"Tess Tech"}', '{"displayName":"Tess T."}']));
    expect(rows[2][10]).toBe("'@SUM(A1)");
    expect(rows.slice(1).every((r) => r.length === 14 && /^[0-9a-f]{64}$/.test(r[13]))).toBe(true);
  });

  it('keeps the trail away from technicians and clinic users', async () => {
    for (const role of ['technician', 'clinic'] as const) {
      const token = await signIn(app, role);
      for (const url of ['/audit', '/audit/verify', '/audit/export.csv']) expect((await app.request('GET', url, { token })).status).toBe(403);
    }
  });

  it('stores a change only with its audit events: when they cannot be written, the change is rolled back', async () => {
    // Fault injection in this test's own database: audit inserts carrying this reason fail.
    await app.query(`CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.reason = 'refuse-this-audit' THEN RAISE EXCEPTION 'audit refused by the test'; END IF; RETURN NEW; END $$`);
    await app.query(`CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()`);
    try {
      const before = (await app.query(`SELECT display_name FROM users WHERE id = $1`, [userId]))[0].display_name;
      const eventsBefore = (await app.query(`SELECT count(*)::int AS n FROM audit_events`))[0].n;
      const res = await app.request('PATCH', `/users/${userId}`, { token: admin, body: { displayName: 'Never Stored', reason: 'refuse-this-audit' } });
      expect(res.status).toBe(500);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.raw).not.toMatch(/audit refused by the test|audit_events/);
      expect((await app.query(`SELECT display_name FROM users WHERE id = $1`, [userId]))[0].display_name).toBe(before);
      expect((await app.query(`SELECT count(*)::int AS n FROM audit_events`))[0].n).toBe(eventsBefore);
    } finally {
      await app.query(`DROP TRIGGER test_refuse_audit ON audit_events`);
      await app.query(`DROP FUNCTION test_refuse_audit()`);
    }
    const res = await app.request('PATCH', `/users/${userId}`, { token: admin, body: { displayName: 'Tess Technician', reason: 'audit works again' } });
    expect(res.status).toBe(200);
    expect((await app.request('GET', '/audit/verify', { token: qa })).body).toMatchObject({ valid: true });
  });

  it('verifies the hash chain, and finds an edited event by its sequence number', async () => {
    const clean = await app.request('GET', '/audit/verify', { token: qa });
    const [{ n }] = await app.query(`SELECT count(*)::int AS n FROM audit_events`);
    expect(clean.body).toEqual({ valid: true, checked: n, firstBrokenSeq: null, reason: null });

    const [target] = await app.query(`SELECT seq::int AS seq FROM audit_events WHERE entity_id = $1 AND action = 'user.updated' ORDER BY seq LIMIT 1`, [userId]);
    const tamper = (sql: string) => app.query(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only; ${sql}; ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only;`);
    await tamper(`UPDATE audit_events SET after = '{"displayName": "Someone Else"}' WHERE seq = ${target.seq}`);
    const broken = await app.request('GET', '/audit/verify', { token: admin });
    expect(broken.body).toMatchObject({ valid: false, firstBrokenSeq: target.seq, reason: expect.stringMatching(/altered/) });
    expect(broken.body.checked).toBeLessThanOrEqual(n);

    await tamper(`UPDATE audit_events SET after = '{"displayName": "Tess T."}' WHERE seq = ${target.seq}`);
    expect((await app.request('GET', '/audit/verify', { token: admin })).body.valid).toBe(true);
  });

  it('detects a removed event at the event after it', async () => {
    const [gone, next] = await app.query(`SELECT seq::int AS seq FROM audit_events WHERE entity_id = $1 ORDER BY seq`, [userId]);
    await app.query(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only; DELETE FROM audit_events WHERE seq = ${gone.seq}; ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only;`);
    const res = await app.request('GET', '/audit/verify', { token: qa });
    expect(res.body).toMatchObject({ valid: false, firstBrokenSeq: next.seq, reason: expect.stringMatching(/does not follow/) });
  });
});
