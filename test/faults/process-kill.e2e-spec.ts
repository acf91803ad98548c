import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { EmbeddedPostgres } from '#platform';
import { cellCultureHarvest, createLot, isolatedBatch, passingResults, productWithEffectiveSpec } from '../support/fixtures.js';
import { multipartBody } from '../support/multipart.js';
import { AppProcess, httpRequest, mapLimit, openQueues, ProcessCluster, serviceEnv, stopAll } from '../support/processes.js';
import { eventually, type TestApp, TestDatabase } from '../support/test-app.js';
import { testEnv } from '../support/test-env.js';
import { signIn, signInAs, type TestUser } from '../support/users.js';
import { Load, ms, report, summarise } from './support/load.js';
import { type Credentials, seedUsers } from './support/seed-users.js';

/**
 * Processes killed with SIGKILL (no shutdown hook runs) in the middle of their work.
 *
 * With DATABASE_URL (separate API and worker processes):
 * - an API process killed while a harvest, and then a large image upload, is inside its
 *   transaction (the test holds the audit chain's lock, so the command has written its rows and
 *   waits to write its audit event): the transaction rolls back, nothing of it is stored, the
 *   audit chain verifies, the other API keeps serving;
 * - a worker process killed while 3 gate jobs wait inside their transactions (the test holds
 *   their batches' row locks) and others run, with a second worker process alive: that worker
 *   takes the stalled jobs over after the lock time (QUEUE_LOCK_MS) and every batch moves once.
 *   (test/reliability/worker-kill.e2e-spec.ts covers the single-job case, gate and certificate,
 *   on both queue backends; this one is the takeover by a live peer under load.)
 *
 * Embedded default: API and worker are one process (npm start). It is killed under a write load
 * that also makes gate jobs run, and started again on the same data folder: every acknowledged
 * write is there, whole, no record is half-written, the chain verifies, and every gate whose
 * last result was acknowledged runs exactly once after the restart.
 */

const REAL = Boolean(testEnv.databaseUrl);
const AUDIT_CHAIN_LOCK = 7245002; // pg_advisory_xact_lock in the audit_events trigger (migrations/…-foundation.ts)
const ASSAYS = Object.keys(passingResults());

type Target = Pick<TestApp, 'request' | 'query'>;

async function counts(target: Target): Promise<Record<string, number>> {
  const [row] = await target.query(
    `SELECT (SELECT count(*) FROM batches)::int AS batches, (SELECT count(*) FROM harvests)::int AS harvests, (SELECT count(*) FROM batch_events)::int AS "batchEvents",
            (SELECT count(*) FROM audit_events)::int AS "auditEvents", (SELECT count(*) FROM instrument_files)::int AS "instrumentFiles", (SELECT count(*) FROM outbox)::int AS outbox`,
  );
  return row;
}

/** No record without the rows it comes with. */
async function halfRecords(target: Target): Promise<Record<string, number>> {
  const [row] = await target.query(
    `SELECT (SELECT count(*) FROM batches b WHERE NOT EXISTS (SELECT 1 FROM harvests h WHERE h.batch_id = b.id))::int AS "batchWithoutHarvest",
            (SELECT count(*) FROM batches b WHERE NOT EXISTS (SELECT 1 FROM batch_events e WHERE e.batch_id = b.id AND e.transition = 'record_harvest'))::int AS "batchWithoutEvent",
            (SELECT count(*) FROM batches b WHERE NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.entity_type = 'batch' AND a.entity_id = b.id::text AND a.action = 'batch.created'))::int AS "batchNotAudited",
            (SELECT count(*) FROM batch_events e WHERE NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.entity_id = e.batch_id::text AND a.action = 'batch.' || e.transition))::int AS "eventNotAudited",
            (SELECT count(*) FROM instrument_files f WHERE NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.entity_type = 'instrument_file' AND a.entity_id = f.id::text))::int AS "fileNotAudited",
            (SELECT count(*) FROM audit_events a WHERE a.entity_type = 'batch' AND a.action = 'batch.created' AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.id::text = a.entity_id))::int AS "auditWithoutBatch"`,
  );
  return row;
}

const NO_HALF_RECORDS = { batchWithoutHarvest: 0, batchWithoutEvent: 0, batchNotAudited: 0, eventNotAudited: 0, fileNotAudited: 0, auditWithoutBatch: 0 };

function pngOf(bytes: number): Buffer {
  const png = Buffer.alloc(bytes, 0x5a);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png);
  return png;
}

