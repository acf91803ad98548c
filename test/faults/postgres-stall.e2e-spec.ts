import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { TcpProxy } from '../reliability/support/tcp-proxy.js';
import { cellCultureHarvest, productWithEffectiveSpec } from '../support/fixtures.js';
import { AppProcess, ProcessCluster, serviceEnv, stopAll } from '../support/processes.js';
import { eventually, type HttpResult, type TestApp, TestDatabase } from '../support/test-app.js';
import { testEnv } from '../support/test-env.js';
import { signInAs, type TestUser } from '../support/users.js';
import { jsonLines, LogCapture, type LogLine } from './support/log-capture.js';
import { Load, ms, muteConsoleLog, report, sleep, summarise } from './support/load.js';
import { startWithProxiedDatabase } from './support/proxied-database-app.js';

/**
 * PostgreSQL stops answering without closing anything: the test's TCP proxy keeps every
 * connection open (and accepts new ones) but forwards no byte, as a hung server or a silent
 * network path does. Harvests are recorded from 4 concurrent clients throughout.
 *
 * Proves: with DB_QUERY_TIMEOUT_MS the requests caught by the stall answer 503 problem+json
 * within that timeout (not never), later ones within the pool's connect timeout; the outage is
 * logged at warn without stacks; nothing is half-written (a timed-out transaction is rolled
 * back once the server sees its connection closed); once the database answers again new writes
 * get 201 without a restart. A second case holds the audit chain's lock so a request waits
 * inside its transaction (on PostgreSQL after inserting its batch; its statement_timeout ends
 * the wait) and shows it answers 503 and stores nothing.
 *
 * With DATABASE_URL: one API process (node dist/...) through the proxy. Embedded default: the
 * in-process API with its database connections through the proxy to the embedded PostgreSQL.
 */

const REAL = Boolean(testEnv.databaseUrl);
/** What the app under test runs with; production's default is 30 s. */
const QUERY_TIMEOUT_MS = 1500;
/** The pool's connect timeout (data-source-options.ts): a request that needs a new connection while stalled waits this long. */
const CONNECT_TIMEOUT_MS = 5000;
/** Scheduling slack on a loaded machine. */
const MARGIN_MS = 1500;
/** Longer than the query timeout plus the connect timeout, so requests started during the stall are answered during it. */
const STALL_MS = CONNECT_TIMEOUT_MS + 3000;
/** Taken by the audit chain trigger (migrations/1764000000000-foundation.ts) on every audited write. */
const AUDIT_CHAIN_LOCK = 7245002;
const REFUSED = 'request refused during an outage';

interface Rig {
  target: Pick<TestApp, 'request' | 'query'>;
  /** Straight to the database, not through the proxy. */
  sql: pg.Pool;
  proxy: TcpProxy;
  logs(): LogLine[];
  close(): Promise<void>;
}

async function realRig(): Promise<Rig> {
  const database = await TestDatabase.create();
  const url = database.config.databaseUrl!;
  const proxy = await TcpProxy.start(url);
  const env = serviceEnv(database.config, { DATABASE_URL: proxy.urlFor(url), DB_POOL_SIZE: '6', DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS), LOG_LEVEL: 'warn' });
  let api: AppProcess;
  try {
    api = await AppProcess.start('api', { name: 'api', env });
  } catch (error) {
    await proxy.close();
    await database.drop();
    throw error;
  }
  const cluster = new ProcessCluster(() => [api.baseUrl], url);
  return {
    target: cluster,
    sql: cluster.sql,
    proxy,
    logs: () => jsonLines(api.output),
    async close() {
      proxy.resume();
      await stopAll([api]);
      await proxy.close();
      await cluster.close();
      await database.drop();
    },
  };
}

async function embeddedRig(): Promise<Rig> {
  const log = new LogCapture();
  const { app, proxy } = await startWithProxiedDatabase({ worker: false, log, env: { DB_POOL_SIZE: '6', DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS), LOG_LEVEL: 'warn' } });
  return {
    target: app,
    sql: app.sql,
    proxy,
    logs: () => log.lines,
    async close() {
      proxy.resume();
      await app.close();
    },
  };
}

const harvest = (target: Rig['target'], token: string, productId: string, id: string): Promise<HttpResult> =>
  target.request('POST', '/batches', { token, headers: { 'x-request-id': id }, body: cellCultureHarvest(productId, { notes: id }), timeoutMs: 20_000 } as never);

