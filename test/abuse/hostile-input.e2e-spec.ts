import fc from 'fast-check';
import { buildOpenApiDocument } from '#platform';
import { multipartBody } from '../support/multipart.js';
import { type HttpResult, TestApp } from '../support/test-app.js';
import { testEnv } from '../support/test-env.js';
import { contractProblems, DbWatch, type Snapshot } from './support/db-watch.js';
import { hostileString, PATH_TRAVERSALS, toJsonText } from './support/hostile.js';
import { type Operation, operationsOf, SchemaFuzzer } from './support/openapi-fuzz.js';
import { buildWorld, type Caller, CALLERS, freshToken, TINY_PNG, type World } from './support/world.js';
import { sample } from '../instrument-imports/expected-values.js';

/**
 * Property-based abuse of every route in the app's own OpenAPI document, as every role and as
 * anonymous: generated bodies (schema-shaped but wrong, or any JSON at all), query strings and
 * path values (non-UUIDs, traversal, NUL, SQL). Each answer must be below 500, each refusal
 * application/problem+json, and a refusal must leave every application table as it was.
 *
 * Reproduce a failure with the seed it prints: FUZZ_SEED=<seed> (and FUZZ_RUNS=<n> for more runs).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
/** Runs per route and caller: fewer on the embedded database (one PGlite session, slower), to keep the file near a minute. */
const RUNS = Number(process.env.FUZZ_RUNS ?? (testEnv.databaseUrl ? 8 : 5));

/** Refusals that by design count a failed password (lockout): they may touch users and, on the locking attempt, audit it. */
const CREDENTIAL_REFUSALS = new Set(['auth.invalid_credentials', 'auth.locked']);

const RAW_PAYLOADS: { payload: string | Buffer; type: string }[] = [
  { payload: '{"a":', type: 'application/json' },
  { payload: '', type: 'application/json' },
  { payload: 'null', type: 'application/json' },
  { payload: '"just a string"', type: 'application/json' },
  { payload: '[1,2,3]', type: 'application/json' },
  { payload: '{"__proto__":{"isAdmin":true}}', type: 'application/json' },
  { payload: '{"constructor":{"prototype":{"isAdmin":true}}}', type: 'application/json' },
  { payload: '{"a":1}', type: 'application/json; charset=utf-16' },
  { payload: Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]), type: 'application/json' },
  { payload: 'email=a&password=b', type: 'application/x-www-form-urlencoded' },
  { payload: '<x>&xxe;</x>', type: 'application/xml' },
  { payload: 'plain text \u0000', type: 'text/plain' },
  { payload: '{"a":1}', type: 'multipart/form-data' },
  { payload: '--x\r\nContent-Disposition: form-data; name="file"; filename="../../etc/passwd"\r\n\r\nabc', type: 'multipart/form-data; boundary=x' },
  { payload: `${'['.repeat(20000)}${']'.repeat(20000)}`, type: 'application/json' },
  { payload: `{"a":"${'\\u0000'.repeat(1000)}"}`, type: 'application/json' },
];

interface Generated {
  path: Record<string, string>;
  query: string;
  body: { kind: 'json'; value: unknown } | { kind: 'raw'; payload: string | Buffer; type: string } | { kind: 'form'; fields: Record<string, string>; file?: { filename: string; content: Buffer } };
  authorization?: string;
}

