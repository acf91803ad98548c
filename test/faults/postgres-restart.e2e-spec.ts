import { performance } from 'node:perf_hooks';
import { TcpProxy } from '../reliability/support/tcp-proxy.js';
import { cellCultureHarvest, productWithEffectiveSpec, spin } from '../support/fixtures.js';
import { serviceEnv } from '../support/processes.js';
import { eventually, type TestApp, TestDatabase } from '../support/test-app.js';
import { testEnv } from '../support/test-env.js';
import { signInAs } from '../support/users.js';
import { Load, ms, muteConsoleLog, report, sleep, summarise } from './support/load.js';
import { startWithProxiedDatabase } from './support/proxied-database-app.js';
import { appBehindProxy, processesBehindProxy, type RestartRig } from './support/restart-rig.js';

/**
 * PostgreSQL restarted under load. A TCP proxy of the test's own sits between the app and the
 * database (the shared server is never touched): closing it refuses new connections and cuts
 * the live ones, as a restart does; opening it again is the database coming back. Harvests are
 * recorded the whole time from 4 concurrent clients.
 *
 * Proves: while the database is away every request answers within a bounded time (under the
 * pool's 5 s connect timeout) with 503 problem+json and retry-after, never a 500 or a hang;
 * the API (and the worker) recover on their own, without a restart; every harvest that got a
 * 201 is in the database, whole (batch, harvest, lifecycle event, audit events), and the audit
 * chain verifies. Prints the recovery time: from the database coming back to the first 201.
 *
 * With DATABASE_URL: one API and one worker process (node dist/...), both through the proxy.
 * Embedded default: the in-process app (API and worker) with its database connections through
 * the proxy to the embedded PostgreSQL's socket.
 */

const REAL = Boolean(testEnv.databaseUrl);
const OUTAGE_MS = 4000;

async function realRig(): Promise<RestartRig> {
  const database = await TestDatabase.create();
  const url = database.config.databaseUrl!;
  const proxy = await TcpProxy.start(url);
  return processesBehindProxy(database, proxy, serviceEnv(database.config, { DATABASE_URL: proxy.urlFor(url), DB_POOL_SIZE: '6' }));
}

async function embeddedRig(): Promise<RestartRig> {
  // Silent: every 503 of the outage would otherwise print its stack into the test output.
  const { app, proxy } = await startWithProxiedDatabase({ worker: true, env: { LOG_LEVEL: 'silent' } });
  return appBehindProxy(app, proxy);
}

