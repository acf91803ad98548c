import { createHash } from 'node:crypto';
import type { Job, Queue } from 'bullmq';
import { JobHandlerRegistry, QueueBackend, type QueueName, QueueRegistry, WorkerHost } from '#platform';
import { eventually, TestApp } from '../../support/test-app.js';
import { signInAs, type TestUser } from '../../support/users.js';
import { isolatedBatch, passingResults, productWithEffectiveSpec } from '../../support/fixtures.js';

export const REDIS_URL = process.env.REDIS_URL || undefined;

/** The queue backends this run can exercise: BullMQ's PostgreSQL backend always, Redis when REDIS_URL is set. */
export const BACKENDS: { name: string; queue: 'postgres' | 'redis' }[] = [
  { name: 'PostgreSQL', queue: 'postgres' },
  ...(REDIS_URL ? [{ name: 'Redis', queue: 'redis' as const }] : []),
];

/** The app's lock settings for these tests: a worker that vanished has its job retried after ~2 s. */
export const LOCK_ENV = { QUEUE_LOCK_MS: '2000' };

/** What a scenario suite's tests work with; filled in before its first test. */
export interface Scenario {
  app: TestApp;
  qa: TestUser & { token: string };
  tech: TestUser & { token: string };
  productId: string;
}

/**
 * The app of the describe block this is called in: started before its tests (no worker of its
 * own, the given queue backend, LOCK_ENV) with a QA manager, a technician and a product with an
 * effective specification; closed after them, once `beforeClose` (the suite's own clean-up:
 * its workers, a lock it holds) has run.
 */
export function scenarioSuite(backend: 'postgres' | 'redis', beforeClose: () => Promise<unknown>): Scenario {
  const scenario = {} as Scenario;
  beforeAll(async () => {
    scenario.app = await TestApp.start({ worker: false, queue: backend, env: LOCK_ENV });
    scenario.qa = await signInAs(scenario.app, 'qa_manager');
    scenario.tech = await signInAs(scenario.app, 'technician');
    ({ productId: scenario.productId } = await productWithEffectiveSpec(scenario.app, scenario.qa));
  });
  afterAll(async () => {
    await beforeClose();
    await scenario.app?.close();
  });
  return scenario;
}

const RESULTS = Object.entries(passingResults());
/** Every required result but the last (mycoplasma); the last one is what completes the batch. */
export const ALL_BUT_LAST = RESULTS.slice(0, -1);
export const LAST = RESULTS[RESULTS.length - 1];

export async function record(app: TestApp, token: string, batchId: string, results: [string, Record<string, unknown>][]): Promise<void> {
  for (const [route, body] of results) {
    const res = await app.request('POST', `/batches/${batchId}/results/${route}`, { token, body });
    if (res.status !== 201) throw new Error(`${route}: ${res.status} ${res.raw}`);
  }
}

export function queue(app: TestApp, name: QueueName): Queue {
  return app.app.get(QueueRegistry).get(name);
}

export async function batchState(app: TestApp, batchId: string): Promise<string> {
  return (await app.query(`SELECT state FROM batches WHERE id = $1`, [batchId]))[0].state;
}

/** How often each gate transition happened to the batch. */
export async function gateTransitions(app: TestApp, batchId: string): Promise<Record<string, number>> {
  const rows = await app.query(`SELECT transition, count(*)::int AS n FROM batch_events WHERE batch_id = $1 AND transition IN ('submit_for_qc_review', 'gate_passed', 'gate_failed') GROUP BY 1`, [batchId]);
  return Object.fromEntries(rows.map((r) => [r.transition, r.n]));
}

/** Waits until every job of the queue has finished (nothing waiting, active or delayed). */
export async function queueIdle(app: TestApp, name: QueueName, timeoutMs = 20000): Promise<void> {
  await eventually(async () => {
    const counts = await queue(app, name).getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    return Object.values(counts).every((n) => n === 0);
  }, timeoutMs, 100);
}

/** The job of this batch that a worker is running right now. */
export async function activeJobOf(app: TestApp, name: QueueName, batchId: string, timeoutMs = 20000): Promise<Job> {
  return eventually(async () => (await queue(app, name).getActive()).find((j) => (j.data as { batchId?: string }).batchId === batchId) as Job | undefined, timeoutMs, 50);
}