describe(REAL ? 'processes killed with SIGKILL mid-request and mid-job (API and worker processes on DATABASE_URL)' : 'the embedded all-in-one process killed with SIGKILL under load, and started again', () => {
  if (REAL) realVariant();
  else embeddedVariant();
});

function realVariant(): void {
  let database: TestDatabase;
  let env: Record<string, string>;
  let survivor: AppProcess;
  const spawned: AppProcess[] = [];
  let cluster: ProcessCluster;
  let holder: pg.Client | undefined;
  let qa: TestUser & { token: string };
  let tech: TestUser & { token: string };
  let productId: string;
  let lotId: string;
  let queues: Awaited<ReturnType<typeof openQueues>>;

  const start = async (role: 'api' | 'worker', name: string) => {
    const p = await AppProcess.start(role, { name, env });
    spawned.push(p);
    return p;
  };
  /** The test's own session takes a lock (session-level or in an open transaction) and keeps it until release(). */
  const hold = async (sql: string, values: unknown[]) => {
    holder = new pg.Client({ connectionString: database.config.databaseUrl, application_name: 'faults-test-lock' });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(sql, values);
    return (await holder.query(`SELECT pg_backend_pid() AS pid`)).rows[0].pid as number;
  };
  const release = async () => {
    const client = holder;
    holder = undefined;
    await client?.query('ROLLBACK').catch(() => undefined);
    await client?.end().catch(() => undefined);
  };
  /** Sessions of an application that wait on the holder's lock. */
  const blockedBy = (holderPid: number, application: string, count = 1) =>
    eventually(async () => {
      const rows = await cluster.query(`SELECT pid, backend_xid::text AS xid, query FROM pg_stat_activity WHERE application_name = $2 AND $1 = ANY(pg_blocking_pids(pid))`, [holderPid, application]);
      return rows.length >= count ? rows : undefined;
    }, 45_000, 50); // a worker process boots, takes its jobs and reaches the lock in seconds; far longer on a loaded CI machine
  const gone = (pids: number[]) => eventually(async () => (await cluster.query(`SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1::int[])`, [pids])).length === 0, 30_000, 100);

  beforeAll(async () => {
    database = await TestDatabase.create();
    env = serviceEnv(database.config, { DB_POOL_SIZE: '6', OUTBOX_POLL_MS: '200', QUEUE_LOCK_MS: '2000' });
    survivor = await start('api', 'api-survivor');
    queues = await openQueues(database.config);
    cluster = new ProcessCluster(() => [survivor.baseUrl], database.config.databaseUrl!);
    const app = cluster.asApp;
    qa = await signInAs(app, 'qa_manager');
    tech = await signInAs(app, 'technician');
    ({ productId } = await productWithEffectiveSpec(app, qa));
    lotId = (await createLot(app, tech.token, {})).id;
  }, 120_000);

  afterAll(async () => {
    await release();
    await stopAll(spawned);
    await queues?.close();
    await cluster?.close();
    await database?.drop();
  }, 60_000);

  const killMidTransaction = async (what: string, send: (api: AppProcess) => Promise<unknown>) => {
    const doomed = await start('api', `api-doomed-${what}`);
    const before = await counts(cluster);
    const holderPid = await hold(`SELECT pg_advisory_lock($1)`, [AUDIT_CHAIN_LOCK]);
    const inFlight = send(doomed).then((r) => ({ answered: r }), (error: Error) => ({ error: error.message }));
    // The command is inside its transaction: it has written its rows (it has a transaction id) and waits for the audit chain.
    const [blocked] = await blockedBy(holderPid, 'exolot-api');
    expect(blocked.xid).not.toBeNull();
    expect(blocked.query).toMatch(/INSERT INTO audit_events/);
    // Meanwhile the other API still reads.
    expect((await cluster.request('GET', '/batches?limit=1', { token: tech.token })).status).toBe(200);
    const killedAt = performance.now();
    const exit = await doomed.kill('SIGKILL');
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    const outcome = await inFlight;
    await release();
    await gone([blocked.pid]);
    const after = await counts(cluster);
    // A replacement API, and the survivor, serve writes again.
    const replacement = await start('api', `api-replacement-${what}`);
    const replacedMs = performance.now() - killedAt;
    const harvest = await httpRequest(replacement.baseUrl, 'POST', '/batches', { token: tech.token, body: cellCultureHarvest(productId) });
    return { before, after, outcome, replacedMs, harvest, replacement };
  };

  it('an API killed inside a harvest transaction stores nothing of it', async () => {
    const { before, after, outcome, replacedMs, harvest, replacement } = await killMidTransaction('harvest', (api) =>
      httpRequest(api.baseUrl, 'POST', '/batches', { token: tech.token, body: cellCultureHarvest(productId, { notes: 'killed mid-request' }), timeoutMs: 30_000 }));
    report(`API killed mid-harvest: client saw ${JSON.stringify(outcome)}; replacement API ready ${ms(replacedMs)} after the kill`);
    expect(outcome).toEqual({ error: expect.any(String) });
    expect(after).toEqual(before);
    expect((await cluster.query(`SELECT count(*)::int AS n FROM harvests WHERE details->>'notes' = 'killed mid-request'`))[0].n).toBe(0);
    expect(await halfRecords(cluster)).toEqual(NO_HALF_RECORDS);
    expect(harvest.status).toBe(201);
    const verify = await httpRequest(replacement.baseUrl, 'GET', '/audit/verify', { token: qa.token });
    expect(verify.body).toMatchObject({ valid: true });
  }, 120_000);

  it('an API killed inside a large upload transaction (8 MB image) stores nothing of it', async () => {
    const batchId = await isolatedBatch(cluster.asApp, tech.token, productId, { lotId });
    const { payload, headers } = multipartBody({}, [{ filename: 'em-micrograph.png', content: pngOf(8 * 1024 * 1024), contentType: 'image/png' }]);
    const { before, after, outcome, replacedMs, replacement } = await killMidTransaction('upload', (api) =>
      httpRequest(api.baseUrl, 'POST', `/batches/${batchId}/files`, { token: tech.token, payload, headers, timeoutMs: 60_000 }));
    report(`API killed mid-upload (8 MB): client saw ${JSON.stringify(outcome)}; replacement API ready ${ms(replacedMs)} after the kill`);
    expect(outcome).toEqual({ error: expect.any(String) });
    expect(after).toEqual(before);
    expect((await cluster.query(`SELECT count(*)::int AS n FROM instrument_files WHERE batch_id = $1`, [batchId]))[0].n).toBe(0);
    expect(await halfRecords(cluster)).toEqual(NO_HALF_RECORDS);
    // The same upload through a live API is stored, once.
    const stored = await httpRequest(replacement.baseUrl, 'POST', `/batches/${batchId}/files`, { token: tech.token, payload, headers, timeoutMs: 60_000 });
    expect(stored.status).toBe(201);
    expect((await cluster.query(`SELECT count(*)::int AS n FROM instrument_files WHERE batch_id = $1`, [batchId]))[0].n).toBe(1);
    expect((await httpRequest(replacement.baseUrl, 'GET', '/audit/verify', { token: qa.token })).body).toMatchObject({ valid: true });
  }, 120_000);

  it('a worker killed with jobs inside their transactions: the other worker takes them over, each gate runs once', async () => {
    const app = cluster.asApp;
    const bodies = passingResults();
    const lastAssay = ASSAYS[ASSAYS.length - 1];
    const record = async (id: string, assays: string[]) => {
      for (const assay of assays) {
        const res = await app.request('POST', `/batches/${id}/results/${assay}`, { token: tech.token, body: bodies[assay] });
        if (res.status !== 201) throw new Error(`${assay}: ${res.status} ${res.raw}`);
      }
    };
    // No worker runs yet: 12 batches with every result but the last, and wave A (3 batches) complete too.
    // Their gate jobs wait in the queue.
    const ids = await mapLimit(Array.from({ length: 12 }, (_, i) => i), 4, async () => {
      const id = await isolatedBatch(app, tech.token, productId, { lotId });
      await record(id, ASSAYS.slice(0, -1));
      return id;
    });
    const waveA = ids.slice(0, 3);
    const waveB = ids.slice(3);
    for (const id of waveA) await record(id, [lastAssay]);
    await eventually(async () => (await app.query(`SELECT count(*)::int AS n FROM outbox WHERE dispatched_at IS NULL`))[0].n === 0, 30_000, 100);

    // Wave A's rows are locked by the test: any gate job of theirs waits inside its transaction.
    const holderPid = await hold(`SELECT id FROM batches WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [waveA]);
    const doomed = await start('worker', 'worker-doomed');
    const blocked = await blockedBy(holderPid, 'exolot-worker', 3);
    const survivorWorker = await start('worker', 'worker-survivor');
    const activeAtKill = (await queues.queues['release-gate'].getActive()).map((j) => j.id!);
    const killedAt = performance.now();
    expect(await doomed.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    await release();
    // New work arrives while the stalled jobs wait for their lock to expire.
    await mapLimit(waveB, 3, (id) => record(id, [lastAssay]));
    const doneAt: Record<string, number> = {};
    await eventually(async () => {
      for (const [wave, members] of [['A', waveA], ['B', waveB]] as const) {
        if (doneAt[wave]) continue;
        const [row] = await app.query(`SELECT count(*)::int AS n FROM batches WHERE id = ANY($1::uuid[]) AND state = 'release_pending'`, [members]);
        if (row.n === members.length) doneAt[wave] = performance.now();
      }
      return doneAt.A && doneAt.B ? true : undefined;
    }, 60_000, 50);
    await gone(blocked.map((b: { pid: number }) => b.pid));
    // The jobs the dead worker held are re-run (stalled: their lock expired) and complete, none fails.
    const gate = queues.queues['release-gate'];
    let rerunAt = NaN;
    await eventually(async () => {
      const states = await Promise.all(activeAtKill.map((id) => gate.getJobState(id)));
      if (!states.every((st) => st === 'completed')) return false;
      rerunAt = performance.now();
      return true;
    }, 60_000, 50);
    const rerun = await Promise.all(activeAtKill.map((id) => gate.getJob(id)));
    expect(Math.max(...rerun.map((j) => j?.stalledCounter ?? 0))).toBeGreaterThanOrEqual(1);
    expect(await gate.getFailedCount()).toBe(0);
    report(`worker SIGKILLed holding ${blocked.length} gate job(s) inside their transactions (QUEUE_LOCK_MS=2000), another worker alive: ` +
      `RECOVERY the dead worker's ${activeAtKill.length} active job(s) re-run and completed ${ms(rerunAt - killedAt)} after the kill ` +
      `(the stalled batches were release_pending after ${ms(doneAt.A - killedAt)}, via their later gate jobs; the ${waveB.length} new batches after ${ms(doneAt.B - killedAt)})`);
    const transitions = await app.query(
      `SELECT transition, count(*)::int AS n, count(DISTINCT batch_id)::int AS batches FROM batch_events WHERE batch_id = ANY($1::uuid[]) AND transition IN ('submit_for_qc_review', 'gate_passed', 'gate_failed') GROUP BY 1 ORDER BY 1`,
      [ids],
    );
    expect(transitions).toEqual([{ transition: 'gate_passed', n: ids.length, batches: ids.length }, { transition: 'submit_for_qc_review', n: ids.length, batches: ids.length }]);
    expect(survivorWorker.running).toBe(true);
    expect(await halfRecords(cluster)).toEqual(NO_HALF_RECORDS);
    expect((await cluster.request('GET', '/audit/verify', { token: qa.token })).body).toMatchObject({ valid: true });
  }, 150_000);
}

