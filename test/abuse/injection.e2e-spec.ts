import { buildOpenApiDocument } from '#platform';
import { getBytes, postForm } from '../support/multipart.js';
import { type HttpResult, TestApp } from '../support/test-app.js';
import { contractProblems, DbWatch, type Snapshot } from './support/db-watch.js';
import { PATH_TRAVERSALS, pct, SQL_INJECTIONS } from './support/hostile.js';
import { type Operation, operationsOf } from './support/openapi-fuzz.js';
import { buildWorld, freshToken, TINY_PNG, type World } from './support/world.js';

/**
 * SQL injection and path traversal on every text field, query parameter and path value of every
 * route, and on uploaded file names: each is data (stored verbatim or refused cleanly), never
 * SQL, never a file path; no 5xx, no write on refusal, no pg_sleep, the schema and the audit
 * chain intact afterwards.
 */
/** For every text field of every body. */
const PAYLOADS = [
  SQL_INJECTIONS[0], SQL_INJECTIONS[2], SQL_INJECTIONS[4], SQL_INJECTIONS[5], SQL_INJECTIONS[7],
  PATH_TRAVERSALS[0], PATH_TRAVERSALS[1],
  'nul\u0000byte',
];
/** For every path value and query parameter of every route (the router and the pipes see them before any SQL). */
const URL_PAYLOADS = [SQL_INJECTIONS[0], SQL_INJECTIONS[4], PATH_TRAVERSALS[0], PATH_TRAVERSALS[4], 'nul\u0000byte'];
const ROLES = ['technician', 'qa_manager', 'admin', 'clinic'] as const;
type Schema = Record<string, any>;