/** The job, once it has completed (re-read from the queue). */
export async function completedJob(app: TestApp, name: QueueName, jobId: string, timeoutMs = 25000): Promise<Job> {
  return eventually(async () => {
    // State first, then the job: a job read before its completion would carry no return value.
    if ((await queue(app, name).getJobState(jobId)) !== 'completed') return undefined;
    return (await queue(app, name).getJob(jobId)) as Job | undefined;
  }, timeoutMs, 100);
}

export async function pendingOutbox(app: TestApp): Promise<number> {
  return (await app.query(`SELECT count(*)::int AS n FROM outbox WHERE dispatched_at IS NULL`))[0].n;
}

/** Every committed outbox row has been handed to the queue (the relay may be mid-pass when asked). */
export async function outboxDrained(app: TestApp, timeoutMs = 10000): Promise<void> {
  await app.drainOutbox();
  await eventually(async () => (await pendingOutbox(app)) === 0, timeoutMs, 50);
}

/** The product's worker (WorkerHost, what `npm start` runs in-process), started and stopped by a test. */
export class InProcessWorkers {
  private readonly hosts = new Set<WorkerHost>();

  constructor(private readonly app: () => TestApp) {}

  start(): WorkerHost {
    const app = this.app();
    const host = new WorkerHost(app.app.get(QueueBackend), app.app.get(JobHandlerRegistry), app.config);
    host.onApplicationBootstrap();
    this.hosts.add(host);
    return host;
  }

  /** The orderly stop: each worker finishes its current jobs first. */
  async stop(host: WorkerHost): Promise<void> {
    await host.beforeApplicationShutdown();
    this.hosts.delete(host);
  }

  /** Starts one worker and hands back its orderly stop (what batchWithOneGateJobWaiting asks for). */
  async startOne(): Promise<() => Promise<void>> {
    const host = this.start();
    return () => this.stop(host);
  }

  async stopAll(): Promise<void> {
    for (const host of [...this.hosts]) await this.stop(host);
  }

  get running(): number {
    return this.hosts.size;
  }
}

/**
 * A batch whose earlier gate runs are done (by a worker that then stopped) and whose last
 * result's gate job waits in the queue, with no worker running: the next worker to start takes
 * exactly that job.
 */
export async function batchWithOneGateJobWaiting(app: TestApp, techToken: string, productId: string, startWorker: () => Promise<() => Promise<void>>): Promise<string> {
  const batchId = await isolatedBatch(app, techToken, productId);
  await record(app, techToken, batchId, ALL_BUT_LAST);
  await outboxDrained(app);
  const stop = await startWorker();
  await eventually(async () => (await queue(app, 'release-gate').getCompletedCount()) > 0, 20000, 100);
  await queueIdle(app, 'release-gate');
  await stop();
  if ((await batchState(app, batchId)) !== 'characterization') throw new Error('the batch moved before its last result');
  await record(app, techToken, batchId, [LAST]);
  await outboxDrained(app);
  return batchId;
}

/** A batch with every result recorded, once a running worker's gate has made it release pending. */
export async function releasePendingBatch(app: TestApp, techToken: string, productId: string): Promise<string> {
  const batchId = await isolatedBatch(app, techToken, productId);
  await record(app, techToken, batchId, [...ALL_BUT_LAST, LAST]);
  await eventually(async () => (await batchState(app, batchId)) === 'release_pending', 25000, 100);
  return batchId;
}

/** The QA manager approves the batch's release (200); returns the lot number it was given. */
export async function approveRelease(app: TestApp, qa: TestUser & { token: string }, batchId: string): Promise<string> {
  const approved = await app.request('POST', `/batches/${batchId}/release/approve`, { token: qa.token, body: { password: qa.password } });
  expect(approved.status).toBe(200);
  return approved.body.lotNumber as string;
}

/**
 * A BullMQ worker of this process takes the queue's next job, runs `onJob` on it, and dies
 * holding it: force-closed, with no completion and no lock renewal, which is what a killed
 * process leaves behind in the queue. Returns the job, still active, and what `onJob` returned.
 */