describe('hostile input on every route (property-based)', () => {
  let app: TestApp;
  let world: World;
  let watch: DbWatch;
  let fuzzer: SchemaFuzzer;
  let operations: Operation[];
  const tokens = new Map<Caller, string | undefined>();

  beforeAll(async () => {
    app = await TestApp.start({ worker: false });
    world = await buildWorld(app);
    watch = await DbWatch.open(app);
    const document = buildOpenApiDocument(app.app);
    operations = operationsOf(document);
    fuzzer = new SchemaFuzzer(document, { ...world.known, byField: world.byField });
    for (const caller of CALLERS) tokens.set(caller, caller === 'anonymous' ? undefined : await freshToken(app, world.users[caller].id));
  }, 180_000);
  afterAll(() => app?.close());

  function requestArb(op: Operation, caller: Caller): fc.Arbitrary<Generated> {
    const path = op.pathParams.length
      ? fc.record(Object.fromEntries(op.pathParams.map((p) => [p, fuzzer.pathValue(op.template, p)])) as Record<string, fc.Arbitrary<string>>)
      : fc.constant({} as Record<string, string>);
    const raw = fc.constantFrom(...RAW_PAYLOADS).map((r) => ({ kind: 'raw' as const, ...r }));
    const body: fc.Arbitrary<Generated['body']> = op.multipart
      ? fc.oneof({ weight: 5, arbitrary: formArb(op.multipart) }, { weight: 1, arbitrary: raw })
      : fc.oneof({ weight: 5, arbitrary: fuzzer.body(op.jsonBody).map((value) => ({ kind: 'json' as const, value })) }, { weight: 1, arbitrary: raw });
    const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 80 }).map((s) => s.replace(/[\r\n]/g, ''));
    const authorization = caller === 'anonymous'
      ? fc.option(fc.oneof(printable.map((s) => `Bearer ${s}`), printable.map((s) => `Logger ${s}`), printable, fc.constant('Bearer '), fc.constant(`Bearer ${'A'.repeat(300)}`)), { nil: undefined })
      : fc.constant(undefined);
    return fc.record({ path, query: fuzzer.query(op.query), body, authorization });
  }

  function formArb(schema: Record<string, any>): fc.Arbitrary<Generated['body']> {
    const properties: Record<string, any> = schema.properties ?? {};
    const fields = Object.fromEntries(Object.entries(properties).filter(([name]) => name !== 'file').map(([name, prop]) => [name, fuzzer.shaped(prop).map((v) => (typeof v === 'string' ? v : toJsonText(v) ?? ''))]));
    const samples = ['nanosight_beads_nta3.2.csv', 'fortessa_fcs3.0.fcs', 'stepone_std.rdml', 'tapestation_eukaryotic_rna.xml.gz', 'corrupted.fcs'].map(sample);
    const content = fc.oneof(
      fc.constantFrom(...samples, TINY_PNG),
      fc.tuple(fc.constantFrom(...samples, TINY_PNG), fc.double({ min: 0, max: 1, noNaN: true })).map(([b, f]) => b.subarray(0, Math.floor(b.length * f))),
      fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
    );
    const filename = fc.oneof(fc.constantFrom(...PATH_TRAVERSALS, 'x.fcs', 'a\u0000b.csv', '', '.', '..', 'CON', `${'n'.repeat(400)}.csv`), hostileString.map((s) => s.replace(/["\r\n]/g, '')));
    return fc.record({
      fields: fc.record(fields as Record<string, fc.Arbitrary<string>>, { requiredKeys: [] }),
      file: fc.option(fc.record({ filename, content }), { nil: undefined, freq: 6 }),
    }).map((f) => ({ kind: 'form' as const, fields: f.fields as Record<string, string>, ...(f.file ? { file: f.file as { filename: string; content: Buffer } } : {}) }));
  }

  async function send(op: Operation, caller: Caller, g: Generated): Promise<{ url: string; res: HttpResult }> {
    const path = op.template.replace(/\{([^}]+)\}/g, (_, p: string) => g.path[p]);
    const url = g.query ? `${path}?${g.query}` : path;
    const headers: Record<string, string> = {};
    const token = tokens.get(caller);
    if (token) headers.authorization = `Bearer ${token}`;
    else if (g.authorization !== undefined) headers.authorization = g.authorization;
    let payload: string | Buffer | undefined;
    if (g.body.kind === 'json') {
      if (g.body.value !== undefined) {
        payload = toJsonText(g.body.value);
        headers['content-type'] = 'application/json';
      }
    } else if (g.body.kind === 'raw') {
      payload = g.body.payload;
      headers['content-type'] = g.body.type;
    } else {
      const form = multipartBody(g.body.fields, g.body.file ? [{ filename: g.body.file.filename, content: g.body.file.content }] : []);
      payload = form.payload;
      Object.assign(headers, form.headers);
    }
    return { url, res: await app.request(op.method, url, { headers, payload }) };
  }

  it('drives every operation of the OpenAPI document', () => {
    expect(operations.length).toBeGreaterThan(100);
    expect(operations.filter((op) => op.pathParams.length > 0).length).toBeGreaterThan(40);
    expect(operations.filter((op) => op.jsonBody).length).toBeGreaterThan(40);
    expect(operations.filter((op) => op.multipart).length).toBe(3);
  });

  it('answers every route, as every caller, below 500, refuses with problem+json, and writes nothing when it refuses', async () => {
    const failures: string[] = [];
    const stats = { requests: 0, refused: 0, accepted: 0 };
    const acceptedWrites = new Set<string>();
    let snapshot: Snapshot = await watch.snapshot();
    let index = 0;
    for (const op of operations) {
      for (const caller of CALLERS) {
        index += 1;
        const seed = SEED + index;
        try {
          await fc.assert(
            fc.asyncProperty(requestArb(op, caller), async (g) => {
              const before = snapshot;
              const { url, res } = await send(op, caller, g);
              if (res.status < 400) await watch.settle();
              const after = await watch.snapshot();
              snapshot = after;
              stats.requests += 1;
              const problems = contractProblems(res);
              if (res.status >= 400) {
                stats.refused += 1;
                const changed = DbWatch.changed(before, after);
                const allowed = CREDENTIAL_REFUSALS.has(res.body?.code) ? ['users', 'audit_events'] : [];
                const unexpected = changed.filter((t) => !allowed.includes(t));
                if (unexpected.length) problems.push(`refused ${res.status} ${res.body?.code} but changed ${unexpected.join(', ')}`);
                if (changed.includes('audit_events') && allowed.length) {
                  const added = Number(after.audit_events.split('/')[0]) - Number(before.audit_events.split('/')[0]);
                  const actions = await app.query(`SELECT action FROM audit_events ORDER BY seq DESC LIMIT $1`, [Math.max(added, 0)]);
                  const odd = actions.map((a) => a.action).filter((a) => a !== 'user.locked' && a !== 'user.password_rejected');
                  if (odd.length) problems.push(`a credential refusal audited ${odd.join(', ')}`);
                }
              } else {
                stats.accepted += 1;
                if (op.method !== 'GET') acceptedWrites.add(`${op.method} ${op.template}`);
              }
              if (process.env.FUZZ_TRACE && op.method !== 'GET' && res.status >= 400) console.log(`${op.method} ${op.template} ${caller} ${res.status} ${res.raw.slice(0, 300)}`);
              if (op.template === '/auth/logout' && caller !== 'anonymous' && res.status < 300) {
                tokens.set(caller, await freshToken(app, world.users[caller].id));
                snapshot = await watch.snapshot();
              }
              if (problems.length) throw new Error(`${op.method} ${url.slice(0, 200)} → ${res.status}: ${problems.join('; ')}`);
            }),
            { seed, numRuns: RUNS, endOnFailure: true },
          );
        } catch (error) {
          const message = (error as Error).message;
          const cause = ((error as Error & { cause?: Error }).cause?.message ?? message).split('\n')[0];
          const example = /Counterexample: ([^\n]*)/.exec(message)?.[1] ?? '';
          failures.push(`${op.method} ${op.template} as ${caller} (FUZZ_SEED=${SEED}, property seed ${seed}): ${cause.slice(0, 600)} | counterexample: ${example.slice(0, 400)}`);
          snapshot = await watch.snapshot();
        }
        // Failed passwords lock accounts by design: unlock between properties so every run reaches the service.
        await app.query(`UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE failed_attempts > 0 OR locked_until IS NOT NULL`);
        snapshot = await watch.snapshot();
      }
    }
    // eslint-disable-next-line no-console
    console.log(`hostile input: ${operations.length} operations × ${CALLERS.length} callers, ${stats.requests} requests (${stats.refused} refused, ${stats.accepted} accepted; ${acceptedWrites.size} commands accepted at least once), FUZZ_SEED=${SEED}`);
    expect(failures).toEqual([]);
    expect(stats.requests).toBeGreaterThanOrEqual(operations.length * CALLERS.length * RUNS);
    expect(stats.accepted).toBeGreaterThan(0);
  }, 600_000);
});
