import { randomBytes, randomUUID } from 'node:crypto';
import { type ExecutionContext, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { AccessGuard, accessRuleOf, hashSessionToken, MachineAuthenticators, Sessions } from '#identity';
import { type AccessRule, buildOpenApiDocument, ROLES, type Role, statusForCode } from '#platform';
import { TestApp } from '../support/test-app.js';
import { createUser } from '../support/users.js';

type Caller = Role | 'anonymous';
type Expect = 'allowed' | 401 | 403;
interface Route { method: string; path: string; handler: string; rule: AccessRule | undefined }

const CALLERS: Caller[] = ['anonymous', ...ROLES];
/** Where an admin may act: accounts, clinics, the audit trail, signatures, queue operations. Never lab work. */
const ADMIN_AREAS = [/^\/users(\/|$)/, /^\/clinics(\/|$)/, /^\/audit(\/|$)/, /^\/signatures(\/|$)/, /^\/admin\/queues(\/|$)/];

const staffOnly = { anonymous: 401, technician: 403, qa_manager: 403, clinic: 403, admin: 'allowed' } as const;
const review = { anonymous: 401, technician: 403, qa_manager: 'allowed', clinic: 403, admin: 'allowed' } as const;
/** Hard-coded expectations for sensitive routes, independent of the metadata the matrix reads. */
const SENSITIVE: [string, string, Partial<Record<Caller, Expect>>][] = [
  ['POST', '/auth/login', { anonymous: 'allowed', technician: 'allowed', admin: 'allowed', clinic: 'allowed' }],
  ['GET', '/auth/me', { anonymous: 401, technician: 'allowed', clinic: 'allowed', admin: 'allowed' }],
  ['POST', '/auth/password', { anonymous: 401, clinic: 'allowed' }],
  ['GET', '/users', staffOnly],
  ['POST', '/users', staffOnly],
  ['GET', '/users/:id', staffOnly],
  ['PATCH', '/users/:id', staffOnly],
  ['POST', '/users/:id/unlock', staffOnly],
  ['GET', '/clinics', staffOnly],
  ['POST', '/clinics', staffOnly],
  ['GET', '/clinics/directory', { anonymous: 401, technician: 'allowed', qa_manager: 'allowed', admin: 'allowed', clinic: 403 }],
  ['GET', '/audit', review],
  ['GET', '/audit/verify', review],
  ['GET', '/audit/export.csv', review],
  ['GET', '/signatures', { anonymous: 401, technician: 'allowed', qa_manager: 'allowed', admin: 'allowed', clinic: 403 }],
  ['POST', '/batches', { anonymous: 401, technician: 'allowed', admin: 403, clinic: 403 }],
  ['GET', '/batches', { anonymous: 401, technician: 'allowed', qa_manager: 'allowed', admin: 403, clinic: 403 }],
  ['POST', '/products', { anonymous: 401, technician: 403, qa_manager: 'allowed', admin: 403, clinic: 403 }],
  ['POST', '/batches/:id/isolation/steps', { anonymous: 401, admin: 403, clinic: 403 }],
  ['POST', '/batches/:id/release/approve', { anonymous: 401, technician: 403, admin: 403, clinic: 403 }],
  ['POST', '/batches/:id/release/reject', { anonymous: 401, technician: 403, admin: 403, clinic: 403 }],
  ['POST', '/batches/:id/results/nta', { anonymous: 401, qa_manager: 403, admin: 403, clinic: 403 }],
  ['POST', '/investigations/:id/close', { anonymous: 401, technician: 403, admin: 403, clinic: 403 }],
  ['POST', '/specifications/:id/approve', { anonymous: 401, technician: 403, admin: 403, clinic: 403 }],
  ['GET', '/admin/queues', { anonymous: 401, technician: 403, qa_manager: 403, admin: 'allowed', clinic: 403 }],
  ['POST', '/admin/queues/:queue/jobs/:jobId/retry', { anonymous: 401, technician: 403, qa_manager: 403, clinic: 403 }],
];

/** Every HTTP route Nest registered, read from the controllers' metadata. */
function registeredRoutes(app: TestApp): Route[] {
  const reflector = new Reflector();
  const routes = new Map<string, Route>();
  for (const module of app.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller) continue;
      const bases = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      for (let proto = controller.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
        for (const name of Object.getOwnPropertyNames(proto)) {
          const handler = Object.getOwnPropertyDescriptor(proto, name)?.value;
          if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
          const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
          for (const base of bases) {
            for (const sub of ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, handler) ?? '')) {
              const path = `/${[base, sub].join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
              routes.set(`${method} ${path}`, { method, path, handler: `${controller.name}.${name}`, rule: accessRuleOf(reflector, handler, controller) });
            }
          }
        }
      }
    }
  }
  return [...routes.values()].sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}

function expected(rule: AccessRule, caller: Caller): Expect {
  if (rule.kind === 'public') return 'allowed';
  // A device route takes only its device key: no user session opens it, whatever the role.
  if (rule.kind === 'machine') return 401;
  if (caller === 'anonymous') return 401;
  if (rule.kind === 'authenticated') return 'allowed';
  return rule.roles.includes(caller) ? 'allowed' : 403;
}

describe('route access matrix', () => {
  let app: TestApp;
  let routes: Route[];
  const users = new Map<Role, string>();

  beforeAll(async () => {
    app = await TestApp.start({ worker: false });
    routes = registeredRoutes(app);
    for (const role of ROLES) users.set(role, (await createUser(app, { role })).id);
  });
  afterAll(() => app?.close());

  /** A fresh session per request, straight into the table, so sign-out routes do not spoil later calls. */
  async function tokenFor(caller: Caller): Promise<string | undefined> {
    if (caller === 'anonymous') return undefined;
    const token = randomBytes(32).toString('base64url');
    await app.query(`INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, now() + interval '1 hour')`, [users.get(caller), hashSessionToken(token)]);
    return token;
  }

  async function call(route: { method: string; path: string }, caller: Caller) {
    const url = route.path.replace(/:[A-Za-z_]+/g, () => randomUUID());
    const body = ['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined;
    return app.request(route.method, url, { token: await tokenFor(caller), body });
  }

  it('finds the routes, and the OpenAPI document lists none the metadata does not', () => {
    expect(routes.length).toBeGreaterThan(15);
    const known = new Set(routes.map((r) => `${r.method} ${r.path}`));
    const documented = Object.entries(buildOpenApiDocument(app.app).paths).flatMap(([path, ops]) =>
      Object.keys(ops as object).filter((m) => m !== 'parameters').map((m) => `${m.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`),
    );
    expect(documented.filter((op) => !known.has(op))).toEqual([]);
  });

  it('gives every route an access rule', () => {
    expect(routes.filter((r) => !r.rule).map((r) => `${r.method} ${r.path} (${r.handler}) has no Roles/Public/AnyRole rule`)).toEqual([]);
  });

  it('lets admins act only on accounts, clinics, the audit trail and signatures (no lab authority)', () => {
    const adminRoutes = routes.filter((r) => r.rule?.kind === 'roles' && r.rule.roles.includes('admin'));
    expect(adminRoutes.filter((r) => !ADMIN_AREAS.some((area) => area.test(r.path))).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('allows or refuses every route for every role and anonymous exactly as its rule says', async () => {
    const mismatches: string[] = [];
    for (const route of routes.filter((r) => r.rule)) {
      for (const caller of CALLERS) {
        const res = await call(route, caller);
        const want = expected(route.rule!, caller);
        const got: Expect | number = res.status === 401 || res.status === 403 ? res.status : 'allowed';
        const code = route.rule!.kind === 'machine' ? `auth.${route.rule!.machine}_key_invalid` : want === 401 ? 'auth.unauthenticated' : want === 403 ? 'auth.forbidden' : undefined;
        if (got !== want || (code && res.body.code !== code)) mismatches.push(`${route.method} ${route.path} as ${caller}: expected ${want}, got ${res.status} ${res.body?.code ?? ''}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('matches the hard-coded table for sensitive routes', async () => {
    const mismatches: string[] = [];
    for (const [method, path, table] of SENSITIVE) {
      if (!routes.some((r) => r.method === method && r.path === path)) {
        mismatches.push(`${method} ${path} is not a registered route`);
        continue;
      }
      for (const [caller, want] of Object.entries(table) as [Caller, Expect][]) {
        const res = await call({ method, path }, caller);
        const got = res.status === 401 || res.status === 403 ? res.status : 'allowed';
        if (got !== want) mismatches.push(`${method} ${path} as ${caller}: expected ${want}, got ${res.status} ${res.body?.code ?? ''}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('refuses a route without a rule to everyone, signed in or not (403 auth.no_access_rule)', async () => {
    class Unruled {
      handler(): void {}
    }
    const guard = new AccessGuard(new Reflector(), app.app.get(Sessions), app.app.get(MachineAuthenticators));
    const token = await tokenFor('admin');
    for (const headers of [{}, { authorization: `Bearer ${token}` }]) {
      const context = { getType: () => 'http', getHandler: () => Unruled.prototype.handler, getClass: () => Unruled, switchToHttp: () => ({ getRequest: () => ({ headers }) }) } as unknown as ExecutionContext;
      await expect(guard.canActivate(context)).rejects.toMatchObject({ code: 'auth.no_access_rule' });
    }
    expect(statusForCode('auth.no_access_rule')).toBe(403);
  });
});