export async function takeAndDie<T>(app: TestApp, queueName: QueueName, onJob: (job: Job) => T | Promise<T>): Promise<{ job: Job; result: T }> {
  let taken!: (outcome: { job: Job; result: T }) => void;
  const outcome = new Promise<{ job: Job; result: T }>((resolve) => (taken = resolve));
  const doomed = app.app.get(QueueBackend).createWorker(queueName, async (job) => {
    taken({ job, result: await onJob(job) });
    return new Promise(() => undefined); // the process is gone: this job never finishes here
  }, { concurrency: 1, lockDuration: app.config.queueLockMs, stalledInterval: app.config.queueLockMs, maxStalledCount: 3 });
  doomed.on('error', () => undefined);
  const taking = await outcome;
  await doomed.close(true);
  expect(await queue(app, queueName).getJobState(taking.job.id!)).toBe('active');
  return taking;
}

/**
 * The gate job, re-run by the next worker after the one holding it died: the same job completes
 * because its lock expired (stalled), not because it failed, and the batch became release
 * pending once, with the one checklist of that job.
 */
export async function expectGateRerunOnce(app: TestApp, batchId: string, jobId: string): Promise<void> {
  const done = await completedJob(app, 'release-gate', jobId);
  expect(done.stalledCounter).toBeGreaterThanOrEqual(1);
  expect(done.returnvalue).toEqual({ state: 'release_pending', passed: true });
  expect(await batchState(app, batchId)).toBe('release_pending');
  expect(await gateTransitions(app, batchId)).toEqual({ submit_for_qc_review: 1, gate_passed: 1 });
  const checklists = await app.query(`SELECT job_id, passed FROM release_checklists WHERE batch_id = $1 AND qc_revision = (SELECT qc_revision FROM batches WHERE id = $1)`, [batchId]);
  expect(checklists).toEqual([{ job_id: jobId, passed: true }]);
}

/**
 * The certificate job, re-run by the next worker after the one holding it died: it completes as
 * a re-run (stalled) with one certificate whose hash is its content's, and the release happened
 * once (one decision, one transition, one batch with the lot number). Returns the certificate's sha256.
 */
export async function expectCertificateRerunOnce(app: TestApp, batchId: string, jobId: string, lotNumber: string): Promise<string> {
  const done = await completedJob(app, 'documents', jobId);
  expect(done.stalledCounter).toBeGreaterThanOrEqual(1);
  const certificates = await app.query(`SELECT sha256, content FROM certificates WHERE batch_id = $1`, [batchId]);
  expect(certificates).toHaveLength(1);
  expect(createHash('sha256').update(certificates[0].content).digest('hex')).toBe(certificates[0].sha256);
  expect(done.returnvalue).toEqual({ sha256: certificates[0].sha256, created: true });
  expect((await app.query(`SELECT count(*)::int AS n FROM release_decisions WHERE batch_id = $1`, [batchId]))[0].n).toBe(1);
  expect((await app.query(`SELECT count(*)::int AS n FROM batch_events WHERE batch_id = $1 AND transition = 'approve_release'`, [batchId]))[0].n).toBe(1);
  expect(await app.query(`SELECT state, lot_number FROM batches WHERE lot_number = $1`, [lotNumber])).toEqual([{ state: 'released', lot_number: lotNumber }]);
  return certificates[0].sha256;
}

/** What the batch has written so far: a re-run that changes nothing leaves it equal. */
export async function footprint(app: TestApp, batchId: string): Promise<{ events: number; checklists: number; audit: number; certificates: number }> {
  return (await app.query(
    `SELECT (SELECT count(*) FROM batch_events WHERE batch_id = $1)::int AS events,
            (SELECT count(*) FROM release_checklists WHERE batch_id = $1)::int AS checklists,
            (SELECT count(*) FROM audit_events WHERE entity_id = $1::text)::int AS audit,
            (SELECT count(*) FROM certificates WHERE batch_id = $1)::int AS certificates`,
    [batchId],
  ))[0];
}
