import { QueueRegistry } from '#platform';
import { eventually, TestApp, type QueueChoice } from '../support/test-app.js';
import { testEnv } from '../support/test-env.js';
import { signIn } from '../support/users.js';
import { cellCultureHarvest, createLot, createProduct, precipitation, spin } from '../support/fixtures.js';

// The same job runs on BullMQ's PostgreSQL backend always, and on Redis when REDIS_URL is set.
const backends: QueueChoice[] = testEnv.redisUrl ? ['postgres', 'redis'] : ['postgres'];

describe.each(backends)('batch summary job on the %s queue backend', (queue) => {
  let app: TestApp;
  let tech: string;
  let productId: string;
  let lotId: string;

  beforeAll(async () => {
    app = await TestApp.start({ worker: true, queue });
    tech = await signIn(app, 'technician');
    productId = (await createProduct(app, await signIn(app, 'qa_manager'))).id;
    lotId = (await createLot(app, tech, {})).id;
  });
  afterAll(() => app?.close());

  it(`runs on ${queue}`, () => {
    expect(app.endpoints.queue.kind).toBe(queue);
  });

  it('recomputes the summary after steps commit, through the outbox', async () => {
    const id = (await app.request('POST', '/batches', { token: tech, body: cellCultureHarvest(productId) })).body.id;
    await app.request('POST', `/batches/${id}/isolation/steps`, { token: tech, body: spin() });
    await app.request('POST', `/batches/${id}/isolation/steps`, { token: tech, body: precipitation(lotId) });
    const summary = await eventually(async () => {
      const res = await app.request('GET', `/batches/${id}`, { token: tech });
      return res.body.summary?.stepCount === 2 ? res.body.summary : undefined;
    });
    expect(summary).toMatchObject({ stepCount: 2, processingMinutes: 30, reagentLots: [expect.any(String)] });
    // The job may already have seen both steps while the second row is still being relayed: the outbox drains.
    await eventually(async () => (await app.query(`SELECT count(*)::int AS n FROM outbox WHERE dispatched_at IS NULL`))[0].n === 0);
  });

  it('writes no outbox row (so no job) when the command is refused', async () => {
    const id = (await app.request('POST', '/batches', { token: tech, body: cellCultureHarvest(productId) })).body.id;
    const [{ n: before }] = await app.query(`SELECT count(*)::int AS n FROM outbox`);
    const res = await app.request('POST', `/batches/${id}/isolation/steps`, { token: tech, body: spin({ parameters: { gForce: 0 } }) });
    expect(res.status).toBe(400);
    const [{ n: after }] = await app.query(`SELECT count(*)::int AS n FROM outbox`);
    expect(after).toBe(before);
  });

  it('collapses a burst of outbox rows for one batch into one job, and re-delivery is harmless', async () => {
    const id = (await app.request('POST', '/batches', { token: tech, body: cellCultureHarvest(productId) })).body.id;
    await app.request('POST', `/batches/${id}/isolation/steps`, { token: tech, body: spin() });
    await eventually(async () => (await app.query(`SELECT computations FROM batch_summaries WHERE batch_id = $1`, [id]))[0]);
    const [{ computations: start }] = await app.query(`SELECT computations FROM batch_summaries WHERE batch_id = $1`, [id]);
    // Five changes committed together, as one burst.
    await app.query(`INSERT INTO outbox (job_name, queue_name, dedupe_key, payload) SELECT 'batch.summary.recompute', 'batch-derived', $1, jsonb_build_object('batchId', $1::text) FROM generate_series(1, 5)`, [id]);
    await app.drainOutbox();
    await eventually(async () => (await app.query(`SELECT computations FROM batch_summaries WHERE batch_id = $1`, [id]))[0].computations > start);
    await new Promise((r) => setTimeout(r, 500));
    const [{ computations }] = await app.query(`SELECT computations FROM batch_summaries WHERE batch_id = $1`, [id]);
    expect(computations).toBe(start + 1);
    // The same job id delivered again is ignored by BullMQ: the outcome does not change.
    const queueObj = app.app.get(QueueRegistry).get('batch-derived');
    const [{ id: newest }] = await app.query(`SELECT max(id)::text AS id FROM outbox WHERE dedupe_key = $1`, [id]);
    await queueObj.add('batch.summary.recompute', { batchId: id }, { jobId: `batch.summary.recompute.${id}.${newest}` });
    await new Promise((r) => setTimeout(r, 500));
    const [{ computations: after, step_count }] = await app.query(`SELECT computations, step_count FROM batch_summaries WHERE batch_id = $1`, [id]);
    expect(after).toBe(start + 1);
    expect(step_count).toBe(1);
  });

  it('fails and retries a job whose handler throws, with backoff, instead of swallowing it', async () => {
    const ghost = '2b1f7f1e-1111-4111-8111-111111111111';
    await app.query(`INSERT INTO outbox (job_name, queue_name, dedupe_key, payload) VALUES ('batch.summary.recompute', 'batch-derived', $1, jsonb_build_object('batchId', $1::text))`, [ghost]);
    await app.drainOutbox();
    const queueObj = app.app.get(QueueRegistry).get('batch-derived');
    const job = await eventually(async () => {
      const jobs = await queueObj.getJobs(['delayed', 'failed', 'waiting', 'active']);
      const found = jobs.find((j) => j?.data?.batchId === ghost && j.attemptsMade >= 2);
      return found ?? undefined;
    }, 20000, 200);
    expect(job.failedReason).toMatch(/does not exist/);
    expect(job.opts.attempts).toBe(8);
    expect(job.opts.backoff).toEqual({ type: 'exponential', delay: 500 });
  });
});