function embeddedVariant(): void {
  let database: TestDatabase;
  let env: Record<string, string>;
  const spawned: AppProcess[] = [];
  let users: Record<'technician' | 'qa_manager', Credentials>;

  /** Direct access to the data folder while no process runs on it. */
  const withDatabase = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const db = new EmbeddedPostgres(path.join(database.config.dataDir, 'pg'));
    const client = new pg.Client({ connectionString: await db.start() });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
      await db.stop();
    }
  };
  const start = async (name: string) => {
    const p = await AppProcess.start('api', { name, env, args: ['--with-worker'], readyTimeoutMs: 120_000 });
    spawned.push(p);
    return p;
  };

  beforeAll(async () => {
    database = await TestDatabase.create();
    env = serviceEnv(database.config, { OUTBOX_POLL_MS: '100', QUEUE_LOCK_MS: '2000' });
    users = await seedUsers(database.config, ['technician', 'qa_manager'] as const);
  }, 120_000);

  afterAll(async () => {
    await stopAll(spawned);
    await database?.drop();
  }, 60_000);

  it('loses no acknowledged write, leaves no half record, and runs each gate once after a restart', async () => {
    let proc = await start('all-in-one');
    const target = { request: (method: string, url: string, options: object = {}) => httpRequest(proc.baseUrl, method, url, options), query: () => Promise.reject(new Error('no SQL while the process runs')) } as unknown as TestApp;
    const tech = await signIn(target, users.technician);
    const qa = await signIn(target, users.qa_manager);
    const qaUser = { ...users.qa_manager, token: qa };
    const { productId } = await productWithEffectiveSpec(target, qaUser);
    const lotId = (await createLot(target, tech, {})).id;
    const bodies = passingResults();
    const gated = await mapLimit(Array.from({ length: 6 }, (_, i) => i), 3, async () => {
      const id = await isolatedBatch(target, tech, productId, { lotId });
      for (const assay of ASSAYS.slice(0, -1)) {
        const res = await target.request('POST', `/batches/${id}/results/${assay}`, { token: tech, body: bodies[assay] });
        if (res.status !== 201) throw new Error(`${assay}: ${res.status} ${res.raw}`);
      }
      return id;
    });

    // Harvests from 3 clients; then the last result of each gated batch, and SIGKILL the moment
    // they are acknowledged: their gate jobs are queued or running, harvests are in flight.
    const load = new Load((lane) => target.request('POST', '/batches', { token: tech, body: cellCultureHarvest(productId, { notes: `lane ${lane}` }), timeoutMs: 20_000 } as never), { lanes: 3, timeoutMs: 20_000 }).start();
    await load.waitFor(0, (s) => s === 201, 10, 30_000);
    const last = await Promise.all(gated.map((id) => target.request('POST', `/batches/${id}/results/${ASSAYS[ASSAYS.length - 1]}`, { token: tech, body: bodies[ASSAYS[ASSAYS.length - 1]], timeoutMs: 20_000 } as never).then((r) => ({ id, status: r.status as number | null }), () => ({ id, status: null }))));
    const killedAt = performance.now();
    expect(await proc.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const samples = await load.stop();
    const acknowledged = samples.filter((s) => s.status === 201).map((s) => s.result!.body.id as string);
    const acknowledgedGates = last.filter((r) => r.status === 201).map((r) => r.id);

    // The data folder after the crash, before anything repairs it.
    const { stored, half, gatesPendingAtKill } = await withDatabase(async (client) => ({
      stored: (await client.query(`SELECT count(*)::int AS n FROM harvests WHERE batch_id = ANY($1::uuid[])`, [acknowledged])).rows[0].n as number,
      half: await halfRecords({ query: async (text: string) => (await client.query(text)).rows } as never),
      gatesPendingAtKill: (await client.query(`SELECT count(*)::int AS n FROM batches WHERE id = ANY($1::uuid[]) AND state <> 'release_pending'`, [acknowledgedGates])).rows[0].n as number,
    }));

    proc = await start('all-in-one-restarted');
    const restartedMs = performance.now() - killedAt;
    const ready = await target.request('GET', '/health/ready');
    // Every gate whose last result was acknowledged runs (jobs of the killed process are retried), once.
    let gatesDoneMs = NaN;
    await eventually(async () => {
      const res = await mapLimit(acknowledgedGates, 3, (id) => target.request('GET', `/batches/${id}`, { token: tech }));
      if (!res.every((r) => r.body.state === 'release_pending')) return false;
      gatesDoneMs = performance.now() - killedAt;
      return true;
    }, 60_000, 200);
    const verify = await target.request('GET', '/audit/verify', { token: qa });
    report(`embedded all-in-one process SIGKILLed under load: ${samples.length} harvests ${JSON.stringify(summarise(samples))}, last results ${JSON.stringify(last.map((r) => r.status))}, ${gatesPendingAtKill} of their gates not yet run at the kill; ` +
      `RECOVERY: restarted and ready ${ms(restartedMs)} after the kill, acknowledged gates done ${ms(gatesDoneMs)} after the kill`);

    expect(stored).toBe(acknowledged.length);
    expect(half).toEqual(NO_HALF_RECORDS);
    expect(ready.status).toBe(200);
    expect(verify.body).toMatchObject({ valid: true });
    await stopAll([proc]);
    const transitions = await withDatabase(async (client) => (await client.query(
      `SELECT transition, count(*)::int AS n, count(DISTINCT batch_id)::int AS batches FROM batch_events WHERE batch_id = ANY($1::uuid[]) AND transition IN ('submit_for_qc_review', 'gate_passed', 'gate_failed') GROUP BY 1 ORDER BY 1`,
      [acknowledgedGates],
    )).rows);
    const n = acknowledgedGates.length;
    expect(transitions).toEqual(n ? [{ transition: 'gate_passed', n, batches: n }, { transition: 'submit_for_qc_review', n, batches: n }] : []);
  }, 240_000);
}
