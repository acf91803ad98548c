import type { Job, Queue } from 'bullmq';
import { JobHandlerRegistry, QueueBackend, type QueueName, QueueRegistry, WorkerHost } from '#platform';
import { eventually, type TestApp } from '../../support/test-app.js';
import { isolatedBatch, passingResults } from '../../support/fixtures.js';

export const REDIS_URL = process.env.REDIS_URL || undefined;

/** The queue backends this run can exercise: BullMQ's PostgreSQL backend always, Redis when REDIS_URL is set. */
export const BACKENDS: { name: string; queue: 'postgres' | 'redis' }[] = [
  { name: 'PostgreSQL', queue: 'postgres' },
  ...(REDIS_URL ? [{ name: 'Redis', queue: 'redis' as const }] : []),
];

/** The app's lock settings for these tests: a worker that vanished has its job retried after ~2 s. */
export const LOCK_ENV = { QUEUE_LOCK_MS: '2000' };

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
