import { performance } from 'node:perf_hooks';
import type { Queue } from 'bullmq';
import { createLot, isolatedBatch, passingResults, productWithEffectiveSpec } from '../support/fixtures.js';
import { AppProcess, mapLimit, openQueues, ProcessCluster, serviceEnv, stopAll, within } from '../support/processes.js';
import { eventually, TestApp, TestDatabase } from '../support/test-app.js';
import { testEnv } from '../support/test-env.js';
import { createUser, signIn, signInAs, type TestUser } from '../support/users.js';

/**
 * Scale-out: N API and M worker processes on one PostgreSQL (and one Redis) with nothing a
 * process needs held in another's memory. With DATABASE_URL set this file starts 2 API and 2
 * worker processes (`node dist/apps/{api,worker}/src/main.js`, what npm run start:api /
 * start:worker run; the second worker joins half-way) on a database of its own, drives 500
 * batches from harvest to release through both APIs (each request to the next API, at most
 * 12 in flight), and checks each gate job's effect happened once: one submit_for_qc_review,
 * one gate_passed and one approve_release per batch, 500 distinct lot numbers, one
 * certificate per batch, no failed job, an intact audit chain.
 *
 * Throughput with 2 workers beside 1 (printed, not asserted): 200 batches get their last result
 * while the gate queue is paused; the clock runs from resume until all 200 are release_pending,
 * first with 1 worker process, then (200 other batches) with 2.
 * EXOLOT_SCALE_BATCHES / EXOLOT_SCALE_PHASE change the sizes for a local experiment.
 *
 * Without DATABASE_URL (the embedded default) a separate worker process cannot exist (PGlite
 * is one process's database): the same correctness assertions run on one in-process app with
 * fewer batches, and the file shows the embedded default refuses a second process on its data
 * folder and a separate worker, instead of corrupting anything.
 */

const REAL = Boolean(testEnv.databaseUrl);
const BATCHES = Number(process.env.EXOLOT_SCALE_BATCHES ?? (REAL ? 500 : 40));
/** Batches per throughput phase (1 worker, then 2). */
const PHASE = Math.min(Number(process.env.EXOLOT_SCALE_PHASE ?? (REAL ? 200 : 0)), Math.floor(BATCHES / 2));
const CONCURRENCY = REAL ? 12 : 4;
const ASSAYS = Object.keys(passingResults());
const LAST_ASSAY = ASSAYS[ASSAYS.length - 1];

const TEST_TIMEOUT = REAL ? 540_000 : 300_000;

