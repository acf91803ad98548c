import { performance } from 'node:perf_hooks';
import { TcpProxy } from '../reliability/support/tcp-proxy.js';
import { startWithProxiedPostgresQueue } from '../reliability/support/queue-proxy-app.js';
import { cellCultureHarvest, createLot, isolatedBatch, passingResults, productWithEffectiveSpec } from '../support/fixtures.js';
import { mapLimit, serviceEnv } from '../support/processes.js';
import { eventually, TestApp, TestDatabase } from '../support/test-app.js';
import { testEnv } from '../support/test-env.js';
import { signInAs } from '../support/users.js';
import { Load, ms, report, sleep, summarise } from './support/load.js';
import { appBehindProxy, processesBehindProxy, type RestartRig } from './support/restart-rig.js';

/**
 * Redis restarted under load. A TCP proxy of the test's own sits between the app processes and
 * Redis (the shared server is never touched); closing it cuts every connection and refuses new
 * ones, as a restart does. Harvests are recorded the whole time from 3 clients, and the last
 * result of 6 batches is recorded during the outage.
 *
 * Proves: writes are still accepted (2xx, promptly) while the queue is away, their outbox rows
 * stay pending and the batches unmoved; once Redis is back the relay and the worker resume on
 * their own (no restart) and every gate runs exactly once (one submit_for_qc_review and one
 * gate_passed per batch). Prints the recovery time: from Redis's return until every batch is
 * release_pending.
 *
 * With REDIS_URL: one API and one worker process (node dist/...; with DATABASE_URL, else the
 * file cannot spawn a separate worker and uses the in-process app). Without REDIS_URL the queue
 * is BullMQ's PostgreSQL backend: its connections go through the proxy instead (the in-process
 * app of test/reliability/support/queue-proxy-app.ts), the same load and the same assertions.
 */

const REDIS = testEnv.redisUrl;
const PROCESSES = Boolean(REDIS && testEnv.databaseUrl);
const OUTAGE_MS = 4000;
const GATED = 6;
const ASSAYS = Object.keys(passingResults());

async function processRig(redisUrl: string): Promise<RestartRig> {
  const proxy = await TcpProxy.start(redisUrl);
  const database = await TestDatabase.create({ queue: 'redis' });
  return processesBehindProxy(database, proxy, serviceEnv(database.config, { REDIS_URL: proxy.urlFor(redisUrl), DB_POOL_SIZE: '6', OUTBOX_POLL_MS: '200' }));
}

async function inProcessRig(): Promise<RestartRig> {
  const queue = REDIS ? 'Redis' : 'postgres';
  if (queue === 'Redis') {
    // REDIS_URL without DATABASE_URL: the embedded database cannot serve a second process.
    const proxy = await TcpProxy.start(REDIS!);
    const app = await TestApp.start({ worker: true, queue: 'redis', env: { REDIS_URL: proxy.urlFor(REDIS!), LOG_LEVEL: 'error' } });
    return appBehindProxy(app, proxy, () => proxy.close());
  }
  const { app, proxy } = await startWithProxiedPostgresQueue({ worker: true, env: { LOG_LEVEL: 'error' } });
  return appBehindProxy(app, proxy);
}

const TITLE = PROCESSES
  ? 'Redis restarted under write load (API and worker processes)'
  : REDIS
    ? 'Redis restarted under write load (in-process app: a separate worker needs DATABASE_URL)'
    : "the queue's PostgreSQL backend restarted under write load (no REDIS_URL: BullMQ runs on PostgreSQL)";

