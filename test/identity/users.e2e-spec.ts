import { AdminBootstrap } from '#identity';
import { TestApp } from '../support/test-app.js';
import { createClinic, createUser, signIn } from '../support/users.js';

const ADMIN_EMAIL = 'first.admin@test.exolot';
const ADMIN_PASSWORD = 'first-admin-password';

describe('user and clinic administration', () => {
  let app: TestApp;
  let admin: string;
  let adminId: string;
  beforeAll(async () => {
    app = await TestApp.start({ worker: false, env: { ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_NAME: 'First Admin' } });
  });
  afterAll(() => app?.close());

  it('creates the first admin from ADMIN_EMAIL/ADMIN_PASSWORD once, audited, and does nothing afterwards', async () => {
    const bootstrap = app.app.get(AdminBootstrap);
    expect(await bootstrap.ensureAdmin()).toBe(ADMIN_EMAIL);
    expect(await bootstrap.ensureAdmin()).toBeNull();
    const admins = await app.query(`SELECT id, display_name FROM users WHERE role = 'admin'`);
    expect(admins).toEqual([{ id: expect.any(String), display_name: 'First Admin' }]);
    adminId = admins[0].id;
    const [audit] = await app.query(`SELECT actor_role, after FROM audit_events WHERE action = 'user.created' AND entity_id = $1`, [adminId]);
    expect(audit).toMatchObject({ actor_role: 'system', after: { email: ADMIN_EMAIL, role: 'admin' } });
    admin = await signIn(app, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  });

  it('creates a clinic and a clinic user, each with an audit event that never holds the password or its hash', async () => {
    const clinic = await app.request('POST', '/clinics', { token: admin, body: { code: 'CLN-AMS-01', name: 'Amsterdam Skin Clinic', country: 'NL' } });
    expect(clinic.status).toBe(201);
    const user = await app.request('POST', '/users', { token: admin, body: { email: 'Dr.Visser@Clinic.test', displayName: 'Dr. Visser', role: 'clinic', clinicId: clinic.body.id, password: 'clinic-user-password' } });
    expect(user.status).toBe(201);
    expect(user.body).toMatchObject({ email: 'dr.visser@clinic.test', displayName: 'Dr. Visser', role: 'clinic', clinicId: clinic.body.id, active: true });
    expect(JSON.stringify(user.body)).not.toMatch(/argon2|password_?hash/i);
    const audit = await app.query(`SELECT action, actor_id, after, a::text AS everything FROM audit_events a WHERE entity_id = ANY($1) ORDER BY seq`, [[clinic.body.id, user.body.id]]);
    expect(audit.map((a) => [a.action, a.actor_id])).toEqual([['clinic.created', adminId], ['user.created', adminId]]);
    expect(audit[1].after).toEqual({ id: user.body.id, email: 'dr.visser@clinic.test', displayName: 'Dr. Visser', role: 'clinic', clinicId: clinic.body.id, active: true });
    expect(audit.map((a) => a.everything).join()).not.toMatch(/argon2|clinic-user-password/);
    await signIn(app, { email: 'dr.visser@clinic.test', password: 'clinic-user-password' });

    const list = await app.request('GET', `/users?role=clinic&clinicId=${clinic.body.id}`, { token: admin });
    expect(list.body).toMatchObject({ total: 1, items: [{ id: user.body.id }] });
    expect((await app.request('GET', '/clinics', { token: admin })).body).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'CLN-AMS-01' })]));
  });

  it('refuses inconsistent accounts: a clinic user without a clinic, staff with one, a taken e-mail, a short password', async () => {
    const clinic = await createClinic(app);
    const base = { displayName: 'Someone', password: 'long-enough-password' };
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ...base, email: 'a@test.exolot', role: 'clinic' }, 400, 'clinicId'],
      [{ ...base, email: 'b@test.exolot', role: 'technician', clinicId: clinic.id }, 400, 'clinicId'],
      [{ ...base, email: ADMIN_EMAIL.toUpperCase(), role: 'technician' }, 409, 'email'],
      [{ ...base, email: 'c@test.exolot', role: 'technician', password: 'short' }, 400, 'password'],
      [{ ...base, email: 'd@test.exolot', role: 'clinic', clinicId: '2b1f7f1e-1111-4111-8111-111111111111' }, 422, 'clinicId'],
      [{ ...base, email: 'e@test.exolot', role: 'superuser' }, 400, 'role'],
    ];
    for (const [body, status, field] of cases) {
      const res = await app.request('POST', '/users', { token: admin, body });
      expect({ body, status: res.status, field: res.body.errors?.[0]?.field }).toEqual({ body, status, field });
    }
  });

  it('changes role and deactivates with before/after values audited; deactivation ends the sessions at once', async () => {
    const tech = await createUser(app, { role: 'technician', displayName: 'Tom Tech' });
    const techToken = await signIn(app, tech);
    const promote = await app.request('PATCH', `/users/${tech.id}`, { token: admin, body: { role: 'qa_manager', displayName: 'Tom QA', reason: 'promoted to QA' } });
    expect(promote.status).toBe(200);
    expect(promote.body).toMatchObject({ role: 'qa_manager', displayName: 'Tom QA' });
    expect((await app.request('GET', '/auth/me', { token: techToken })).body.role).toBe('qa_manager');

    const deactivate = await app.request('PATCH', `/users/${tech.id}`, { token: admin, body: { active: false, reason: 'left the company' } });
    expect(deactivate.status).toBe(200);
    expect((await app.request('GET', '/auth/me', { token: techToken })).status).toBe(401);
    expect((await app.request('POST', '/auth/login', { body: { email: tech.email, password: tech.password } })).status).toBe(401);

    const audit = await app.query(`SELECT action, actor_id, before, after, reason FROM audit_events WHERE entity_type = 'user' AND entity_id = $1 AND action LIKE 'user.%' ORDER BY seq`, [tech.id]);
    expect(audit).toEqual([
      { action: 'user.updated', actor_id: adminId, before: { role: 'technician', displayName: 'Tom Tech' }, after: { role: 'qa_manager', displayName: 'Tom QA' }, reason: 'promoted to QA' },
      { action: 'user.deactivated', actor_id: adminId, before: { active: true }, after: { active: false }, reason: 'left the company' },
    ]);
  });

  it('unlocks a locked account, audited', async () => {
    const user = await createUser(app, { role: 'technician' });
    await app.query(`UPDATE users SET locked_until = now() + interval '10 minutes' WHERE id = $1`, [user.id]);
    expect((await app.request('POST', '/auth/login', { body: { email: user.email, password: user.password } })).status).toBe(423);
    const res = await app.request('POST', `/users/${user.id}/unlock`, { token: admin, body: { reason: 'verified by phone' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ lockedUntil: null, failedAttempts: 0 });
    await signIn(app, user);
    const [audit] = await app.query(`SELECT actor_id, reason, after FROM audit_events WHERE action = 'user.unlocked' AND entity_id = $1`, [user.id]);
    expect(audit).toEqual({ actor_id: adminId, reason: 'verified by phone', after: { lockedUntil: null, failedAttempts: 0 } });
  });

  it('keeps at least one active admin', async () => {
    const res = await app.request('PATCH', `/users/${adminId}`, { token: admin, body: { role: 'technician' } });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('user.last_admin');
    const [{ role }] = await app.query(`SELECT role FROM users WHERE id = $1`, [adminId]);
    expect(role).toBe('admin');
  });

  it('lets lab staff read the clinic directory (organisation fields only); clinic users get 403, anonymous 401', async () => {
    const clinic = await createClinic(app, { name: 'Directory Clinic' });
    for (const role of ['technician', 'qa_manager', 'admin'] as const) {
      const res = await app.request('GET', '/clinics/directory', { token: await signIn(app, role) });
      expect({ role, status: res.status }).toEqual({ role, status: 200 });
      expect(res.body).toEqual(expect.arrayContaining([{ id: clinic.id, code: clinic.code, name: 'Directory Clinic', country: 'NL', active: true }]));
      for (const entry of res.body) expect(Object.keys(entry).sort()).toEqual(['active', 'code', 'country', 'id', 'name']);
    }
    const asClinic = await app.request('GET', '/clinics/directory', { token: await signIn(app, 'clinic') });
    expect({ status: asClinic.status, code: asClinic.body.code }).toEqual({ status: 403, code: 'auth.forbidden' });
    const anonymous = await app.request('GET', '/clinics/directory');
    expect({ status: anonymous.status, code: anonymous.body.code }).toEqual({ status: 401, code: 'auth.unauthenticated' });
  });

  it('lets no one but an admin manage users and clinics', async () => {
    const target = await createUser(app, { role: 'technician' });
    const calls: [string, string, unknown?][] = [
      ['GET', '/users'],
      ['POST', '/users', { email: 'x@test.exolot', displayName: 'X', role: 'technician', password: 'long-enough-password' }],
      ['GET', `/users/${target.id}`],
      ['PATCH', `/users/${target.id}`, { role: 'admin' }],
      ['POST', `/users/${target.id}/unlock`, {}],
      ['GET', '/clinics'],
      ['POST', '/clinics', { code: 'CLN-X', name: 'X clinic' }],
    ];
    for (const role of ['technician', 'qa_manager', 'clinic'] as const) {
      const token = await signIn(app, role);
      for (const [method, url, body] of calls) {
        const res = await app.request(method, url, { token, body });
        expect({ role, method, url, status: res.status, code: res.body.code }).toEqual({ role, method, url, status: 403, code: 'auth.forbidden' });
      }
    }
    for (const [method, url, body] of calls) expect((await app.request(method, url, { body })).status).toBe(401);
    const [{ role }] = await app.query(`SELECT role FROM users WHERE id = $1`, [target.id]);
    expect(role).toBe('technician');
  });
});
