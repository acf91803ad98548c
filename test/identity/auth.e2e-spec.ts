import { createHash } from 'node:crypto';
import { TestApp } from '../support/test-app.js';
import { createUser, signIn } from '../support/users.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** The parts of a problem+json body that must not differ between two refusals. */
const stable = (body: Record<string, unknown>) => ({ ...body, requestId: undefined });

describe('sign-in, sessions and lockout', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start({ worker: false });
  });
  afterAll(() => app?.close());

  it('signs in with e-mail and password and answers /auth/me with the bearer token', async () => {
    const user = await createUser(app, { role: 'qa_manager', displayName: 'Quinn Auditor' });
    const res = await app.request('POST', '/auth/login', { body: { email: user.email.toUpperCase(), password: user.password } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ token: expect.any(String), expiresAt: expect.any(String), user: { id: user.id, email: user.email, displayName: 'Quinn Auditor', role: 'qa_manager', clinicId: null } });
    const ttlMs = new Date(res.body.expiresAt).getTime() - Date.now();
    expect(ttlMs).toBeGreaterThan((app.config.sessionTtlMinutes - 1) * 60_000);
    expect(ttlMs).toBeLessThanOrEqual(app.config.sessionTtlMinutes * 60_000);
    const me = await app.request('GET', '/auth/me', { token: res.body.token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: user.id, role: 'qa_manager', active: true });
    expect(JSON.stringify(me.body)).not.toMatch(/argon2|password_?hash/i);
  });

  it('answers a wrong password and an unknown e-mail with the same 401 body', async () => {
    const user = await createUser(app, { role: 'technician' });
    const wrong = await app.request('POST', '/auth/login', { body: { email: user.email, password: 'not-the-password' } });
    const unknown = await app.request('POST', '/auth/login', { body: { email: 'nobody@test.exolot', password: 'not-the-password' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['content-type']).toContain('application/problem+json');
    expect(wrong.body.code).toBe('auth.invalid_credentials');
    expect(unknown.status).toBe(401);
    expect(stable(unknown.body)).toEqual(stable(wrong.body));
  });

  it('stores only the SHA-256 of a session token: the token itself is nowhere in the database', async () => {
    const user = await createUser(app, { role: 'technician' });
    const token = await signIn(app, user);
    const [session] = await app.query(`SELECT token_hash FROM sessions WHERE user_id = $1`, [user.id]);
    expect(session.token_hash).toBe(sha256(token));
    const tables = await app.query<{ name: string }>(`SELECT quote_ident(table_name) AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
    expect(tables.length).toBeGreaterThan(5);
    for (const { name } of tables) {
      const [{ n }] = await app.query(`SELECT count(*)::int AS n FROM ${name} t WHERE strpos(t::text, $1) > 0`, [token]);
      expect({ table: name, rowsContainingToken: n }).toEqual({ table: name, rowsContainingToken: 0 });
    }
  });

  it('refuses a missing, malformed or unknown token with 401 auth.unauthenticated', async () => {
    const headerSets: Record<string, string>[] = [{}, { authorization: 'Bearer' }, { authorization: 'Basic abc' }, { authorization: `Bearer ${'x'.repeat(43)}` }];
    for (const headers of headerSets) {
      const res = await app.request('GET', '/auth/me', { headers });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('auth.unauthenticated');
    }
  });

  it('audits sign-in, sign-out and every rejected password of a known account (never the password), and nothing for an unknown e-mail', async () => {
    const user = await createUser(app, { role: 'technician', displayName: 'Tara Tech' });
    const eventsOf = async () => app.query(`SELECT action, actor_id, actor_name, after, reason, request_id FROM audit_events WHERE entity_type = 'user' AND entity_id = $1 ORDER BY seq`, [user.id]);
    const before = (await eventsOf()).length;
    const total = async () => (await app.query(`SELECT count(*)::int AS n FROM audit_events`))[0].n;

    const wrong = await app.request('POST', '/auth/login', { body: { email: user.email, password: 'Wrong-Password-1' } });
    expect(wrong.status).toBe(401);
    const login = await app.request('POST', '/auth/login', { body: { email: user.email, password: user.password } });
    expect(login.status).toBe(200);
    expect((await app.request('POST', '/auth/logout', { token: login.body.token })).status).toBe(204);
    const events = (await eventsOf()).slice(before);
    const [session] = await app.query(`SELECT id FROM sessions WHERE token_hash = $1`, [sha256(login.body.token)]);
    expect(events).toEqual([
      { action: 'user.password_rejected', actor_id: null, actor_name: 'system', after: { purpose: 'sign-in', attempt: 1, limit: app.config.lockout.maxFailures }, reason: 'wrong password at sign-in', request_id: wrong.body.requestId },
      { action: 'session.signed_in', actor_id: user.id, actor_name: 'Tara Tech', after: { sessionId: session.id, expiresAt: login.body.expiresAt }, reason: null, request_id: expect.any(String) },
      { action: 'session.signed_out', actor_id: user.id, actor_name: 'Tara Tech', after: { sessionId: session.id }, reason: null, request_id: expect.any(String) },
    ]);
    expect(JSON.stringify(events)).not.toMatch(/Wrong-Password-1|argon2|token/i);

    const start = await total();
    const unknown = await app.request('POST', '/auth/login', { body: { email: 'nobody@test.exolot', password: 'Wrong-Password-1' } });
    expect(unknown.status).toBe(401);
    expect(await total()).toBe(start);
  });

  it('logout revokes the session: the same token is refused afterwards', async () => {
    const token = await signIn(app, 'technician');
    expect((await app.request('GET', '/auth/me', { token })).status).toBe(200);
    expect((await app.request('POST', '/auth/logout', { token })).status).toBe(204);
    const after = await app.request('GET', '/auth/me', { token });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('auth.unauthenticated');
    const [row] = await app.query(`SELECT revoked_at FROM sessions WHERE token_hash = $1`, [sha256(token)]);
    expect(row.revoked_at).toBeInstanceOf(Date);
  });

  it('refuses an expired session', async () => {
    const token = await signIn(app, 'technician');
    await app.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [sha256(token)]);
    const res = await app.request('GET', '/auth/me', { token });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('auth.unauthenticated');
  });

  it('locks an account after 5 failed sign-ins in a row (423 with the unlock time) and lets it in once the lock has passed', async () => {
    const user = await createUser(app, { role: 'qa_manager' });
    const attempt = (password: string) => app.request('POST', '/auth/login', { body: { email: user.email, password } });
    for (let i = 1; i < app.config.lockout.maxFailures; i++) expect((await attempt(`wrong-${i}`)).status).toBe(401);
    const locking = await attempt('wrong-last');
    expect(locking.status).toBe(423);
    expect(locking.body.code).toBe('auth.locked');
    const lockedUntil = new Date(locking.body.lockedUntil).getTime();
    expect(lockedUntil - Date.now()).toBeGreaterThan((app.config.lockout.lockMinutes - 1) * 60_000);
    expect(lockedUntil - Date.now()).toBeLessThanOrEqual(app.config.lockout.lockMinutes * 60_000);

    const correctButLocked = await attempt(user.password);
    expect(correctButLocked.status).toBe(423);
    expect(correctButLocked.body).toMatchObject({ code: 'auth.locked', lockedUntil: locking.body.lockedUntil });
    const [audit] = await app.query(`SELECT actor_role, after, reason FROM audit_events WHERE action = 'user.locked' AND entity_id = $1`, [user.id]);
    expect(audit).toMatchObject({ actor_role: 'system', after: { lockedUntil: locking.body.lockedUntil } });

    // LOCKOUT_MINUTES pass.
    await app.query(`UPDATE users SET locked_until = now() - interval '1 second' WHERE id = $1`, [user.id]);
    expect((await attempt(user.password)).status).toBe(200);
    const [row] = await app.query(`SELECT failed_attempts, locked_until FROM users WHERE id = $1`, [user.id]);
    expect(row).toEqual({ failed_attempts: 0, locked_until: null });
  });

  it('counts failures in a row only: a successful sign-in resets the count', async () => {
    const user = await createUser(app, { role: 'technician' });
    const attempt = (password: string) => app.request('POST', '/auth/login', { body: { email: user.email, password } });
    for (let i = 1; i < app.config.lockout.maxFailures; i++) await attempt('wrong');
    expect((await attempt(user.password)).status).toBe(200);
    for (let i = 1; i < app.config.lockout.maxFailures; i++) expect((await attempt('wrong')).status).toBe(401);
    const [row] = await app.query(`SELECT failed_attempts, locked_until FROM users WHERE id = $1`, [user.id]);
    expect(row).toEqual({ failed_attempts: app.config.lockout.maxFailures - 1, locked_until: null });
  });

  it('changes the own password: checks the current one, ends the other sessions, audits without the hash', async () => {
    const user = await createUser(app, { role: 'clinic' });
    const current = await signIn(app, user);
    const other = await signIn(app, user);

    const wrong = await app.request('POST', '/auth/password', { token: current, body: { currentPassword: 'nope', newPassword: 'a-new-long-password' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('auth.invalid_credentials');
    const [{ failed_attempts }] = await app.query(`SELECT failed_attempts FROM users WHERE id = $1`, [user.id]);
    expect(failed_attempts).toBe(1);
    const short = await app.request('POST', '/auth/password', { token: current, body: { currentPassword: user.password, newPassword: 'short' } });
    expect(short.status).toBe(400);
    expect(short.body.errors).toEqual([expect.objectContaining({ field: 'newPassword', rule: 'minLength' })]);

    const ok = await app.request('POST', '/auth/password', { token: current, body: { currentPassword: user.password, newPassword: 'correct horse battery staple' } });
    expect(ok.status).toBe(204);
    expect((await app.request('GET', '/auth/me', { token: current })).status).toBe(200);
    expect((await app.request('GET', '/auth/me', { token: other })).status).toBe(401);
    expect((await app.request('POST', '/auth/login', { body: { email: user.email, password: user.password } })).status).toBe(401);
    await signIn(app, { email: user.email, password: 'correct horse battery staple' });

    const audit = await app.query(`SELECT actor_id, before, after, a::text AS everything FROM audit_events a WHERE action = 'user.password_changed' AND entity_id = $1`, [user.id]);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_id: user.id, before: null, after: { otherSessionsRevoked: 1, passwordChangedAt: expect.any(String) } });
    expect(audit[0].everything).not.toMatch(/argon2|correct horse/);
  });
});
