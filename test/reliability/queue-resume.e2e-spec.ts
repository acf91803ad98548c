import { performance } from 'node:perf_hooks';
import { cellCultureHarvest, productWithEffectiveSpec } from '../support/fixtures.js';
import { eventually, TestApp } from '../support/test-app.js';
import { signInAs, type TestUser } from '../support/users.js';
import { queue, REDIS_URL } from './support/scenario.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { startWithProxiedPostgresQueue } from './support/queue-proxy-app.js';

/**
 * How soon busy workers get going again after a queue outage. BullMQ waits `runRetryDelay` (15 s
 * by default) after a queue connection error in a busy worker (finishing a job, fetching the next
 * of a backlog) before it tries again; WorkerHost sets it from WORKER_RETRY_DELAY_MS (1 s).
 *
 * The test holds a batch row (so the summary jobs' handlers wait inside their transaction), queues
 * a backlog of those jobs, and takes the queue away through a TCP proxy of its own once every
 * worker slot is busy. It then lets the handlers finish: recording their completion fails, the
 * queue comes back, and the time until the whole backlog has run is measured: well under the 15 s
 * BullMQ would wait. BullMQ's PostgreSQL backend always runs; Redis when REDIS_URL is set.
 */
const OUTAGE_MS = 2000;
const JOBS = 8;
/** The workers' concurrency in this test: every slot busy when the queue goes away. */
const CONCURRENCY = 4;
/** A 1 s retry and scheduling slack; BullMQ's default retry alone is 15 s. */
const RESUME_BOUND_MS = 5000;

const outages: { name: string; start(): Promise<{ app: TestApp; proxy: TcpProxy }> }[] = [
  { name: 'the PostgreSQL queue backend', start: () => startWithProxiedPostgresQueue({ worker: true, env: { WORKER_CONCURRENCY: String(CONCURRENCY) } }) },
  ...(REDIS_URL
    ? [{
        name: 'Redis',
        async start() {
          const proxy = await TcpProxy.start(REDIS_URL!);
          const app = await TestApp.start({ worker: true, queue: 'redis', env: { WORKER_CONCURRENCY: String(CONCURRENCY), REDIS_URL: proxy.urlFor(REDIS_URL!) } });
          return { app, proxy };
        },
      }]
    : []),
];

describe.each(outages)('busy workers resume after $name comes back', (outage) => {
  let app: TestApp;
  let proxy: TcpProxy;
  let tech: TestUser & { token: string };
  let productId: string;

  const computations = async (batchId: string): Promise<number> =>
    (await app.query(`SELECT coalesce((SELECT computations FROM batch_summaries WHERE batch_id = $1), 0)::int AS n`, [batchId]))[0].n;

  beforeAll(async () => {
    ({ app, proxy } = await outage.start());
    const qa = await signInAs(app, 'qa_manager');
    tech = await signInAs(app, 'technician');
    ({ productId } = await productWithEffectiveSpec(app, qa));
  }, 120_000);
  afterAll(async () => {
    await proxy?.open();
    await app?.close();
    await proxy?.close();
  });

  it(`runs the backlog within ${RESUME_BOUND_MS} ms of the queue's return`, async () => {
    const res = await app.request('POST', '/batches', { token: tech.token, body: cellCultureHarvest(productId) });
    expect(res.status).toBe(201);
    const batchId = res.body.id as string;
    const before = await computations(batchId);
    const batchDerived = queue(app, 'batch-derived');

    // The handlers will wait on this row lock (on the embedded database, on the one session).
    const holder = await app.sql.connect();
    let reopenedAt = NaN;
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM batches WHERE id = $1 FOR UPDATE', [batchId]);
      await batchDerived.addBulk(Array.from({ length: JOBS }, () => ({ name: 'batch.summary.recompute', data: { batchId } })));
      await eventually(async () => (await batchDerived.getActiveCount()) === CONCURRENCY, 20_000, 50);

      await proxy.close();
      await new Promise((r) => setTimeout(r, OUTAGE_MS / 2));
      await holder.query('COMMIT'); // the handlers finish; recording that fails while the queue is away
      await new Promise((r) => setTimeout(r, OUTAGE_MS / 2));
      reopenedAt = performance.now();
      await proxy.open();
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    }
    await eventually(async () => (await computations(batchId)) - before >= JOBS, 60_000, 50);
    const doneMs = performance.now() - reopenedAt;
    process.stderr.write(`[reliability] ${outage.name}: ${JOBS} summary jobs (${CONCURRENCY} running when the queue went away for ${OUTAGE_MS} ms) all ran ${Math.round(doneMs)} ms after it came back\n`);

    expect(doneMs).toBeLessThan(RESUME_BOUND_MS);
    await eventually(async () => (await batchDerived.getCompletedCount()) >= JOBS, 20_000, 100);
    expect(await computations(batchId)).toBe(before + JOBS);
  }, 120_000);
});