function expectUnavailableProblem(result: HttpResult, requestId: string | RegExp): void {
  expect(result.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(result.headers['retry-after']).toBe('5');
  expect(result.body).toMatchObject({ status: 503, code: 'service.unavailable', requestId: typeof requestId === 'string' ? requestId : expect.stringMatching(requestId) });
}

/** No backend of the API still inside a transaction (a timed-out one is rolled back once the server sees its connection go). */
async function noOpenApiTransactions(sql: pg.Pool): Promise<void> {
  if (!REAL) return; // the embedded session is shared; its rows are checked below
  await eventually(async () => {
    const { rows } = await sql.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'exolot-api' AND xact_start < now() - interval '1 second'`);
    return rows[0].n === 0;
  }, 30_000, 100);
}

/** Batches of these harvest notes that are stored, and how many of them are whole (harvest, creation event, audit event). */
async function storedByNote(sql: pg.Pool, notes: string[]): Promise<{ stored: string[]; whole: number }> {
  const { rows } = await sql.query(
    `SELECT h.details->>'notes' AS note,
            EXISTS (SELECT 1 FROM batch_events e WHERE e.batch_id = b.id AND e.transition = 'record_harvest')
              AND EXISTS (SELECT 1 FROM audit_events a WHERE a.entity_type = 'batch' AND a.entity_id = b.id::text AND a.action = 'batch.created') AS whole
       FROM harvests h JOIN batches b ON b.id = h.batch_id WHERE h.details->>'notes' = ANY($1::text[])`,
    [notes],
  );
  return { stored: rows.map((r) => r.note as string), whole: rows.filter((r) => r.whole).length };
}

describe(`PostgreSQL stops answering (${REAL ? 'API process on DATABASE_URL' : 'embedded default, in-process API'})`, () => {
  let rig: Rig;
  let tech: TestUser & { token: string };
  let productId: string;
  let restoreConsole = () => undefined as void;

  beforeAll(async () => {
    rig = REAL ? await realRig() : await embeddedRig();
    const qa = await signInAs(rig.target as TestApp, 'qa_manager');
    tech = await signInAs(rig.target as TestApp, 'technician');
    ({ productId } = await productWithEffectiveSpec(rig.target as TestApp, qa));
    if (!REAL) restoreConsole = muteConsoleLog(); // TypeORM prints each failed query (in-process only)
  }, 120_000);
  afterAll(async () => {
    restoreConsole();
    await rig?.close();
  }, 60_000);

  it('answers 503 problem+json within the query timeout while stalled, logs it at warn, writes nothing half, and recovers', async () => {
    const { target, proxy } = rig;
    const load = new Load((lane, index) => harvest(target, tech.token, productId, `stall-${lane}-${index}`), { lanes: 4, timeoutMs: 20_000 }).start();
    expect(await load.waitFor(0, (s) => s === 201, 8, 30_000)).toBe(true);

    const stalledAt = performance.now();
    proxy.stall();
    await sleep(STALL_MS);
    const resumedAt = performance.now();
    proxy.resume();
    const recovered = await load.waitFor(resumedAt, (s) => s === 201, 12, 30_000);
    const samples = await load.stop();

    const caught = samples.filter((s) => s.startedAt < stalledAt && s.endedAt > stalledAt && s.status === 503);
    const during = samples.filter((s) => s.startedAt >= stalledAt && s.startedAt < resumedAt);
    const answeredDuring = during.filter((s) => s.endedAt <= resumedAt);
    const first = load.firstAfter(resumedAt, (s) => s === 201);
    const recoveryMs = first ? first.endedAt - resumedAt : NaN;
    const caughtMs = caught.map((s) => s.endedAt - stalledAt);
    const duringMs = during.map((s) => s.endedAt - s.startedAt);
    report(`PostgreSQL stall (${REAL ? 'process' : 'embedded'}), DB_QUERY_TIMEOUT_MS=${QUERY_TIMEOUT_MS}: ${samples.length} harvests ${JSON.stringify(summarise(samples))}; ` +
      `${caught.length} in flight at the stall answered 503 ${ms(Math.min(...caughtMs))}–${ms(Math.max(...caughtMs))} after it; ` +
      `${during.length} started during the ${ms(resumedAt - stalledAt)} stall took ${ms(Math.min(...duringMs))}–${ms(Math.max(...duringMs))}; RECOVERY ${ms(recoveryMs)} from resume to the first 201`);

    // Every request got an answer, only 201 or 503, and every 503 is a problem with our request id.
    expect(samples.filter((s) => s.status === null).map((s) => s.error)).toEqual([]);
    expect(Object.keys(summarise(samples)).sort()).toEqual(['201', '503']);
    for (const s of samples.filter((x) => x.status === 503)) expectUnavailableProblem(s.result!, /^stall-\d+-\d+$/);
    // Caught mid-request: answered within the query timeout (plus slack) of the stall, not never.
    expect(caught.length).toBeGreaterThan(0);
    expect(Math.max(...caughtMs)).toBeLessThan(QUERY_TIMEOUT_MS + MARGIN_MS);
    // Started during the stall: on a pooled connection after the query timeout, on a new one (the
    // timed-out ones were closed) after the pool's connect timeout.
    expect(answeredDuring.length).toBeGreaterThan(0);
    expect(answeredDuring.every((s) => s.status === 503)).toBe(true);
    expect(Math.max(...duringMs)).toBeLessThan(CONNECT_TIMEOUT_MS + MARGIN_MS);

    // Back without a restart.
    expect(recovered).toBe(true);
    expect(recoveryMs).toBeLessThan(10_000);
    const after = await harvest(target, tech.token, productId, 'stall-after');
    expect(after.status).toBe(201);

    // Every 201 is stored whole; a 503 is stored whole or not at all (one that had committed, or
    // whose COMMIT was on its way, before a query went unanswered is stored: never half).
    await noOpenApiTransactions(rig.sql);
    const accepted = samples.filter((s) => s.status === 201).map((s) => s.result!.body.id as string);
    const refusedIds = samples.filter((s) => s.status === 503).map((s) => s.result!.body.requestId as string);
    const acceptedNotes = (await rig.sql.query(`SELECT details->>'notes' AS note FROM harvests WHERE batch_id = ANY($1::uuid[])`, [accepted])).rows.map((r) => r.note as string);
    expect(acceptedNotes.length).toBe(accepted.length);
    const ok = await storedByNote(rig.sql, acceptedNotes);
    expect(ok.whole).toBe(accepted.length);
    const refused = await storedByNote(rig.sql, refusedIds);
    expect(refused.whole).toBe(refused.stored.length);
    const { rows: [orphans] } = await rig.sql.query(`SELECT count(*)::int AS n FROM batches b WHERE NOT EXISTS (SELECT 1 FROM harvests h WHERE h.batch_id = b.id) OR NOT EXISTS (SELECT 1 FROM batch_events e WHERE e.batch_id = b.id)`);
    expect(orphans.n).toBe(0);
    report(`${refusedIds.length} answered 503, of which ${refused.stored.length} stored whole anyway (committed before the unanswered query), none half-written`);

    // Logged at warn with code and request id, no stack; no error-level line for an outage.
    const logs = rig.logs();
    const warned = new Map(logs.filter((l) => l.msg === REFUSED).map((l) => [l.requestId, l]));
    for (const id of refusedIds) {
      expect(warned.get(id)).toMatchObject({ level: 40, status: 503, code: 'service.unavailable', requestId: id });
      expect(JSON.stringify(warned.get(id))).not.toMatch(/stack|\\n\s*at /);
    }
    expect(logs.filter((l) => (l.level ?? 0) >= 50 && l.msg === 'request failed')).toEqual([]);
    const reasons: Record<string, number> = {};
    for (const id of refusedIds) reasons[String(warned.get(id)?.reason)] = (reasons[String(warned.get(id)?.reason)] ?? 0) + 1;
    report(`503 reasons logged: ${JSON.stringify(reasons)}`);
  }, 180_000);

  it('answers 503 when a request waits on the database inside its transaction past the timeout, and stores nothing of it', async () => {
    const { target, sql } = rig;
    const holder = await sql.connect();
    let waitedInTransaction = false;
    let result!: HttpResult;
    let tookMs = NaN;
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
      const t0 = performance.now();
      const pending = harvest(target, tech.token, productId, 'lock-wait-1');
      if (REAL) {
        // The request inserted its batch and waits for the chain lock, inside its transaction.
        waitedInTransaction = Boolean(await eventually(async () => {
          const { rows } = await sql.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'exolot-api' AND wait_event_type = 'Lock' AND xact_start IS NOT NULL`);
          return rows[0].n > 0;
        }, QUERY_TIMEOUT_MS, 20).catch(() => false));
      }
      result = await pending;
      tookMs = performance.now() - t0;
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    }
    report(`a request waiting on the audit lock answered ${result.status} after ${ms(tookMs)}${REAL ? ` (waited inside its transaction: ${waitedInTransaction})` : ''}`);

    expect(result.status).toBe(503);
    expectUnavailableProblem(result, 'lock-wait-1');
    expect(tookMs).toBeLessThan(QUERY_TIMEOUT_MS + MARGIN_MS);
    if (REAL) expect(waitedInTransaction).toBe(true);
    await noOpenApiTransactions(sql);
    expect(await storedByNote(sql, ['lock-wait-1'])).toEqual({ stored: [], whole: 0 });
    expect(rig.logs().find((l) => l.requestId === 'lock-wait-1' && l.msg === REFUSED)).toMatchObject({ level: 40, code: 'service.unavailable' });

    const next = await harvest(target, tech.token, productId, 'lock-wait-2');
    expect(next.status).toBe(201);
    expect(await storedByNote(sql, ['lock-wait-2'])).toEqual({ stored: ['lock-wait-2'], whole: 1 });
  }, 60_000);
});