const log = (message: string) => process.stderr.write(`[scale-out] ${message}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** What the assertions need from either variant: request (to some API) and query (the same database). */
type Target = Pick<TestApp, 'request' | 'query'>;

async function recordResults(app: Target, token: string, batchId: string, assays: string[]): Promise<void> {
  const bodies = passingResults();
  for (const assay of assays) {
    const res = await app.request('POST', `/batches/${batchId}/results/${assay}`, { token, body: bodies[assay] });
    if (res.status !== 201) throw new Error(`${assay} on ${batchId}: ${res.status} ${res.raw}`);
  }
}

async function countIn(app: Target, ids: string[], state: string): Promise<number> {
  const [row] = await app.query(`SELECT count(*)::int AS n FROM batches WHERE id = ANY($1::uuid[]) AND state = $2`, [ids, state]);
  return row.n;
}

async function pendingOutbox(app: Target): Promise<number> {
  return (await app.query(`SELECT count(*)::int AS n FROM outbox WHERE dispatched_at IS NULL`))[0].n;
}

/** Until every batch is release_pending (bounded), failing with where the stragglers are. */
async function waitReleasePending(app: Target, ids: string[], timeoutMs: number): Promise<void> {
  try {
    await eventually(async () => (await countIn(app, ids, 'release_pending')) === ids.length, timeoutMs, 250);
  } catch (error) {
    const states = await app.query(`SELECT state, count(*)::int AS n FROM batches WHERE id = ANY($1::uuid[]) GROUP BY 1`, [ids]);
    throw new Error(`${(error as Error).message}; states: ${JSON.stringify(states)}`);
  }
}

async function approveAll(app: Target, qa: { token: string; password: string }, ids: string[], concurrency: number): Promise<string[]> {
  return mapLimit(ids, concurrency, async (batchId) => {
    const res = await app.request('POST', `/batches/${batchId}/release/approve`, { token: qa.token, body: { password: qa.password }, timeoutMs: 60_000 } as never);
    if (res.status !== 200) throw new Error(`approve ${batchId}: ${res.status} ${res.raw}`);
    return res.body.lotNumber as string;
  });
}

/** The effect of every gate and release happened exactly once. */
async function assertReleasedOnce(app: Target, qa: { token: string }, ids: string[], lotNumbers: string[]): Promise<void> {
  expect(new Set(lotNumbers).size).toBe(ids.length);
  expect(await countIn(app, ids, 'released')).toBe(ids.length);

  const transitions = await app.query(
    `SELECT transition, count(*)::int AS events, count(DISTINCT batch_id)::int AS batches, max(n)::int AS "maxPerBatch"
       FROM (SELECT batch_id, transition, count(*) OVER (PARTITION BY batch_id, transition) AS n FROM batch_events WHERE batch_id = ANY($1::uuid[])) e
      GROUP BY transition ORDER BY transition`,
    [ids],
  );
  const n = ids.length;
  // Every transition a batch went through, each exactly once per batch: in particular the gate's two and the approval.
  for (const row of transitions) expect(row).toEqual({ transition: row.transition, events: n, batches: n, maxPerBatch: 1 });
  expect(transitions.map((t: { transition: string }) => t.transition)).toEqual(expect.arrayContaining(['submit_for_qc_review', 'gate_passed', 'approve_release']));
  expect(transitions.map((t: { transition: string }) => t.transition)).not.toContain('gate_failed');

  const [lots] = await app.query(`SELECT count(*)::int AS n, count(DISTINCT lot_number)::int AS distinct FROM batches WHERE id = ANY($1::uuid[]) AND lot_number IS NOT NULL`, [ids]);
  expect(lots).toEqual({ n, distinct: n });
  expect((await app.query(`SELECT lot_number AS "lotNumber" FROM batches WHERE id = ANY($1::uuid[])`, [ids])).map((r: { lotNumber: string }) => r.lotNumber).sort()).toEqual([...lotNumbers].sort());

  const [decisions] = await app.query(`SELECT count(*)::int AS n, count(DISTINCT batch_id)::int AS batches FROM release_decisions WHERE batch_id = ANY($1::uuid[])`, [ids]);
  expect(decisions).toEqual({ n, batches: n });
  const [certificates] = await app.query(`SELECT count(*)::int AS n, count(DISTINCT batch_id)::int AS batches FROM certificates WHERE batch_id = ANY($1::uuid[])`, [ids]);
  expect(certificates).toEqual({ n, batches: n });
  // One released audit event per batch, and the hash chain is intact after all that concurrency.
  const [released] = await app.query(`SELECT count(*)::int AS n, count(DISTINCT entity_id)::int AS batches FROM audit_events WHERE action = 'batch.released' AND entity_id = ANY($1::text[])`, [ids]);
  expect(released).toEqual({ n, batches: n });
  const verify = await app.request('GET', '/audit/verify', { token: qa.token });
  expect(verify.status).toBe(200);
  expect(verify.body).toMatchObject({ valid: true });
}

async function jobCounts(queues: Queue[]): Promise<Record<string, Record<string, number>>> {
  const counts: Record<string, Record<string, number>> = {};
  for (const queue of queues) counts[queue.name] = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed');
  return counts;
}

/** Nothing waiting, running or retrying (the cold-chain scan is a job scheduler: its next run is always delayed). */
async function waitQueuesIdle(queues: Queue[], timeoutMs: number): Promise<Record<string, Record<string, number>>> {
  let last: Record<string, Record<string, number>> = {};
  try {
    return await eventually(async () => {
      last = await jobCounts(queues);
      return Object.entries(last).every(([name, c]) => c.waiting + c.prioritized + c.active + (name === 'cold-chain' ? 0 : c.delayed) === 0) ? last : undefined;
    }, timeoutMs, 250);
  } catch (error) {
    throw new Error(`${(error as Error).message}; job counts: ${JSON.stringify(last)}`);
  }
}

const REAL_TITLE = `${BATCHES} batches through 2 API and 2 worker processes on PostgreSQL${testEnv.redisUrl ? ' and Redis' : ' (BullMQ on PostgreSQL)'}`;
const EMBEDDED_TITLE = `${BATCHES} concurrent batches on the embedded default (one process: a separate worker needs DATABASE_URL)`;

describe(REAL ? REAL_TITLE : EMBEDDED_TITLE, () => {
  if (!REAL) {
    embeddedVariant();
    return;
  }

  let database: TestDatabase;
  let cluster: ProcessCluster;
  const apis: AppProcess[] = [];
  const workers: AppProcess[] = [];
  let env: Record<string, string>;
  let queueClients: Awaited<ReturnType<typeof openQueues>> | undefined;
  let queues: Queue[] = [];
  let tech: TestUser & { token: string };
  let qaRelease: TestUser & { token: string };
  let productId: string;
  let lotId: string;
  const timings: Record<string, string> = {};

  beforeAll(async () => {
    const t0 = performance.now();
    database = await TestDatabase.create();
    const config = database.config;
    env = serviceEnv(config, { DB_POOL_SIZE: '8', OUTBOX_POLL_MS: '200', WORKER_CONCURRENCY: '4' });
    const started = await Promise.all([
      AppProcess.start('api', { name: 'api-1', env }),
      AppProcess.start('api', { name: 'api-2', env }),
      AppProcess.start('worker', { name: 'worker-1', env }),
    ]);
    apis.push(started[0], started[1]);
    workers.push(started[2]);
    cluster = new ProcessCluster(() => apis.map((a) => a.baseUrl), config.databaseUrl!);
    queueClients = await openQueues(config);
    queues = Object.values(queueClients.queues);
    timings.start = seconds(performance.now() - t0);
    log(`2 APIs + 1 worker ready in ${timings.start}`);
  }, 120_000);

  afterAll(async () => {
    await stopAll([...apis, ...workers]);
    await queueClients?.close();
    await cluster?.close();
    await database?.drop();
    log(`timings: ${JSON.stringify(timings)}`);
  }, 60_000);

  it('releases every batch exactly once, with the gate run by 1 and then 2 worker processes', async () => {
    const app = cluster.asApp;
    const qaSpec = await signInAs(app, 'qa_manager');
    tech = await signInAs(app, 'technician');
    // The approver records nothing (four-eyes).
    const approver = await createUser(app, { role: 'qa_manager', displayName: 'Release Approver' });
    qaRelease = { ...approver, token: await signIn(app, approver) };
    ({ productId } = await productWithEffectiveSpec(app, qaSpec));
    lotId = (await createLot(app, tech.token, {})).id;

    // 1. Prepare every batch up to its last result, through both APIs (each request to the next API).
    let t = performance.now();
    const ids = await mapLimit(Array.from({ length: BATCHES }, (_, i) => i), CONCURRENCY, async () => {
      const id = await isolatedBatch(app, tech.token, productId, { lotId });
      await recordResults(app, tech.token, id, ASSAYS.slice(0, -1));
      return id;
    });
    await eventually(async () => (await pendingOutbox(app)) === 0, 120_000, 250);
    await waitQueuesIdle(queues, 120_000);
    timings.prepare = seconds(performance.now() - t);
    log(`${BATCHES} batches harvested, isolated and 10 of 11 results recorded (${BATCHES * 14} commands through 2 APIs) in ${timings.prepare}`);
    expect(await countIn(app, ids, 'characterization')).toBe(BATCHES);
    // Both APIs took their half of the commands.
    for (const api of apis) expect(cluster.answered.get(api.baseUrl)?.['2xx'] ?? 0).toBeGreaterThanOrEqual(BATCHES * 7);

    // 2. Gate throughput: PHASE batches get their last result while the gate queue is paused; the
    // clock runs from resume until all of them are release_pending. First 1 worker process, then 2.
    const gate = queues.find((q) => q.name === 'release-gate')!;
    const phase = async (workerCount: number, batchIds: string[]): Promise<number> => {
      await gate.pause();
      await mapLimit(batchIds, CONCURRENCY, (id) => recordResults(app, tech.token, id, [LAST_ASSAY]));
      await eventually(async () => (await pendingOutbox(app)) === 0, 60_000, 100);
      await eventually(async () => {
        // Redis reports a paused queue's jobs as waiting, BullMQ's PostgreSQL backend as paused.
        const c = await gate.getJobCounts('waiting', 'prioritized', 'paused' as never);
        return (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.paused ?? 0) >= batchIds.length;
      }, 60_000, 100);
      expect(await countIn(app, batchIds, 'characterization')).toBe(batchIds.length);
      const t0 = performance.now();
      await gate.resume();
      await waitReleasePending(app, batchIds, 180_000);
      const ms = performance.now() - t0;
      log(`gate throughput with ${workerCount} worker process(es): ${batchIds.length} gate jobs in ${seconds(ms)} = ${(batchIds.length / (ms / 1000)).toFixed(1)} batches/s`);
      return ms;
    };
    const oneWorker = await phase(1, ids.slice(0, PHASE));
    t = performance.now();
    workers.push(await AppProcess.start('worker', { name: 'worker-2', env }));
    log(`second worker ready in ${seconds(performance.now() - t)}`);
    // The process reports ready before its BullMQ connections have all named themselves in Redis.
    if (testEnv.redisUrl) await eventually(async () => (await gate.getWorkers()).length === 2, 20_000, 100);
    const twoWorkers = await phase(2, ids.slice(PHASE, 2 * PHASE));
    const rate1 = PHASE / (oneWorker / 1000);
    const rate2 = PHASE / (twoWorkers / 1000);
    timings.gate1Worker = `${PHASE} in ${seconds(oneWorker)} (${rate1.toFixed(1)}/s)`;
    timings.gate2Workers = `${PHASE} in ${seconds(twoWorkers)} (${rate2.toFixed(1)}/s)`;
    log(`THROUGHPUT 1 worker: ${rate1.toFixed(1)} batches/s; 2 workers: ${rate2.toFixed(1)} batches/s; ratio 2/1 = ${(rate2 / rate1).toFixed(2)}`);

    // 3. The rest get their last result with both workers running, then QA approves all of them through both APIs.
    t = performance.now();
    const rest = ids.slice(2 * PHASE);
    await mapLimit(rest, CONCURRENCY, (id) => recordResults(app, tech.token, id, [LAST_ASSAY]));
    await waitReleasePending(app, ids, 180_000);
    timings.gateRest = seconds(performance.now() - t);
    t = performance.now();
    const lotNumbers = await approveAll(app, qaRelease, ids, 8);
    timings.approve = seconds(performance.now() - t);
    await eventually(async () => (await app.query(`SELECT count(*)::int AS n FROM certificates`))[0].n === BATCHES, 180_000, 500);
    timings.approveAndCertificates = seconds(performance.now() - t);
    log(`${BATCHES} approvals in ${timings.approve}; all certificates generated after ${timings.approveAndCertificates}`);

    // 4. Each effect once; nothing failed, nothing left in the queues.
    await assertReleasedOnce(app, qaRelease, ids, lotNumbers);
    await eventually(async () => (await pendingOutbox(app)) === 0, 30_000, 250);
    const counts = await waitQueuesIdle(queues, 60_000);
    for (const [name, c] of Object.entries(counts)) expect({ name, failed: c.failed }).toEqual({ name, failed: 0 });
    // Every process is still up (none crashed under load).
    for (const p of [...apis, ...workers]) expect({ name: p.name, running: p.running }).toEqual({ name: p.name, running: true });
  }, TEST_TIMEOUT);
});

function embeddedVariant(): void {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start({ worker: true });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('releases every batch exactly once when many are driven at the same time', async () => {
    const qaSpec = await signInAs(app, 'qa_manager');
    const tech = await signInAs(app, 'technician');
    const qaRelease = await signInAs(app, 'qa_manager', { displayName: 'Release Approver' });
    const { productId } = await productWithEffectiveSpec(app, qaSpec);
    const lotId = (await createLot(app, tech.token, {})).id;
    const t = performance.now();
    const ids = await mapLimit(Array.from({ length: BATCHES }, (_, i) => i), CONCURRENCY, async () => {
      const id = await isolatedBatch(app, tech.token, productId, { lotId });
      await recordResults(app, tech.token, id, ASSAYS);
      return id;
    });
    await waitReleasePending(app, ids, 120_000);
    const lotNumbers = await approveAll(app, qaRelease, ids, 4);
    await eventually(async () => (await app.query(`SELECT count(*)::int AS n FROM certificates WHERE batch_id = ANY($1::uuid[])`, [ids]))[0].n === ids.length, 120_000, 250);
    log(`embedded: ${BATCHES} batches released in ${seconds(performance.now() - t)}`);
    await assertReleasedOnce(app, qaRelease, ids, lotNumbers);
  }, TEST_TIMEOUT);

  it('refuses a second process on the same data folder, and a separate worker without DATABASE_URL', async () => {
    const second = await AppProcess.spawn('api', { name: 'second-api', env: { DATA_DIR: app.config.dataDir } });
    const secondExit = await within(second.exited, 60_000);
    await second.kill('SIGKILL');
    expect(secondExit?.code).not.toBe(0);
    expect(second.output.join('\n')).toMatch(/is in use by process/);

    const worker = await AppProcess.spawn('worker', { name: 'embedded-worker', env: { DATA_DIR: app.config.dataDir } });
    const workerExit = await within(worker.exited, 30_000);
    await worker.kill('SIGKILL');
    expect(workerExit?.code).toBe(78);
    expect(worker.output.join('\n')).toMatch(/DATABASE_URL is required for a separate worker process/);
    // The running app was not disturbed.
    expect((await app.request('GET', '/health/ready')).status).toBe(200);
  }, 120_000);
}