describe(`PostgreSQL restarted under write load (${REAL ? 'API and worker processes on DATABASE_URL' : 'embedded default, in-process app'})`, () => {
  let rig: RestartRig;
  let restoreConsole = () => undefined as void;

  beforeAll(async () => {
    rig = REAL ? await realRig() : await embeddedRig();
  }, 120_000);
  afterAll(async () => {
    restoreConsole();
    await rig?.close();
  }, 60_000);

  it('answers 503 problem+json while the database is away, recovers on its own, and loses no accepted write', async () => {
    const { target, proxy } = rig;
    const qa = await signInAs(target as TestApp, 'qa_manager');
    const tech = await signInAs(target as TestApp, 'technician');
    const { productId } = await productWithEffectiveSpec(target as TestApp, qa);

    const load = new Load((lane) => target.request('POST', '/batches', { token: tech.token, body: cellCultureHarvest(productId, { notes: `lane ${lane}` }), timeoutMs: 20_000 } as never), { lanes: 4, timeoutMs: 20_000 }).start();
    expect(await load.waitFor(0, (s) => s === 201, 8, 30_000)).toBe(true);

    const closedAt = performance.now();
    if (!REAL) restoreConsole = muteConsoleLog(); // TypeORM prints each failed query (in-process only)
    await proxy.close();
    await sleep(1000);
    const ready = await target.request('GET', '/health/ready', { timeoutMs: 10_000 } as never);
    const live = await target.request('GET', '/health', { timeoutMs: 10_000 } as never);
    await sleep(OUTAGE_MS - (performance.now() - closedAt));
    const reopenedAt = performance.now();
    await proxy.open();
    const recovered = await load.waitFor(reopenedAt, (s) => s === 201, 12, 30_000);
    const samples = await load.stop();
    restoreConsole();

    const during = samples.filter((s) => s.startedAt >= closedAt + 100 && s.endedAt <= reopenedAt);
    const first = load.firstAfter(reopenedAt, (s) => s === 201);
    const recoveryMs = first ? first.endedAt - reopenedAt : NaN;
    const slowest = Math.max(...samples.map((s) => s.endedAt - s.startedAt));
    const slowestDuring = Math.max(0, ...samples.filter((s) => s.startedAt >= closedAt && s.startedAt < reopenedAt).map((s) => s.endedAt - s.startedAt));
    report(`PostgreSQL restart (${REAL ? 'processes' : 'embedded'}): ${samples.length} harvest requests ${JSON.stringify(summarise(samples))}; ` +
      `outage ${ms(reopenedAt - closedAt)}, ${during.length} answered during it, slowest answer during the outage ${ms(slowestDuring)}, slowest overall ${ms(slowest)}; ` +
      `RECOVERY ${ms(recoveryMs)} from the database's return to the first 201`);

    // Liveness stays up, readiness says the database is down.
    expect(live.status).toBe(200);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ code: 'service.unavailable', checks: { database: { status: 'down' } } });

    // Every request got an answer (no connection error, no hang), and only 201 or 503.
    expect(samples.filter((s) => s.status === null).map((s) => s.error)).toEqual([]);
    expect(Object.keys(summarise(samples)).sort()).toEqual(['201', '503']);
    // Within the pool's connect timeout (5 s) plus scheduling margin.
    expect(slowest).toBeLessThan(7000);
    // While the database was away the API answered, with 503 problem+json and retry-after.
    expect(during.length).toBeGreaterThan(0);
    for (const s of samples.filter((x) => x.status === 503)) {
      expect(s.result!.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(s.result!.headers['retry-after']).toBe('5');
      expect(s.result!.body).toMatchObject({ status: 503, code: 'service.unavailable', requestId: expect.any(String) });
    }
    expect(during.every((s) => s.status === 503)).toBe(true);

    // It came back on its own (same processes), quickly.
    expect(recovered).toBe(true);
    expect(recoveryMs).toBeLessThan(10_000);
    for (const p of rig.processes) expect({ name: p.name, running: p.running }).toEqual({ name: p.name, running: true });
    expect((await target.request('GET', '/health/ready', { timeoutMs: 10_000 } as never)).status).toBe(200);

    // Every accepted write is there, whole.
    const accepted = samples.filter((s) => s.status === 201).map((s) => s.result!.body.id as string);
    expect(new Set(accepted).size).toBe(accepted.length);
    const [stored] = await target.query(
      `SELECT count(DISTINCT b.id)::int AS batches, count(DISTINCT h.batch_id)::int AS harvests, count(DISTINCT e.batch_id)::int AS events, count(DISTINCT a.entity_id)::int AS audited
         FROM batches b LEFT JOIN harvests h ON h.batch_id = b.id LEFT JOIN batch_events e ON e.batch_id = b.id AND e.transition = 'record_harvest'
         LEFT JOIN audit_events a ON a.entity_type = 'batch' AND a.entity_id = b.id::text AND a.action = 'batch.created'
        WHERE b.id = ANY($1::uuid[])`,
      [accepted],
    );
    expect(stored).toEqual({ batches: accepted.length, harvests: accepted.length, events: accepted.length, audited: accepted.length });
    // And nothing is half-written anywhere (a 503 whose transaction was cut rolled back whole).
    const [orphans] = await target.query(`SELECT count(*)::int AS n FROM batches b WHERE NOT EXISTS (SELECT 1 FROM harvests h WHERE h.batch_id = b.id) OR NOT EXISTS (SELECT 1 FROM batch_events e WHERE e.batch_id = b.id)`);
    expect(orphans.n).toBe(0);
    const verify = await target.request('GET', '/audit/verify', { token: qa.token, timeoutMs: 30_000 } as never);
    expect(verify.body).toMatchObject({ valid: true });

    // The worker is back too: an isolation step's summary job runs.
    const step = await target.request('POST', `/batches/${accepted[accepted.length - 1]}/isolation/steps`, { token: tech.token, body: spin() });
    expect(step.status).toBe(201);
    await eventually(async () => (await target.query(`SELECT 1 FROM batch_summaries WHERE batch_id = $1`, [accepted[accepted.length - 1]])).length === 1, 30_000, 100);
    await eventually(async () => (await target.query(`SELECT count(*)::int AS n FROM outbox WHERE dispatched_at IS NULL`))[0].n === 0, 30_000, 100);
  }, 180_000);
});