describe(TITLE, () => {
  let rig: RestartRig;

  beforeAll(async () => {
    rig = PROCESSES ? await processRig(REDIS!) : await inProcessRig();
  }, 120_000);
  afterAll(async () => {
    await rig?.close();
  }, 60_000);

  it('keeps accepting writes while the queue is away, and resumes the jobs exactly once when it is back', async () => {
    const { target, proxy } = rig;
    const app = target as TestApp;
    const qa = await signInAs(app, 'qa_manager');
    const tech = await signInAs(app, 'technician');
    const { productId } = await productWithEffectiveSpec(app, qa);
    const lotId = (await createLot(app, tech.token, {})).id;
    const bodies = passingResults();
    const gated = await mapLimit(Array.from({ length: GATED }, (_, i) => i), 3, async () => {
      const id = await isolatedBatch(app, tech.token, productId, { lotId });
      for (const assay of ASSAYS.slice(0, -1)) {
        const res = await target.request('POST', `/batches/${id}/results/${assay}`, { token: tech.token, body: bodies[assay] });
        if (res.status !== 201) throw new Error(`${assay}: ${res.status} ${res.raw}`);
      }
      return id;
    });
    const pendingGateRows = async () => (await target.query(`SELECT count(*)::int AS n FROM outbox WHERE dispatched_at IS NULL`))[0].n as number;
    await eventually(async () => (await pendingGateRows()) === 0, 30_000, 100);
    const states = async () => (await target.query(`SELECT state, count(*)::int AS n FROM batches WHERE id = ANY($1::uuid[]) GROUP BY 1`, [gated])).reduce((m: Record<string, number>, r: { state: string; n: number }) => ({ ...m, [r.state]: r.n }), {});
    expect(await states()).toEqual({ characterization: GATED });

    const load = new Load((lane) => target.request('POST', '/batches', { token: tech.token, body: cellCultureHarvest(productId, { notes: `lane ${lane}` }), timeoutMs: 20_000 } as never), { lanes: 3, timeoutMs: 20_000, pauseMs: 20 }).start();
    expect(await load.waitFor(0, (s) => s === 201, 6, 30_000)).toBe(true);

    const closedAt = performance.now();
    await proxy.close();
    const down = await eventually(async () => {
      const res = await target.request('GET', '/health/ready', { timeoutMs: 10_000 } as never);
      return res.status === 503 ? res : undefined;
    }, 10_000, 200);
    // The last result of each batch, while the queue is away: accepted, promptly.
    const lastResults = await mapLimit(gated, 3, async (id) => {
      const t0 = performance.now();
      const res = await target.request('POST', `/batches/${id}/results/${ASSAYS[ASSAYS.length - 1]}`, { token: tech.token, body: bodies[ASSAYS[ASSAYS.length - 1]], timeoutMs: 20_000 } as never);
      return { status: res.status, ms: performance.now() - t0 };
    });
    await sleep(Math.max(0, OUTAGE_MS - (performance.now() - closedAt)));
    const pendingDuring = await pendingGateRows();
    const statesDuring = await states();
    const reopenedAt = performance.now();
    await proxy.open();

    let resumedAt = NaN;
    await eventually(async () => {
      if ((await states()).release_pending !== GATED) return false;
      resumedAt = performance.now();
      return true;
    }, 60_000, 50);
    const recoveryMs = resumedAt - reopenedAt;
    await eventually(async () => (await pendingGateRows()) === 0, 30_000, 100);
    const samples = await load.stop();
    const during = samples.filter((s) => s.startedAt >= closedAt && s.startedAt < reopenedAt);
    const slowest = Math.max(...samples.map((s) => s.endedAt - s.startedAt));
    report(`${PROCESSES ? 'Redis restart (processes)' : TITLE}: ${samples.length} harvests ${JSON.stringify(summarise(samples))}, ${during.length} during the ${ms(reopenedAt - closedAt)} outage, slowest ${ms(slowest)}; ` +
      `last results during the outage ${JSON.stringify(lastResults.map((r) => r.status))} (slowest ${ms(Math.max(...lastResults.map((r) => r.ms)))}); ` +
      `outbox rows pending during the outage: ${pendingDuring}; RECOVERY ${ms(recoveryMs)} from the queue's return until all ${GATED} gates had run`);

    expect(down.body).toMatchObject({ code: 'service.unavailable', checks: { database: { status: 'up' }, queue: { status: 'down' } } });
    // Writes never waited on the queue and were never refused.
    expect(samples.filter((s) => s.status !== 201).map((s) => s.status ?? s.error)).toEqual([]);
    expect(during.length).toBeGreaterThan(0);
    // Answered while the queue was still away (a write that waited for it would end after the reopen).
    const startedEarly = during.filter((s) => s.startedAt < reopenedAt - 1500);
    expect(startedEarly.length).toBeGreaterThan(0);
    expect(startedEarly.filter((s) => s.endedAt >= reopenedAt).length).toBe(0);
    expect(slowest).toBeLessThan(10_000);
    expect(lastResults.map((r) => r.status)).toEqual(gated.map(() => 201));
    expect(Math.max(...lastResults.map((r) => r.ms))).toBeLessThan(10_000);
    // Their jobs waited in the outbox; nothing moved while the queue was away.
    expect(pendingDuring).toBeGreaterThanOrEqual(GATED);
    expect(statesDuring).toEqual({ characterization: GATED });
    // Back on its own, each gate's effect exactly once.
    expect(recoveryMs).toBeLessThan(30_000);
    const transitions = await target.query(
      `SELECT transition, count(*)::int AS n, count(DISTINCT batch_id)::int AS batches FROM batch_events WHERE batch_id = ANY($1::uuid[]) AND transition IN ('submit_for_qc_review', 'gate_passed', 'gate_failed') GROUP BY 1 ORDER BY 1`,
      [gated],
    );
    expect(transitions).toEqual([{ transition: 'gate_passed', n: GATED, batches: GATED }, { transition: 'submit_for_qc_review', n: GATED, batches: GATED }]);
    for (const p of rig.processes) expect({ name: p.name, running: p.running }).toEqual({ name: p.name, running: true });
    const ready = await eventually(async () => {
      const res = await target.request('GET', '/health/ready', { timeoutMs: 10_000 } as never);
      return res.status === 200 ? res : undefined;
    }, 15_000, 200);
    expect(ready.body.checks.queue).toMatchObject({ status: 'up', relayError: null });
    // Every accepted harvest is stored.
    const accepted = samples.map((s) => s.result!.body.id as string);
    const [stored] = await target.query(`SELECT count(*)::int AS n FROM harvests WHERE batch_id = ANY($1::uuid[])`, [accepted]);
    expect(stored.n).toBe(accepted.length);
  }, 180_000);
});
