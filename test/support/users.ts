import { randomBytes } from 'node:crypto';
import { hashPassword } from '#identity';
import type { Role } from '#platform';
import type { TestApp } from './test-app.js';

export interface TestUser {
  id: string;
  email: string;
  password: string;
  displayName: string;
  role: Role;
  clinicId: string | null;
}

const DISPLAY: Record<Role, string> = { technician: 'Test Technician', qa_manager: 'Test QA Manager', admin: 'Test Admin', clinic: 'Test Clinic User' };
const unique = () => randomBytes(4).toString('hex');

/** A clinic, straight into the database (fixtures only; the API path is POST /clinics). */
export async function createClinic(app: TestApp, over: { code?: string; name?: string } = {}): Promise<{ id: string; code: string }> {
  const [row] = await app.query(`INSERT INTO clinics (code, name, country) VALUES ($1, $2, 'NL') RETURNING id, code`, [over.code ?? `CLN-${unique().toUpperCase()}`, over.name ?? 'Test Clinic']);
  return row;
}

/** A user with an argon2id password hash, inserted directly (not audited: a test fixture). Clinic users get a new clinic unless one is given. */
export async function createUser(app: TestApp, options: { role: Role; clinicId?: string; email?: string; password?: string; displayName?: string }): Promise<TestUser> {
  const email = (options.email ?? `${options.role}.${unique()}@test.exolot`).toLowerCase();
  const password = options.password ?? `pw-${randomBytes(12).toString('base64url')}`;
  const displayName = options.displayName ?? DISPLAY[options.role];
  const clinicId = options.role === 'clinic' ? (options.clinicId ?? (await createClinic(app)).id) : null;
  const [row] = await app.query(`INSERT INTO users (email, display_name, role, clinic_id, password_hash) VALUES ($1, $2, $3, $4, $5) RETURNING id`, [
    email,
    displayName,
    options.role,
    clinicId,
    await hashPassword(password),
  ]);
  return { id: row.id, email, password, displayName, role: options.role, clinicId };
}

/** A bearer token through POST /auth/login: for a role, a new user of that role signs in. */
export async function signIn(app: TestApp, who: Role | { email: string; password: string }): Promise<string> {
  const credentials = typeof who === 'string' ? await createUser(app, { role: who }) : who;
  const res = await app.request('POST', '/auth/login', { body: { email: credentials.email, password: credentials.password } });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${res.raw}`);
  return res.body.token;
}

/** A new user of the role and a signed-in token for it. */
export async function signInAs(app: TestApp, role: Role, over: { clinicId?: string; displayName?: string } = {}): Promise<TestUser & { token: string }> {
  const user = await createUser(app, { role, ...over });
  return { ...user, token: await signIn(app, user) };
}