describe('SQL injection and path traversal', () => {
  let app: TestApp;
  let world: World;
  let watch: DbWatch;
  let operations: Operation[];
  let document: ReturnType<typeof buildOpenApiDocument>;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    app = await TestApp.start({ worker: false });
    world = await buildWorld(app);
    watch = await DbWatch.open(app);
    document = buildOpenApiDocument(app.app);
    operations = operationsOf(document);
    for (const role of ROLES) tokens.set(role, await freshToken(app, world.users[role].id));
  }, 180_000);
  afterAll(() => app?.close());

  const resolve = (schema: Schema | undefined): Schema => {
    let s = schema ?? {};
    for (let i = 0; i < 10 && s.$ref; i++) s = (document.components?.schemas?.[String(s.$ref).split('/').pop()!] as Schema) ?? {};
    if (s.allOf?.length === 1) return { ...resolve(s.allOf[0]), ...s, allOf: undefined };
    return s;
  };

  /** A body built from the schema's examples, enums and the world's real ids: as valid as a generic guess gets. */
  function exampleOf(schema: Schema | undefined, name = ''): unknown {
    const s = resolve(schema);
    if (s.example !== undefined) return name in world.byField ? world.byField[name] : s.example;
    if (s.enum) return s.enum[0];
    if (name in world.byField) return world.byField[name];
    const type = s.type ?? (s.properties ? 'object' : undefined);
    if (type === 'object') return Object.fromEntries(Object.entries(s.properties ?? {}).filter(([k]) => (s.required ?? []).includes(k) || /name|notes|reason|description|comment|findings|code/i.test(k)).map(([k, v]) => [k, exampleOf(v as Schema, k)]));
    if (type === 'array') return [exampleOf(s.items, name.replace(/s$/, ''))];
    if (type === 'number' || type === 'integer') return typeof s.minimum === 'number' ? Math.max(s.minimum, Math.min(1, s.maximum ?? 1)) : 1;
    if (type === 'boolean') return false;
    if (s.format === 'date-time' || /At$/.test(name)) return new Date(Date.now() - 3600_000).toISOString();
    if (/Date$/.test(name)) return new Date(Date.now() - 86400_000).toISOString().slice(0, 10);
    if (/password/i.test(name)) return 'not-the-password-123';
    return `text-${name}`;
  }

  /** Paths (property names and array indexes) to every string in the value. */
  function stringPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
    if (typeof value === 'string') return [path];
    if (Array.isArray(value)) return value.flatMap((v, i) => stringPaths(v, [...path, i]));
    if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringPaths(v, [...path, k]));
    return [];
  }

  function withValue(value: unknown, path: (string | number)[], replacement: string): unknown {
    if (path.length === 0) return replacement;
    const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
    copy[path[0]] = withValue(copy[path[0]], path.slice(1), replacement);
    return copy;
  }

  function containsString(value: unknown, wanted: string): boolean {
    if (typeof value === 'string') return value === wanted;
    if (Array.isArray(value)) return value.some((v) => containsString(v, wanted));
    if (value && typeof value === 'object') return Object.values(value).some((v) => containsString(v, wanted));
    return false;
  }

  /** The first role the route lets in (a probe that is not 401/403), or none. */
  async function actingRole(op: Operation, url: string): Promise<string | undefined> {
    for (const role of ROLES) {
      const res = await app.request(op.method, url, { token: tokens.get(role), body: op.jsonBody ? {} : undefined });
      await watch.settle();
      last = null;
      if (res.status !== 401 && res.status !== 403) return role;
    }
    return undefined;
  }

  const pathFor = (op: Operation, override: Record<string, string> = {}) =>
    op.template.replace(/\{([^}]+)\}/g, (_, p: string) => {
      if (p in override) return override[p];
      const segments = op.template.split('/').filter(Boolean);
      const resource = segments[segments.indexOf(`{${p}}`) - 1];
      return world.known.pathIds[`${resource}.${p}`]?.[0] ?? '00000000-0000-4000-8000-000000000000';
    });

  /** The tables as they were after the last request (null: take a new snapshot first). */
  let last: Snapshot | null = null;

  /** Sends one request and checks it: below 500, problem+json refusals, nothing written on refusal, no injected delay. */
  async function check(failures: string[], label: string, send: () => Promise<HttpResult>): Promise<HttpResult> {
    const before = last ?? (await watch.snapshot());
    const started = performance.now();
    const res = await send();
    const took = performance.now() - started;
    if (res.status < 400) await watch.settle();
    const after = await watch.snapshot();
    last = after;
    const problems = contractProblems(res);
    if (took > 4500) problems.push(`took ${Math.round(took)} ms (an injected pg_sleep(5)?)`);
    if (res.status >= 400) {
      const changed = DbWatch.changed(before, after).filter((t) => !(['auth.invalid_credentials', 'auth.locked'].includes(res.body?.code) && ['users', 'audit_events'].includes(t)));
      if (changed.length) problems.push(`refused ${res.status} ${res.body?.code} but changed ${changed.join(', ')}`);
    }
    if (problems.length) failures.push(`${label} → ${res.status}: ${problems.join('; ')}`);
    return res;
  }

  async function integrity(): Promise<{ tables: number; users: number; audit: number }> {
    const [row] = await app.query(`SELECT (SELECT count(*)::int FROM information_schema.tables WHERE table_schema = 'public') AS tables, (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM audit_events) AS audit`);
    return row;
  }

  it('stores injections in every text field of every JSON body as data, or refuses them cleanly', async () => {
    const start = await integrity();
    const failures: string[] = [];
    let fields = 0;
    let accepted = 0;
    let verbatim = 0;
    for (const op of operations.filter((o) => o.jsonBody)) {
      const url = pathFor(op);
      const role = await actingRole(op, url);
      if (!role) continue;
      const base = exampleOf(op.jsonBody);
      for (const path of stringPaths(base)) {
        fields += 1;
        for (const payload of PAYLOADS) {
          const body = withValue(base, path, payload);
          const res = await check(failures, `${op.method} ${op.template} as ${role}, ${path.join('.')} = ${JSON.stringify(payload)}`, () => app.request(op.method, url, { token: tokens.get(role), body }));
          if (res.status < 300) {
            accepted += 1;
            if (containsString(res.body, payload)) verbatim += 1;
          }
          if (op.template === '/auth/logout' && res.status < 300) {
            tokens.set(role, await freshToken(app, world.users[role as keyof World['users']].id));
            last = null;
          }
        }
      }
      await app.query(`UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE failed_attempts > 0 OR locked_until IS NOT NULL`);
      last = null;
    }
    const end = await integrity();
    // eslint-disable-next-line no-console
    console.log(`injection into bodies: ${fields} text fields × ${PAYLOADS.length} payloads, ${accepted} accepted, ${verbatim} echoed verbatim`);
    expect(failures).toEqual([]);
    expect(fields).toBeGreaterThan(60);
    expect(verbatim).toBeGreaterThan(15);
    expect(end.tables).toBe(start.tables);
    expect(end.users).toBeGreaterThanOrEqual(start.users);
    expect(end.audit).toBeGreaterThan(start.audit);
    const verify = await app.request('GET', '/audit/verify', { token: tokens.get('qa_manager') });
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ valid: true });
  }, 300_000);

  it('treats injections in path values and query parameters as data', async () => {
    const failures: string[] = [];
    let requests = 0;
    for (const op of operations) {
      const role = (await actingRole(op, pathFor(op))) ?? 'technician';
      const token = tokens.get(role);
      for (const param of op.pathParams) {
        for (const payload of URL_PAYLOADS) {
          requests += 1;
          const url = pathFor(op, { [param]: pct(payload) });
          await check(failures, `${op.method} ${url} as ${role}`, () => app.request(op.method, url, { token, body: op.jsonBody ? exampleOf(op.jsonBody) : undefined }));
        }
        // Raw, unencoded traversal too: the router must not resolve it to another route or a file.
        for (const raw of ['../../../../etc/passwd', '..%2f..%2f..%2fetc%2fpasswd']) {
          requests += 1;
          const url = pathFor(op, { [param]: raw });
          const res = await check(failures, `${op.method} ${url} as ${role}`, () => app.request(op.method, url, { token }));
          if (res.status < 400 && /root:.*:0:0:/.test(res.raw)) failures.push(`${op.method} ${url} served /etc/passwd`);
        }
      }
      for (const q of op.query) {
        for (const payload of URL_PAYLOADS) {
          requests += 1;
          const url = `${pathFor(op)}?${q.name}=${pct(payload)}`;
          await check(failures, `${op.method} ${url} as ${role}`, () => app.request(op.method, url, { token, body: op.jsonBody ? exampleOf(op.jsonBody) : undefined }));
        }
      }
      if (op.template === '/auth/logout') {
        tokens.set(role, await freshToken(app, world.users[role as keyof World['users']].id));
        last = null;
      }
    }
    await app.query(`UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE failed_attempts > 0 OR locked_until IS NOT NULL`);
    // eslint-disable-next-line no-console
    console.log(`injection into paths and queries: ${requests} requests`);
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(400);
  }, 300_000);

  it('keeps only the base name of an uploaded file, and serves it back with a safe Content-Disposition', async () => {
    const tech = tokens.get('technician')!;
    const names = [...PATH_TRAVERSALS, 'a\u0000b.png', 'line\r\nX-Injected: 1.png', `quote".png`, `${'n'.repeat(400)}.png`, '..', '.', ''];
    const failures: string[] = [];
    last = null;
    for (const filename of names) {
      const res = await check(failures, `image named ${JSON.stringify(filename)}`, () => postForm(app, `/batches/${world.batches.isolated}/files`, tech, {}, { filename, content: TINY_PNG, contentType: 'image/png' }));
      if (res.status !== 201) {
        // busboy refuses a header line break itself: a clean 400 is fine, a stored file is not required.
        if (!(res.status === 400 && /[\r\n]/.test(filename))) failures.push(`${JSON.stringify(filename)}: ${res.status} ${res.raw.slice(0, 200)}`);
        continue;
      }
      const stored: string = res.body.fileName;
      if (/[\\/\u0000-\u001f]/.test(stored) || stored === '..' || stored === '.' || stored.length === 0 || stored.length > 255) failures.push(`${JSON.stringify(filename)} stored as ${JSON.stringify(stored)}`);
      const [row] = await app.query(`SELECT file_name FROM instrument_files WHERE id = $1`, [res.body.id]);
      if (row.file_name !== stored) failures.push(`${JSON.stringify(filename)}: row has ${JSON.stringify(row.file_name)}`);
      const content = await getBytes(app, `/instrument-files/${res.body.id}/content`, tech);
      const disposition = String(content.headers['content-disposition'] ?? '');
      if (content.status !== 200 || !content.bytes.equals(TINY_PNG)) failures.push(`${JSON.stringify(filename)}: content ${content.status}`);
      if (!/^attachment; filename="[^"\\\r\n]*"; filename\*=UTF-8''[A-Za-z0-9%!._~-]*$/.test(disposition)) failures.push(`${JSON.stringify(filename)}: Content-Disposition ${JSON.stringify(disposition)}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
